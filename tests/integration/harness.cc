#include "tests/integration/harness.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace dci::testing {
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

std::string MakeTempDir(const char* prefix) {
  std::string tmpl = std::string("/tmp/") + prefix + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

int Spawn(const std::vector<std::string>& argv, const std::string& out_file,
          const std::string& err_file) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

}  // namespace

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string BinaryPath(const std::string& name) {
  std::string dir = DCI_BINARY_DIR;
  if (name == "dcid") return dir + "/server/dcid";
  if (name == "dci") return dir + "/clients/cli/dci";
  return dir + "/" + name;
}

CommandResult RunCommand(const std::vector<std::string>& argv) {
  std::string dir = MakeTempDir("dci-run");
  CommandResult r;
  int pid = Spawn(argv, dir + "/out", dir + "/err");
  if (pid > 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  r.out = ReadFile(dir + "/out");
  r.err = ReadFile(dir + "/err");
  std::system(("rm -rf " + dir).c_str());
  return r;
}

DcidProcess::DcidProcess(const std::vector<std::string>& extra_flags)
    : extra_flags_(extra_flags) {
  dir_ = MakeTempDir("dcid");
  db_ = dir_ + "/dci.db";
  Start();
}

bool DcidProcess::Restart() {
  Stop();
  Start();
  return ok();
}

void DcidProcess::Start() {
  port_ = 0;
  ::unlink((dir_ + "/port").c_str());
  std::vector<std::string> argv = {BinaryPath("dcid"), "--db", db_,
                                   "--listen", "127.0.0.1:0", "--port-file",
                                   dir_ + "/port"};
  argv.insert(argv.end(), extra_flags_.begin(), extra_flags_.end());
  pid_ = Spawn(argv, dir_ + "/dcid.out", dir_ + "/dcid.log");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
    std::string p = ReadFile(dir_ + "/port");
    if (!p.empty()) {
      port_ = std::atoi(p.c_str());
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

DcidProcess::~DcidProcess() {
  Stop();
  std::system(("rm -rf " + dir_).c_str());
}

int DcidProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string DcidProcess::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

CommandResult DcidProcess::Dci(std::vector<std::string> args) const {
  args.insert(args.begin(), {BinaryPath("dci"), "--server", address()});
  return RunCommand(args);
}

}  // namespace dci::testing
