#include "indexer/system/os_release.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "indexer/system/config_text.h"

namespace dci {
namespace {

// Character classes of systemd's env-file reader (src/basic/string-util.h).
bool IsNewline(char c) { return c == '\n' || c == '\r'; }
bool IsBlank(char c) { return c == ' ' || c == '\t' || IsNewline(c); }
bool IsCommentStart(char c) { return c == '#' || c == ';'; }
// SHELL_NEED_ESCAPE: what a backslash escapes inside double quotes.
bool NeedsShellEscape(char c) {
  return c == '"' || c == '\\' || c == '`' || c == '$';
}

bool IsValidKey(absl::string_view key) {
  if (key.empty()) return false;
  if (!absl::ascii_isalpha(key[0]) && key[0] != '_') return false;
  for (char c : key) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

// A key as it may appear in a warning: escaped, and short.
std::string Quoted(absl::string_view s) {
  constexpr size_t kMax = 64;
  std::string escaped = absl::CHexEscape(s.substr(0, kMax));
  return absl::StrCat("\"", escaped, s.size() > kMax ? "...\"" : "\"");
}

void Store(std::string key, std::string value, OsRelease* out) {
  std::string* field = nullptr;
  if (key == "ID") {
    field = &out->id;
  } else if (key == "ID_LIKE") {
    field = &out->id_like;
  } else if (key == "NAME") {
    field = &out->name;
  } else if (key == "PRETTY_NAME") {
    field = &out->pretty_name;
  } else if (key == "VERSION") {
    field = &out->version;
  } else if (key == "VERSION_ID") {
    field = &out->version_id;
  } else if (key == "VERSION_CODENAME") {
    field = &out->version_codename;
  } else if (key == "HOME_URL") {
    field = &out->home_url;
  }
  if (field != nullptr) {
    *field = std::move(value);
  } else {
    out->other[std::move(key)] = std::move(value);
  }
}

// The state machine of systemd's parse_env_file_internal(), restated.
class Parser {
 public:
  explicit Parser(OsRelease* out) : out_(out) {}

  void Run(absl::string_view content) {
    for (char c : content) {
      Step(c);
      if (c == '\n') ++line_;
    }
    Finish();
  }

 private:
  enum class State {
    kPreKey,
    kKey,
    kPreValue,
    kValue,
    kValueEscape,
    kSingleQuote,
    kDoubleQuote,
    kDoubleQuoteEscape,
    kComment,
  };

  void Step(char c) {
    switch (state_) {
      case State::kPreKey:
        if (IsCommentStart(c)) {
          state_ = State::kComment;
        } else if (c == '=') {
          // "=value": an assignment to an empty key (reported as such; systemd
          // drops the line too).
          state_ = State::kPreValue;
          key_.clear();
          key_line_ = line_;
          value_.clear();
          value_blank_from_ = std::string::npos;
        } else if (!IsBlank(c)) {
          state_ = State::kKey;
          key_.assign(1, c);
          key_line_ = line_;
        }
        break;
      case State::kKey:
        if (IsNewline(c)) {
          Warn(absl::StrCat("line ", key_line_, ": no '=' after ",
                            Quoted(TrimmedKey()), "; ignored"));
          state_ = State::kPreKey;
        } else if (c == '=') {
          state_ = State::kPreValue;
          value_.clear();
          value_blank_from_ = std::string::npos;
        } else {
          key_.push_back(c);
        }
        break;
      case State::kPreValue:
        if (IsNewline(c)) {
          Push(/*trim=*/false);
        } else if (c == '\'') {
          state_ = State::kSingleQuote;
        } else if (c == '"') {
          state_ = State::kDoubleQuote;
        } else if (c == '\\') {
          state_ = State::kValueEscape;
        } else if (!IsBlank(c)) {
          state_ = State::kValue;
          value_.push_back(c);
        }
        break;
      case State::kValue:
        if (IsNewline(c)) {
          Push(/*trim=*/true);
        } else if (c == '\\') {
          state_ = State::kValueEscape;
          value_blank_from_ = std::string::npos;
        } else {
          // Remember where a run of trailing blanks starts, to drop it at
          // the end of the line.
          if (!IsBlank(c)) {
            value_blank_from_ = std::string::npos;
          } else if (value_blank_from_ == std::string::npos) {
            value_blank_from_ = value_.size();
          }
          value_.push_back(c);
        }
        break;
      case State::kValueEscape:
        state_ = State::kValue;
        if (!IsNewline(c)) value_.push_back(c);  // backslash-newline: joined
        break;
      case State::kSingleQuote:
        if (c == '\'') {
          state_ = State::kPreValue;
        } else {
          value_.push_back(c);
        }
        break;
      case State::kDoubleQuote:
        if (c == '"') {
          state_ = State::kPreValue;
        } else if (c == '\\') {
          state_ = State::kDoubleQuoteEscape;
        } else {
          value_.push_back(c);
        }
        break;
      case State::kDoubleQuoteEscape:
        state_ = State::kDoubleQuote;
        if (NeedsShellEscape(c)) {
          value_.push_back(c);
        } else if (c != '\n') {
          // Like the shell: the backslash stays before other characters.
          value_.push_back('\\');
          value_.push_back(c);
        }
        break;
      case State::kComment:
        // A comment ends at the line break, backslash or not (systemd >= 254
        // and the shell agree).
        if (IsNewline(c)) state_ = State::kPreKey;
        break;
    }
  }

  void Finish() {
    switch (state_) {
      case State::kKey:
        Warn(absl::StrCat("line ", key_line_, ": no '=' after ",
                          Quoted(TrimmedKey()), "; ignored"));
        break;
      case State::kSingleQuote:
      case State::kDoubleQuote:
      case State::kDoubleQuoteEscape:
        Warn(absl::StrCat("line ", key_line_, ": quote opened for ",
                          Quoted(TrimmedKey()),
                          " is not closed at the end of the file"));
        Push(/*trim=*/false);
        break;
      case State::kPreValue:
      case State::kValueEscape:
        Push(/*trim=*/false);
        break;
      case State::kValue:
        Push(/*trim=*/true);
        break;
      case State::kPreKey:
      case State::kComment:
        break;
    }
  }

  absl::string_view TrimmedKey() const {
    return absl::StripTrailingAsciiWhitespace(key_);
  }

  void Push(bool trim) {
    state_ = State::kPreKey;
    if (trim && value_blank_from_ != std::string::npos) {
      value_.resize(value_blank_from_);
    }
    std::string key(TrimmedKey());
    if (!IsValidKey(key)) {
      Warn(absl::StrCat("line ", key_line_, ": ", Quoted(key),
                        " is not a valid variable name; ignored"));
      return;
    }
    if (!IsValidUtf8(value_)) {
      Warn(absl::StrCat("line ", key_line_, ": value of ", key,
                        " is not valid UTF-8; ignored"));
      return;
    }
    Store(std::move(key), std::move(value_), out_);
    value_.clear();
  }

  void Warn(std::string message) {
    out_->warnings.push_back(std::move(message));
  }

  OsRelease* out_;
  State state_ = State::kPreKey;
  std::string key_;
  std::string value_;
  size_t value_blank_from_ = std::string::npos;
  int line_ = 1;
  int key_line_ = 1;
};

}  // namespace

OsRelease ParseOsRelease(absl::string_view content) {
  OsRelease out;
  size_t nul = content.find('\0');
  absl::string_view readable = content.substr(0, nul);
  Parser(&out).Run(readable);
  if (nul != absl::string_view::npos) {
    size_t line = 1;
    for (char c : readable) line += c == '\n';
    out.warnings.push_back(absl::StrCat(
        "line ", line, ": NUL byte; the rest of the file is ignored"));
  }
  return out;
}

absl::StatusOr<std::string> ResolveOsReleasePath(const EntryLookup& lookup) {
  // os-release(5): "Applications should check for [/etc/os-release] first,
  // and exclusively use its data if it exists, and only fall back to
  // /usr/lib/os-release if it is missing."
  for (absl::string_view candidate : {"etc/os-release", "usr/lib/os-release"}) {
    absl::StatusOr<std::string> resolved = ResolveInImage(candidate, lookup);
    if (resolved.ok()) {
      if (resolved->empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            candidate, ": resolves to the image root, not a file"));
      }
      return resolved;
    }
    if (!absl::IsNotFound(resolved.status())) {
      return absl::Status(
          resolved.status().code(),
          absl::StrCat(candidate, ": ", resolved.status().message()));
    }
  }
  return absl::NotFoundError(
      "neither etc/os-release nor usr/lib/os-release exists in the image");
}

}  // namespace dci
