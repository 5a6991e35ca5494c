// Devices that receive pushes, and per-type preferences.
#include "carehub/error.hpp"
#include "carehub/text_check.hpp"
#include "notify/routes.hpp"

namespace carehub::notify {
namespace {

constexpr std::size_t kMaxTokenBytes = 4096;
constexpr std::size_t kMaxNameBytes = 128;

std::string string_field(const nlohmann::json& body, const char* name, std::size_t max,
                         bool required = true) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (!required) return {};
    throw ApiError(ErrorCode::kValidationFailed, std::string("'") + name + "' is required");
  }
  if (!it->is_string() || it->get<std::string>().empty() || it->get<std::string>().size() > max) {
    throw ApiError(ErrorCode::kValidationFailed, std::string("'") + name +
                                                     "' must be a non-empty string of at most " +
                                                     std::to_string(max) + " bytes");
  }
  return it->get<std::string>();
}

bool bool_field(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_boolean())
    throw ApiError(ErrorCode::kValidationFailed,
                   std::string("'") + name + "' must be true or false");
  return it->get<bool>();
}

nlohmann::json device_json(const DeviceRow& d) {
  // The token is the provider's address of the phone: shown only by its end.
  const std::string tail = d.token.size() > 6 ? d.token.substr(d.token.size() - 6) : d.token;
  return {{"id", std::to_string(d.id)},
          {"platform", d.platform},
          {"app", d.app},
          {"token_ending", tail},
          {"created_at", format_rfc3339_ms(d.created_at_ms)}};
}

}  // namespace

void register_device_routes(Router& r, NotifyContext& ctx) {
  r.add(Method::kPost, "/api/v1/notifications/devices", Access::signed_in(), [&ctx](Request& req) {
    const auto user = user_id_of(req);
    const auto body = req.json_object();
    const auto platform = string_field(body, "platform", 16);
    if (platform != "apns" && platform != "fcm" && platform != "webpush") {
      throw ApiError(ErrorCode::kValidationFailed, "'platform' must be apns, fcm or webpush");
    }
    const auto token = string_field(body, "token", kMaxTokenBytes);
    const auto app = string_field(body, "app", kMaxNameBytes);
    require_text("app", app);  // shown in the device listing
    const auto device = ctx.db.transact([&](Tx& tx) {
      return ctx.store.register_device(tx, user, platform, token, app, ctx.clock.now_ms());
    });
    return Response::json(device_json(device), 201);
  });
  r.add(Method::kGet, "/api/v1/notifications/devices", Access::signed_in(), [&ctx](Request& req) {
    const auto user = user_id_of(req);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d :
         ctx.db.transact([&](Tx& tx) { return ctx.store.devices(tx, user); }, TxMode::kRead))
      out.push_back(device_json(d));
    return Response::json({{"devices", out}});
  });
  r.add(Method::kDelete, "/api/v1/notifications/devices/{id}", Access::signed_in(),
        [&ctx](Request& req) {
          const auto user = user_id_of(req);
          const auto id = parse_positive_id(req.param("id"), "id");
          if (!ctx.db.transact([&](Tx& tx) { return ctx.store.remove_device(tx, user, id); }))
            throw ApiError(ErrorCode::kNotFound, "no device " + std::to_string(id));
          return Response::no_content();
        });

  r.add(
      Method::kGet, "/api/v1/notifications/preferences", Access::signed_in(), [&ctx](Request& req) {
        const auto user = user_id_of(req);
        nlohmann::json out = nlohmann::json::array();
        for (const auto& [type, p] : ctx.db.transact(
                 [&](Tx& tx) { return ctx.store.preferences(tx, user); }, TxMode::kRead))
          out.push_back(
              {{"type", type}, {"in_app", p.in_app}, {"push", p.push}, {"email", p.email}});
        return Response::json({{"preferences", out},
                               {"default", {{"in_app", true}, {"push", true}, {"email", false}}}});
      });
  r.add(Method::kPut, "/api/v1/notifications/preferences/{type}", Access::signed_in(),
        [&ctx](Request& req) {
          const auto user = user_id_of(req);
          const std::string& type = req.param("type");
          if (type.empty() || type.size() > kMaxNameBytes)
            throw ApiError(ErrorCode::kValidationFailed, "the type is empty or too long");
          require_text("the type", type);  // decoded from the path: %1B is an ESC
          const auto body = req.json_object();
          // email is optional (clients written before it keep working); absent, it stays as set.
          Preference p{bool_field(body, "in_app"), bool_field(body, "push")};
          const bool email_given = body.contains("email");
          if (email_given) p.email = bool_field(body, "email");
          ctx.db.transact([&](Tx& tx) {
            if (!email_given) p.email = ctx.store.preference(tx, user, type).email;
            ctx.store.set_preference(tx, user, type, p);
          });
          return Response::json(
              {{"type", type}, {"in_app", p.in_app}, {"push", p.push}, {"email", p.email}});
        });
}

}  // namespace carehub::notify
