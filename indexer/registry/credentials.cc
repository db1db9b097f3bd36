#include "indexer/registry/credentials.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace dci {
namespace {

constexpr size_t kMaxAuthfileBytes = 1 << 20;

// "https://Host:5000/v1/" -> "host:5000".
std::string NormalizeKey(absl::string_view key) {
  if (absl::StartsWith(key, "https://")) {
    key.remove_prefix(8);
  } else if (absl::StartsWith(key, "http://")) {
    key.remove_prefix(7);
  }
  size_t slash = key.find('/');
  if (slash != absl::string_view::npos) key = key.substr(0, slash);
  return absl::AsciiStrToLower(key);
}

bool IsDockerHub(absl::string_view host) {
  return host == "docker.io" || host == "index.docker.io" ||
         host == "registry-1.docker.io";
}

}  // namespace

absl::StatusOr<Credentials> ParseCredentials(absl::string_view user_pass) {
  size_t colon = user_pass.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError("credentials: want USER:PASS");
  }
  if (colon == 0) {
    return absl::InvalidArgumentError("credentials: empty user name");
  }
  return Credentials{std::string(user_pass.substr(0, colon)),
                     std::string(user_pass.substr(colon + 1))};
}

absl::StatusOr<std::optional<Credentials>> CredentialsFromAuthfile(
    const std::string& path, absl::string_view registry) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string msg = absl::StrCat("authfile ", path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(msg);
    return absl::PermissionDeniedError(msg);
  }
  std::string text(kMaxAuthfileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxAuthfileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("authfile ", path, ": larger than 1 MiB"));
  }
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("authfile ", path, ": not a JSON object"));
  }
  auto auths = doc.find("auths");
  if (auths == doc.end() || !auths->is_object()) return std::nullopt;

  std::string want = NormalizeKey(registry);
  for (auto it = auths->begin(); it != auths->end(); ++it) {
    std::string key = NormalizeKey(it.key());
    if (key != want && !(IsDockerHub(key) && IsDockerHub(want))) continue;
    const nlohmann::json& entry = it.value();
    if (!entry.is_object()) continue;
    std::string context =
        absl::StrCat("authfile ", path, ": entry \"", it.key(), "\"");
    auto auth = entry.find("auth");
    if (auth != entry.end() && auth->is_string() &&
        !auth->get_ref<const std::string&>().empty()) {
      std::string decoded;
      if (!absl::Base64Unescape(auth->get_ref<const std::string&>(),
                                &decoded)) {
        return absl::InvalidArgumentError(
            absl::StrCat(context, ": \"auth\" is not base64"));
      }
      absl::StatusOr<Credentials> creds = ParseCredentials(decoded);
      if (!creds.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(context, ": \"auth\" is not base64 of USER:PASS"));
      }
      return std::optional<Credentials>(*std::move(creds));
    }
    auto user = entry.find("username");
    auto pass = entry.find("password");
    if (user != entry.end() && user->is_string() && pass != entry.end() &&
        pass->is_string()) {
      return std::optional<Credentials>(
          Credentials{user->get<std::string>(), pass->get<std::string>()});
    }
  }
  return std::nullopt;
}

}  // namespace dci
