// Structured logs: one JSON object per line on stderr. Never put patient data or secrets in fields.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace carehub {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

LogLevel parse_log_level(std::string_view name);  // throws std::invalid_argument
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view event,
         const nlohmann::json& fields = nlohmann::json::object());
inline void log_info(std::string_view event, const nlohmann::json& f = nlohmann::json::object()) {
  log(LogLevel::kInfo, event, f);
}
inline void log_warn(std::string_view event, const nlohmann::json& f = nlohmann::json::object()) {
  log(LogLevel::kWarn, event, f);
}
inline void log_error(std::string_view event, const nlohmann::json& f = nlohmann::json::object()) {
  log(LogLevel::kError, event, f);
}

// The per-request access line (hot path: formatted without building a JSON tree).
struct AccessRecord {
  std::string_view request_id;
  std::string_view method;
  std::string_view route;  // the pattern, never the concrete path (it may hold identifiers)
  int status;
  double duration_ms;
  std::size_t bytes_in;
  std::size_t bytes_out;
};
void log_access(const AccessRecord& record);
void log_flush();

}  // namespace carehub
