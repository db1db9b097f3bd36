#include "indexer/registry/auth_challenge.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace dci::registry_internal {
namespace {

// RFC 7230 tchar.
bool IsTokenChar(char c) {
  return absl::ascii_isalnum(c) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
             absl::string_view::npos;
}

void SkipSpace(absl::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

std::string ReadToken(absl::string_view s, size_t& i) {
  size_t start = i;
  while (i < s.size() && IsTokenChar(s[i])) ++i;
  return std::string(s.substr(start, i - start));
}

// A quoted-string with backslash escapes, starting at the opening quote.
// Returns false when it is not closed.
bool ReadQuoted(absl::string_view s, size_t& i, std::string& out) {
  ++i;
  while (i < s.size()) {
    char c = s[i++];
    if (c == '"') return true;
    if (c == '\\' && i < s.size()) c = s[i++];
    out.push_back(c);
  }
  return false;
}

}  // namespace

std::vector<AuthChallenge> ParseAuthChallenges(absl::string_view s) {
  std::vector<AuthChallenge> out;
  size_t i = 0;
  while (i < s.size()) {
    SkipSpace(s, i);
    while (i < s.size() && (s[i] == ',' || s[i] == ' ')) ++i;
    std::string scheme = ReadToken(s, i);
    if (scheme.empty()) break;
    AuthChallenge ch;
    ch.scheme = absl::AsciiStrToLower(scheme);
    // auth-params: name=value pairs separated by ','. A token not followed
    // by '=' starts the next challenge.
    while (true) {
      SkipSpace(s, i);
      size_t mark = i;
      std::string name = ReadToken(s, i);
      SkipSpace(s, i);
      if (name.empty() || i >= s.size() || s[i] != '=') {
        i = mark;
        break;
      }
      ++i;
      SkipSpace(s, i);
      std::string value;
      if (i < s.size() && s[i] == '"') {
        if (!ReadQuoted(s, i, value)) {
          out.push_back(std::move(ch));
          return out;
        }
      } else {
        value = ReadToken(s, i);
      }
      ch.params[absl::AsciiStrToLower(name)] = value;
      SkipSpace(s, i);
      if (i < s.size() && s[i] == ',') ++i;
    }
    out.push_back(std::move(ch));
    if (i < s.size() && !IsTokenChar(s[i]) && s[i] != ',' && s[i] != ' ') {
      break;
    }
  }
  return out;
}

std::string ParseNextLink(absl::string_view header) {
  // Link: <url>; rel="next", <url2>; rel="prev"
  for (absl::string_view part : absl::StrSplit(header, '<')) {
    size_t close = part.find('>');
    if (close == absl::string_view::npos) continue;
    absl::string_view url = part.substr(0, close);
    absl::string_view params = part.substr(close + 1);
    for (absl::string_view p : absl::StrSplit(params, ';')) {
      p = absl::StripAsciiWhitespace(p);
      while (!p.empty() && p.back() == ',') p.remove_suffix(1);
      p = absl::StripAsciiWhitespace(p);
      std::string lower = absl::AsciiStrToLower(p);
      if (lower == "rel=\"next\"" || lower == "rel=next") {
        return std::string(url);
      }
    }
  }
  return "";
}

}  // namespace dci::registry_internal
