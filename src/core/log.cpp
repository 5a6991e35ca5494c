#include "carehub/log.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>
#include <stdexcept>

#include "carehub/clock.hpp"

namespace carehub {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

void append_time(fmt::memory_buffer& out) {
  const std::string now = format_rfc3339_ms(SystemClock().now_ms());
  out.append(now.data(), now.data() + now.size());
}

// One write(2) per line so lines from several threads never interleave.
void write_line(const fmt::memory_buffer& buf) {
  const char* p = buf.data();
  std::size_t left = buf.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace

LogLevel parse_log_level(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  throw std::invalid_argument("unknown log level " + std::string(name));
}

void set_log_level(LogLevel level) {
  g_level.store(static_cast<int>(level));
}

bool log_enabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void log(LogLevel level, std::string_view event, const nlohmann::json& fields) {
  if (!log_enabled(level)) return;
  nlohmann::json line = nlohmann::json::object();
  line["level"] = level_name(level);
  line["event"] = event;
  if (fields.is_object()) {
    for (const auto& [k, v] : fields.items()) line[k] = v;
  }
  fmt::memory_buffer buf;
  buf.append(std::string_view("{\"time\":\""));
  append_time(buf);
  std::string rest = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  buf.append(std::string_view("\","));
  buf.append(std::string_view(rest).substr(1));
  buf.push_back('\n');
  write_line(buf);
}

void log_access(const AccessRecord& r) {
  if (!log_enabled(LogLevel::kInfo)) return;
  // Every string here is produced by the server (sanitised request id, method, route pattern), so
  // none needs JSON escaping.
  fmt::memory_buffer buf;
  buf.append(std::string_view("{\"time\":\""));
  append_time(buf);
  fmt::format_to(
      std::back_inserter(buf),
      "\",\"level\":\"info\",\"event\":\"request\",\"request_id\":\"{}\",\"method\":\"{}\","
      "\"route\":\"{}\",\"status\":{},\"duration_ms\":{:.3f},\"bytes_in\":{},\"bytes_out\":{}}}\n",
      r.request_id, r.method, r.route, r.status, r.duration_ms, r.bytes_in, r.bytes_out);
  write_line(buf);
}

void log_flush() {}

}  // namespace carehub
