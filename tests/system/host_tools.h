// Test helpers for checking dci's readers against the host's own tools and
// files: read a file, run a shell command and capture its output.
#ifndef DCI_TESTS_SYSTEM_HOST_TOOLS_H_
#define DCI_TESTS_SYSTEM_HOST_TOOLS_H_

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace dci {
namespace testing_host {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout only
};

// Runs `command` with /bin/sh and returns its exit code and stdout.
inline CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Single-quotes `s` for /bin/sh.
inline std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

}  // namespace testing_host
}  // namespace dci

#endif  // DCI_TESTS_SYSTEM_HOST_TOOLS_H_
