// A running carehub (the real binary) with its first admin bootstrapped, and the sign-in steps
// the module tests share: log in, add users with roles, issue API tokens.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/e2e_server.hpp"

namespace carehub::test {

inline const std::string kAdmin = "admin@clinic.example";
inline const std::string kPassword = "a long admin passphrase";

// Cheap password hashing; options.extra is merged over it. The server is started.
std::unique_ptr<ServerUnderTest> started_server(ServerOptions options);

// An access token for email (password kPassword).
std::string login(HttpClient& http, const std::string& email);
// A user with these roles and kPassword, created by the admin; returns the user's id.
std::int64_t add_user(HttpClient& http, const std::string& admin_token, const std::string& email,
                      const std::vector<std::string>& roles);
// The secret of a new API token with these scopes.
std::string api_token(HttpClient& http, const std::string& admin_token,
                      const std::vector<std::string>& scopes);

}  // namespace carehub::test
