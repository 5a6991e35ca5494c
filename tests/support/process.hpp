// Child processes for end-to-end tests: the real carehub binary, started with an explicit argv,
// environment and working directory, its stdout and stderr captured to files. The environment is
// the test's own minus every inherited CAREHUB_* variable (so a developer's settings cannot leak
// into a test), plus the overrides given.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/test_database.hpp"

namespace carehub::test {

using EnvOverrides = std::map<std::string, std::string>;

// The carehub binary under test: env CAREHUB_BINARY, else the compiled-in CAREHUB_TEST_BINARY.
std::string carehub_binary();
// The source tree (for the shipped migrations): compiled-in CAREHUB_TEST_SOURCE_DIR.
std::string source_dir();

// A port that was free on 127.0.0.1 a moment ago (bind to port 0, read it, close).
int free_loopback_port();

class Process {
 public:
  // Starts argv[0] (a path, not searched in PATH). cwd empty: the process's own temp directory.
  // Throws std::runtime_error when fork fails; an exec failure shows as exit code 127.
  Process(std::vector<std::string> argv, const EnvOverrides& env = {}, std::string cwd = {});
  // Kills (SIGKILL) and reaps the process when it is still running.
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // The exit code once the process has ended within timeout; death by signal N reads as 128+N.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
  void signal(int sig);
  // Terminates: sig first, SIGKILL after grace. Returns the exit code (128+N for a signal).
  int stop(int sig, std::chrono::milliseconds grace);

  std::string stdout_text() const;
  std::string stderr_text() const;
  const std::vector<std::string>& argv() const { return argv_; }

 private:
  bool reap(bool block);

  std::vector<std::string> argv_;
  std::unique_ptr<TempDir> dir_;
  std::string stdout_path_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

struct RunResult {
  std::optional<int> exit_code;  // nullopt: still running at the timeout, then killed
  std::string out;
  std::string err;
};

RunResult run_to_completion(std::vector<std::string> argv, const EnvOverrides& env = {},
                            std::string cwd = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Runs the carehub binary with args (argv[0] added).
RunResult run_carehub(std::vector<std::string> args, const EnvOverrides& env = {},
                      std::string cwd = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

// For failure messages: "exit=N\n--- stdout ---\n...\n--- stderr ---\n...".
std::string describe(const RunResult& r);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

}  // namespace carehub::test
