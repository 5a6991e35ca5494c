// Signing-key administration: list, rotate, remove.
#include "auth/routes.hpp"

namespace carehub::auth {
namespace {

nlohmann::json keys_json(const std::vector<KeyRing::KeyInfo>& keys) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& k : keys)
    out.push_back({{"kid", k.kid}, {"alg", k.algorithm}, {"active", k.active}});
  return {{"keys", out}};
}

}  // namespace

void register_key_routes(Router& r, AuthService& auth) {
  r.add(Method::kGet, "/api/v1/auth/keys", Access::admin(),
        [&auth](Request&) { return Response::json(keys_json(auth.signing_keys())); });
  r.add(Method::kPost, "/api/v1/auth/keys/rotate", Access::admin(), [&auth](Request& req) {
    const std::string kid = auth.rotate_signing_key(req);
    auto out = keys_json(auth.signing_keys());
    out["active_kid"] = kid;
    return Response::json(out, 201);
  });
  r.add(Method::kDelete, "/api/v1/auth/keys/{kid}", Access::admin(), [&auth](Request& req) {
    auth.remove_signing_key(req, req.param("kid"));
    return Response::no_content();
  });
}

}  // namespace carehub::auth
