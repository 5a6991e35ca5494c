// Route tables of the auth module, one function per area.
#pragma once

#include "auth/service.hpp"
#include "carehub/router.hpp"

namespace carehub::auth {

void register_session_routes(Router& router, AuthService& auth);
void register_admin_routes(Router& router, AuthService& auth);
void register_key_routes(Router& router, AuthService& auth);

}  // namespace carehub::auth
