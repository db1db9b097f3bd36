// Parsing follows containers-image (the library behind skopeo and podman) on
// Linux, so a reference that works with `skopeo copy` means the same here:
//  - oci: and oci-archive: split the rest at its first ':' (a path can hold
//    no ':'; the tag can), and check the tag against the image-spec
//    annotation grammar (annotations.md, org.opencontainers.image.ref.name).
//  - docker-archive: splits at the first ':' too; what follows is a Docker
//    reference NAME[:TAG] (":latest" added when there is no tag; no digest).
//  - docker:// takes a Docker reference, normalised the way `docker pull`
//    does ("busybox" is docker.io/library/busybox), with a tag or a digest
//    but not both.
#include "indexer/image_ref.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/digest.h"
#include "base/status_macros.h"

namespace dci {
namespace {

constexpr size_t kMaxNameLength = 255;  // distribution/reference
constexpr size_t kMaxTagLength = 128;

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// OCI annotations.md, org.opencontainers.image.ref.name:
//   ref       ::= component ("/" component)*
//   component ::= alphanum (separator alphanum)*
//   separator ::= [-._:@+] | "--"
bool IsValidOciRefName(absl::string_view s) {
  if (s.empty()) return false;
  for (absl::string_view comp : absl::StrSplit(s, '/')) {
    if (comp.empty()) return false;
    size_t i = 0;
    while (true) {
      size_t start = i;
      while (i < comp.size() && absl::ascii_isalnum(comp[i])) ++i;
      if (i == start) return false;  // separator not followed by alphanum
      if (i == comp.size()) break;
      if (comp.substr(i, 2) == "--") {
        i += 2;
      } else if (absl::string_view("-._:@+").find(comp[i]) !=
                 absl::string_view::npos) {
        ++i;
      } else {
        return false;
      }
    }
  }
  return true;
}

// Docker tag: [\w][\w.-]{0,127}
bool IsValidDockerTag(absl::string_view s) {
  if (s.empty() || s.size() > kMaxTagLength) return false;
  auto word = [](char c) { return absl::ascii_isalnum(c) || c == '_'; };
  if (!word(s[0])) return false;
  for (char c : s) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

// Path component of a repository name:
//   [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool IsValidPathComponent(absl::string_view s) {
  size_t i = 0;
  while (true) {
    size_t start = i;
    while (i < s.size() && IsLowerAlnum(s[i])) ++i;
    if (i == start) return false;
    if (i == s.size()) return true;
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
  }
}

bool IsValidHostName(absl::string_view host) {
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty() || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') return false;
    }
  }
  return true;
}

// Registry host: DNS labels separated by '.', or "[ipv6]"; then ":port".
bool IsValidDomain(absl::string_view s) {
  absl::string_view port;
  bool has_port = false;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == absl::string_view::npos || close < 2) return false;
    for (char c : s.substr(1, close - 1)) {
      if (!absl::ascii_isxdigit(c) && c != ':') return false;
    }
    absl::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port = rest.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = s.find(':');
    absl::string_view host = s.substr(0, colon);
    if (colon != absl::string_view::npos) {
      port = s.substr(colon + 1);
      has_port = true;
    }
    if (!IsValidHostName(host)) return false;
  }
  if (has_port) {
    if (port.empty()) return false;
    for (char c : port) {
      if (!absl::ascii_isdigit(c)) return false;
    }
  }
  return true;
}

struct DockerName {
  std::string name;    // as written, or normalised (see ParseDockerName)
  std::string tag;     // "" if none
  std::string digest;  // "" if none
};

// Splits "NAME[:TAG][@DIGEST]" and checks each part (distribution's
// reference grammar). With `normalize`, a name without a registry host gets
// docker.io (and library/ for a single component), as `docker pull` does.
absl::StatusOr<DockerName> ParseDockerName(absl::string_view s,
                                           bool normalize) {
  DockerName out;
  if (s.empty()) return absl::InvalidArgumentError("empty image name");
  size_t at = s.find('@');
  if (at != absl::string_view::npos) {
    DCI_ASSIGN_OR_RETURN(out.digest, ParseDigest(s.substr(at + 1)));
    s = s.substr(0, at);
  }
  size_t last_slash = s.rfind('/');
  size_t colon =
      s.find(':', last_slash == absl::string_view::npos ? 0 : last_slash + 1);
  absl::string_view name = s;
  if (colon != absl::string_view::npos) {
    absl::string_view tag = s.substr(colon + 1);
    if (!IsValidDockerTag(tag)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid tag \"", tag, "\": want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"));
    }
    out.tag = std::string(tag);
    name = s.substr(0, colon);
  }
  if (name.empty()) return absl::InvalidArgumentError("empty image name");
  if (name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("image name is ", name.size(), " characters long (limit ",
                     kMaxNameLength, ")"));
  }
  // distribution's splitDockerDomain: the first component is a registry host
  // if it has a '.' or a ':', or is "localhost", or has an upper-case letter
  // (which a path component cannot have).
  std::string domain;
  absl::string_view remainder = name;
  size_t slash = name.find('/');
  if (slash != absl::string_view::npos) {
    absl::string_view first = name.substr(0, slash);
    bool has_upper = absl::AsciiStrToLower(first) != first;
    if (absl::StrContains(first, '.') || absl::StrContains(first, ':') ||
        first == "localhost" || has_upper) {
      if (!IsValidDomain(first)) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid registry host \"", first, "\""));
      }
      domain = std::string(first);
      remainder = name.substr(slash + 1);
    }
  }
  if (remainder.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("image name \"", name, "\" has no repository"));
  }
  for (absl::string_view comp : absl::StrSplit(remainder, '/')) {
    if (absl::AsciiStrToLower(comp) != comp) {
      return absl::InvalidArgumentError(absl::StrCat(
          "repository name \"", remainder, "\" must be lowercase"));
    }
    if (!IsValidPathComponent(comp)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid repository name \"", remainder,
          "\": want components of [a-z0-9] joined by '.', '_', '__' or '-'"));
    }
  }
  if (!normalize) {
    out.name = std::string(name);
    return out;
  }
  if (domain.empty() || domain == "index.docker.io") domain = "docker.io";
  if (domain == "docker.io" && !absl::StrContains(remainder, '/')) {
    out.name = absl::StrCat(domain, "/library/", remainder);
  } else {
    out.name = absl::StrCat(domain, "/", remainder);
  }
  return out;
}

absl::Status RefError(absl::string_view ref, const absl::Status& s) {
  return Annotate(s, absl::StrCat("image reference \"", ref, "\""));
}

}  // namespace

absl::string_view TransportName(Transport t) {
  switch (t) {
    case Transport::kOciDir:
      return "oci";
    case Transport::kOciArchive:
      return "oci-archive";
    case Transport::kDockerArchive:
      return "docker-archive";
    case Transport::kRegistry:
      return "docker";
    case Transport::kRootfsDir:
      return "dir";
    case Transport::kRootfsTar:
      return "tar";
  }
  return "unknown";
}

std::string ImageRef::ToString() const {
  switch (transport) {
    case Transport::kOciDir:
    case Transport::kOciArchive:
    case Transport::kDockerArchive:
      return tag.empty()
                 ? absl::StrCat(TransportName(transport), ":", path)
                 : absl::StrCat(TransportName(transport), ":", path, ":", tag);
    case Transport::kRegistry:
      if (!digest.empty()) return absl::StrCat("docker://", path, "@", digest);
      if (!tag.empty()) return absl::StrCat("docker://", path, ":", tag);
      return absl::StrCat("docker://", path);
    case Transport::kRootfsDir:
    case Transport::kRootfsTar:
      return absl::StrCat(TransportName(transport), ":", path);
  }
  return "";
}

absl::StatusOr<ImageRef> ParseImageRef(absl::string_view ref) {
  size_t colon = ref.find(':');
  if (colon == absl::string_view::npos) {
    return RefError(ref, absl::InvalidArgumentError(
                             "no transport: want oci:, oci-archive:, "
                             "docker-archive:, docker://, dir: or tar:"));
  }
  absl::string_view transport = ref.substr(0, colon);
  absl::string_view rest = ref.substr(colon + 1);
  ImageRef out;

  if (transport == "oci" || transport == "oci-archive") {
    out.transport =
        transport == "oci" ? Transport::kOciDir : Transport::kOciArchive;
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(rest, absl::MaxSplits(':', 1));
    if (parts.first.empty()) {
      return RefError(ref, absl::InvalidArgumentError("empty path"));
    }
    if (absl::StartsWith(parts.second, "@")) {
      return RefError(ref, absl::InvalidArgumentError(absl::StrCat(
                               "source index \"", parts.second,
                               "\" is not supported: name the image by tag")));
    }
    if (!parts.second.empty() && !IsValidOciRefName(parts.second)) {
      return RefError(ref, absl::InvalidArgumentError(absl::StrCat(
                               "invalid tag \"", parts.second,
                               "\": want [A-Za-z0-9] runs joined by one of "
                               "-._:@+ or \"--\", '/'-separated")));
    }
    out.path = std::string(parts.first);
    out.tag = std::string(parts.second);
    return out;
  }

  if (transport == "docker-archive") {
    out.transport = Transport::kDockerArchive;
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(rest, absl::MaxSplits(':', 1));
    if (parts.first.empty()) {
      return RefError(ref, absl::InvalidArgumentError("empty path"));
    }
    out.path = std::string(parts.first);
    if (parts.second.empty()) return out;
    if (absl::StartsWith(parts.second, "@")) {
      return RefError(ref, absl::InvalidArgumentError(absl::StrCat(
                               "source index \"", parts.second,
                               "\" is not supported: name the image as "
                               "NAME:TAG")));
    }
    absl::StatusOr<DockerName> name =
        ParseDockerName(parts.second, /*normalize=*/false);
    if (!name.ok()) return RefError(ref, name.status());
    if (!name->digest.empty()) {
      return RefError(ref, absl::InvalidArgumentError(
                               "a docker-archive image is named NAME:TAG, "
                               "not by digest"));
    }
    out.tag =
        absl::StrCat(name->name, ":", name->tag.empty() ? "latest" : name->tag);
    return out;
  }

  if (transport == "docker") {
    out.transport = Transport::kRegistry;
    if (!absl::StartsWith(rest, "//")) {
      return RefError(ref, absl::InvalidArgumentError(
                               "want docker://HOST[:PORT]/REPO[:TAG|@DIGEST]"));
    }
    absl::StatusOr<DockerName> name =
        ParseDockerName(rest.substr(2), /*normalize=*/true);
    if (!name.ok()) return RefError(ref, name.status());
    if (!name->tag.empty() && !name->digest.empty()) {
      return RefError(
          ref, absl::InvalidArgumentError("give a tag or a digest, not both"));
    }
    out.path = name->name;
    out.tag = name->tag;
    out.digest = name->digest;
    if (out.tag.empty() && out.digest.empty()) out.tag = "latest";
    return out;
  }

  if (transport == "dir" || transport == "tar") {
    out.transport =
        transport == "dir" ? Transport::kRootfsDir : Transport::kRootfsTar;
    if (rest.empty()) {
      return RefError(ref, absl::InvalidArgumentError("empty path"));
    }
    out.path = std::string(rest);
    return out;
  }

  return RefError(ref, absl::InvalidArgumentError(absl::StrCat(
                           "unknown transport \"", transport,
                           "\": want oci, oci-archive, docker-archive, "
                           "docker, dir or tar")));
}

}  // namespace dci
