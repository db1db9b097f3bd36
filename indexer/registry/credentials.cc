#include "indexer/registry/credentials.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

extern char** environ;

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

constexpr size_t kMaxHelperOutput = 64 << 10;

// Up to 200 printable characters of a helper's output, for messages.
std::string Quoted(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (out.size() >= 200) return out + "...";
    out.push_back(absl::ascii_isprint(c) ? c : ' ');
  }
  return std::string(absl::StripAsciiWhitespace(out));
}

// Runs `program get` (the docker credential helper protocol) with `server`
// on its stdin; its stdout and stderr together go to `output`. The exit
// status goes to `status`. Unix sockets stand in for pipes so that a
// helper that exits early cannot raise SIGPIPE in dcid.
absl::Status RunHelper(const std::string& program, absl::string_view server,
                       absl::Duration timeout, std::string* output,
                       int* status) {
  int in[2], out[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    return absl::ResourceExhaustedError(absl::StrCat("socketpair: ", std::strerror(errno)));
  }
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out) != 0) {
    int err = errno;
    close(in[0]);
    close(in[1]);
    return absl::ResourceExhaustedError(absl::StrCat("socketpair: ", std::strerror(err)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[1], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  std::string arg0 = program, arg1 = "get";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[1]);
  close(out[1]);
  if (rc != 0) {
    close(in[0]);
    close(out[0]);
    if (rc == ENOENT) {
      return absl::NotFoundError(absl::StrCat("credential helper ", program,
                                              " is not in PATH"));
    }
    return absl::UnavailableError(
        absl::StrCat("credential helper ", program, ": ", std::strerror(rc)));
  }
  (void)send(in[0], server.data(), server.size(), MSG_NOSIGNAL);
  close(in[0]);  // end of stdin

  const absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline check above ends it
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (output->size() < kMaxHelperOutput) {
      output->append(buf, std::min(static_cast<size_t>(n), kMaxHelperOutput - output->size()));
    }
  }
  close(out[0]);
  if (timed_out) kill(pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return absl::UnavailableError(absl::StrCat("credential helper ", program,
                                               " gave no answer within ",
                                               absl::FormatDuration(timeout)));
  }
  *status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return absl::OkStatus();
}

// `helper` names docker-credential-HELPER: a plain file name, never a path.
absl::StatusOr<std::optional<Credentials>> FromHelper(
    const std::string& helper, const std::string& server,
    const std::string& context, absl::Duration timeout) {
  if (helper.empty() || helper.find_first_not_of(
                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789._-") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        context, ": credential helper \"", Quoted(helper), "\" is not a helper name"));
  }
  const std::string program = absl::StrCat("docker-credential-", helper);
  std::string output;
  int status = 0;
  absl::Status run = RunHelper(program, server, timeout, &output, &status);
  if (!run.ok()) {
    return absl::Status(run.code(), absl::StrCat(context, ": ", run.message()));
  }
  if (status != 0) {
    // docker-credential-helpers' ErrCredentialsNotFound.
    if (absl::StrContains(output, "credentials not found")) return std::nullopt;
    return absl::UnavailableError(absl::StrCat(context, ": ", program, " get ",
                                               server, " failed (exit ", status,
                                               "): ", Quoted(output)));
  }
  nlohmann::json doc = nlohmann::json::parse(output, nullptr, false);
  auto field = [&doc](const char* name) -> std::string {
    auto it = doc.is_object() ? doc.find(name) : doc.end();
    return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (!doc.is_object() || field("Secret").empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        context, ": ", program, " gave no {\"Username\", \"Secret\"} JSON: ",
        Quoted(output)));
  }
  if (field("Username") == "<token>") {
    return absl::UnimplementedError(absl::StrCat(
        context, ": ", program, " gives an identity token, which dci does not "
        "exchange; give --creds or an \"auths\" entry"));
  }
  return std::optional<Credentials>(Credentials{field("Username"), field("Secret")});
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
    const std::string& path, absl::string_view registry,
    absl::Duration helper_timeout) {
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
  std::string want = NormalizeKey(registry);
  // Docker Hub's entry, as docker writes and asks for it.
  const std::string server =
      IsDockerHub(want) ? "https://index.docker.io/v1/" : want;
  auto helpers = doc.find("credHelpers");
  if (helpers != doc.end() && helpers->is_object()) {
    for (auto it = helpers->begin(); it != helpers->end(); ++it) {
      std::string key = NormalizeKey(it.key());
      if (key != want && !(IsDockerHub(key) && IsDockerHub(want))) continue;
      if (!it.value().is_string()) break;
      return FromHelper(it.value().get<std::string>(), server,
                        absl::StrCat("authfile ", path, ": credHelpers \"", it.key(), "\""),
                        helper_timeout);
    }
  }
  auto store = doc.find("credsStore");
  if (store != doc.end() && store->is_string() &&
      !store->get_ref<const std::string&>().empty()) {
    return FromHelper(store->get<std::string>(), server,
                      absl::StrCat("authfile ", path, ": credsStore"), helper_timeout);
  }
  auto auths = doc.find("auths");
  if (auths == doc.end() || !auths->is_object()) return std::nullopt;

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
