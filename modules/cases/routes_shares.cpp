// Sharing a case, with Dx29's rules: the owner invites a physician by email; the recipient sees
// the case once they accept; a recipient who shares it on needs the owner's approval first; the
// owner revokes and access ends at once.
#include <fmt/format.h>

#include "carehub/accounts.hpp"
#include "carehub/error.hpp"
#include "carehub/text_check.hpp"
#include "cases/service.hpp"

namespace carehub::cases {
namespace {

nlohmann::json share_json(const ShareRow& s) {
  return {{"id", std::to_string(s.id)},
          {"case_id", std::to_string(s.case_id)},
          {"status", s.status},
          {"created_at", format_rfc3339_ms(s.created_at_ms)},
          {"updated_at", format_rfc3339_ms(s.updated_at_ms)}};
}

}  // namespace

void register_share_routes(Router& r, CasesService& svc) {
  r.add(Method::kPost, "/api/v1/cases/{id}/shares", case_access(), [&svc](Request& req) {
    const auto body = req.json_object();
    if (!body.contains("email") || !body["email"].is_string())
      throw ApiError(ErrorCode::kValidationFailed, "'email' must be an email address");
    // An address with no account is mailed an invitation: it must be one SMTP can carry.
    if (auto problem = email_problem(body["email"].get<std::string>()))
      throw ApiError(ErrorCode::kValidationFailed, *problem);
    return Response::json(svc.share(req, path_id(req, "id", "case id"), body["email"]), 201);
  });

  // The owner's list: every share with its recipient's email (the owner chose them).
  r.add(Method::kGet, "/api/v1/cases/{id}/shares", case_access(), [&svc](Request& req) {
    const auto me = svc.caller(req);
    const auto id = path_id(req, "id", "case id");
    return Response::json(svc.db().transact([&](Tx& tx) {
      svc.access(tx, id, me, true, true);
      nlohmann::json list = nlohmann::json::array();
      for (const auto& s : svc.store().shares_of_case(tx, id)) {
        auto j = share_json(s);
        j["requested_by"] = s.requested_by_subject == me.subject ? "owner" : "recipient";
        const auto email = svc.recipient_email(tx, s);
        j["recipient_email"] = email ? nlohmann::json(*email) : nlohmann::json();
        list.push_back(j);
      }
      return nlohmann::json{{"shares", list}};
    }));
  });

  // Invitations to the caller (pending) and the cases they accepted.
  r.add(Method::kGet, "/api/v1/cases/shares", case_access(), [&svc](Request& req) {
    const auto me = svc.caller(req);
    return Response::json(svc.db().transact([&](Tx& tx) {
      nlohmann::json list = nlohmann::json::array();
      for (const char* status : {"pending", "accepted"}) {
        for (const auto& s : svc.store().shares_for(tx, me.subject, status)) {
          auto row = svc.store().find_case(tx, s.case_id);
          if (row && row->status != "deleted") list.push_back(share_json(s));
        }
      }
      return nlohmann::json{{"shares", list}};
    }));
  });

  r.add(Method::kPost, "/api/v1/cases/shares/{share_id}/accept", case_access(),
        [&svc](Request& req) {
          return Response::json(svc.accept_share(req, path_id(req, "share_id", "share id")));
        });

  r.add(Method::kPost, "/api/v1/cases/{id}/shares/{share_id}/approve", case_access(),
        [&svc](Request& req) {
          return Response::json(svc.approve_share(req, path_id(req, "id", "case id"),
                                                  path_id(req, "share_id", "share id")));
        });

  r.add(
      Method::kDelete, "/api/v1/cases/{id}/shares/{share_id}", case_access(), [&svc](Request& req) {
        svc.revoke_share(req, path_id(req, "id", "case id"), path_id(req, "share_id", "share id"));
        return Response::no_content();
      });
}

}  // namespace carehub::cases
