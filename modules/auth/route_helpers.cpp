#include "auth/route_helpers.hpp"

#include "carehub/error.hpp"

namespace carehub::auth {

std::string required_string(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_string() || it->get<std::string>().empty()) {
    throw ApiError(ErrorCode::kValidationFailed,
                   std::string("'") + field + "' is required and must be a string");
  }
  return it->get<std::string>();
}

std::optional<std::string> optional_string(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    throw ApiError(ErrorCode::kValidationFailed, std::string("'") + field + "' must be a string");
  return it->get<std::string>();
}

std::optional<std::vector<std::string>> optional_string_list(const nlohmann::json& body,
                                                             const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_array() ||
      !std::all_of(it->begin(), it->end(), [](const auto& e) { return e.is_string(); })) {
    throw ApiError(ErrorCode::kValidationFailed,
                   std::string("'") + field + "' must be a list of strings");
  }
  return it->get<std::vector<std::string>>();
}

}  // namespace carehub::auth
