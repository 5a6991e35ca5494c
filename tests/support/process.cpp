#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace carehub::test {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int open_output(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  return fd;
}

std::vector<std::string> child_environment(const EnvOverrides& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (name.rfind("CAREHUB_", 0) == 0 || overrides.count(name) != 0) continue;
    env.push_back(entry);
  }
  for (const auto& [name, value] : overrides) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string carehub_binary() {
  if (const char* b = std::getenv("CAREHUB_BINARY"); b != nullptr && *b != '\0') return b;
#ifdef CAREHUB_TEST_BINARY
  return CAREHUB_TEST_BINARY;
#else
  throw std::runtime_error("no carehub binary: set CAREHUB_BINARY");
#endif
}

std::string source_dir() {
#ifdef CAREHUB_TEST_SOURCE_DIR
  return CAREHUB_TEST_SOURCE_DIR;
#else
  throw std::runtime_error("CAREHUB_TEST_SOURCE_DIR was not compiled in");
#endif
}

int free_loopback_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error(std::string("getsockname: ") + std::strerror(errno));
  }
  return ntohs(addr.sin_port);
}

Process::Process(std::vector<std::string> argv, const EnvOverrides& env, std::string cwd)
    : argv_(std::move(argv)), dir_(std::make_unique<TempDir>()) {
  if (argv_.empty()) throw std::invalid_argument("Process: empty argv");
  if (cwd.empty()) cwd = dir_->path();
  stdout_path_ = dir_->path() + "/stdout";
  stderr_path_ = dir_->path() + "/stderr";
  Fd out(open_output(stdout_path_));
  Fd err(open_output(stderr_path_));
  Fd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));

  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env_strings = child_environment(env);
  std::vector<std::string> argv_copy = argv_;
  std::vector<char*> envp = c_strings(env_strings);
  std::vector<char*> args = c_strings(argv_copy);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    if (::dup2(in.get(), 0) < 0 || ::dup2(out.get(), 1) < 0 || ::dup2(err.get(), 2) < 0) _exit(126);
    if (::chdir(cwd.c_str()) != 0) _exit(126);
    ::execve(args[0], args.data(), envp.data());
    _exit(127);
  }
}

Process::~Process() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

bool Process::reap(bool block) {
  if (exit_code_) return true;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (r == pid_) {
      exit_code_ = decode_status(status);
      return true;
    }
    if (r == 0) return false;
    if (errno == EINTR) continue;
    exit_code_ = -1;  // ECHILD: someone else reaped it; treat as gone
    return true;
  }
}

bool Process::running() {
  return !reap(false);
}

std::optional<int> Process::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

void Process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

int Process::stop(int sig, std::chrono::milliseconds grace) {
  signal(sig);
  if (auto code = wait_for_exit(grace)) return *code;
  ::kill(pid_, SIGKILL);
  reap(true);
  return *exit_code_;
}

std::string Process::stdout_text() const {
  return read_file(stdout_path_);
}
std::string Process::stderr_text() const {
  return read_file(stderr_path_);
}

RunResult run_to_completion(std::vector<std::string> argv, const EnvOverrides& env, std::string cwd,
                            std::chrono::milliseconds timeout) {
  Process p(std::move(argv), env, std::move(cwd));
  RunResult r;
  r.exit_code = p.wait_for_exit(timeout);
  if (!r.exit_code) {
    ::kill(p.pid(), SIGKILL);
    p.wait_for_exit(std::chrono::seconds(5));
  }
  r.out = p.stdout_text();
  r.err = p.stderr_text();
  return r;
}

RunResult run_carehub(std::vector<std::string> args, const EnvOverrides& env, std::string cwd,
                      std::chrono::milliseconds timeout) {
  args.insert(args.begin(), carehub_binary());
  return run_to_completion(std::move(args), env, std::move(cwd), timeout);
}

std::string describe(const RunResult& r) {
  std::ostringstream s;
  s << "exit=" << (r.exit_code ? std::to_string(*r.exit_code) : std::string("(timed out)"))
    << "\n--- stdout ---\n"
    << r.out << "\n--- stderr ---\n"
    << r.err;
  return s.str();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace carehub::test
