// Small request-body readers shared by the auth module's route files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "carehub/http.hpp"

namespace carehub::auth {

std::string required_string(const nlohmann::json& body, const char* field);
std::optional<std::string> optional_string(const nlohmann::json& body, const char* field);
std::optional<std::vector<std::string>> optional_string_list(const nlohmann::json& body,
                                                             const char* field);

}  // namespace carehub::auth
