// Runs the real dcid and dci binaries for end-to-end tests: dcid on
// 127.0.0.1 port 0 with a fresh database, dci as a subprocess.
#ifndef DCI_TESTS_INTEGRATION_HARNESS_H_
#define DCI_TESTS_INTEGRATION_HARNESS_H_

#include <string>
#include <vector>

#include "tests/testutil/samples.h"

namespace dci::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs argv[0] with the arguments, no shell; stdin is /dev/null.
CommandResult RunCommand(const std::vector<std::string>& argv);

// A dcid process on a temporary database. Stops it (SIGTERM) on
// destruction and removes the directory.
class DcidProcess {
 public:
  // Starts dcid and waits (at most 20 s) until it reports its port.
  explicit DcidProcess(const std::vector<std::string>& extra_flags = {});
  ~DcidProcess();
  DcidProcess(const DcidProcess&) = delete;
  DcidProcess& operator=(const DcidProcess&) = delete;

  bool ok() const { return port_ > 0; }
  std::string address() const;
  const std::string& db_path() const { return db_; }
  // Sends SIGTERM and waits; returns dcid's exit status.
  int Stop();
  // Stops (if running) and starts again on the same database; the port
  // changes. Returns ok().
  bool Restart();

  // Runs the dci binary against this server.
  CommandResult Dci(std::vector<std::string> args) const;

 private:
  void Start();
  std::string dir_, db_;
  std::vector<std::string> extra_flags_;
  int pid_ = -1;
  int port_ = 0;
};

std::string BinaryPath(const std::string& name);  // build/server/dcid, ...
// True when the directory exists; otherwise, in CI (env CI set) the caller
// must fail, elsewhere skip.
bool Exists(const std::string& path);
// A whole file; "" when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace dci::testing

#endif  // DCI_TESTS_INTEGRATION_HARNESS_H_
