#include "cases/service.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "carehub/accounts.hpp"
#include "carehub/error.hpp"
#include "carehub/notifications.hpp"
#include "carehub/text_check.hpp"
#include "carehub/texts.hpp"

namespace carehub::cases {
namespace {

AuditEvent event(const Request& request, std::string action, std::int64_t case_id) {
  return AuditLog::from_request(request, std::move(action), "case", std::to_string(case_id));
}

}  // namespace

CasesService::CasesService(CasesSettings settings, ModuleContext& ctx)
    : settings_(std::move(settings)),
      db_(ctx.db),
      blobs_(ctx.blobs),
      audit_(ctx.audit),
      clock_(ctx.clock),
      services_(ctx.services),
      subject_key_(ctx.db, "cases.subjects"),
      link_key_(ctx.db, "cases.links") {
  for (const char* lang : {"en", "es"}) {
    auto text = shipped_text(std::string("cases/literals.") + lang + ".json");
    if (!text) throw std::logic_error(std::string("cases literals missing for ") + lang);
    shipped_literals_[lang] = nlohmann::json::parse(*text);
  }
}

Caller CasesService::caller(const Request& request) {
  const auto id = request.principal->user_id();
  if (!id) throw ApiError(ErrorCode::kForbidden, "medical cases belong to people, not API tokens");
  return Caller{*id, subject_key_.hash("user:" + std::to_string(*id)),
                request.principal->has_role("physician")};
}

std::string CasesService::subject_of(std::int64_t user_id) {
  return subject_key_.hash("user:" + std::to_string(user_id));
}

CaseAccess CasesService::access(Tx& tx, std::int64_t case_id, const Caller& caller, bool owner_only,
                                bool allow_deleted) {
  auto row = store_.find_case(tx, case_id);
  const auto not_found = [&] {
    return ApiError(ErrorCode::kNotFound, fmt::format("no case {}", case_id));
  };
  if (!row) throw not_found();
  if (row->subject == caller.subject) {
    if (row->status == "deleted" && !allow_deleted) throw not_found();
    return CaseAccess{*row, CaseRole::kOwner};
  }
  if (row->status == "deleted" || !store_.has_accepted_share(tx, case_id, caller.subject))
    throw not_found();
  if (owner_only) throw ApiError(ErrorCode::kForbidden, "only the case's owner may do this");
  return CaseAccess{*row, CaseRole::kRecipient};
}

nlohmann::json CasesService::case_json(Tx& tx, const CaseAccess& a) {
  const auto identity = store_.identity(tx, a.row.id);
  nlohmann::json patient = nlohmann::json::object();
  if (identity) {
    patient = {{"name", identity->patient_name},
               {"birth_date",
                identity->birth_date ? nlohmann::json(*identity->birth_date) : nlohmann::json()},
               {"gender", identity->gender ? nlohmann::json(*identity->gender) : nlohmann::json()}};
  }
  return {{"id", std::to_string(a.row.id)},
          {"status", a.row.status},
          {"role", a.role == CaseRole::kOwner ? "owner" : "recipient"},
          {"version", a.row.version},
          {"patient", patient},
          {"created_at", format_rfc3339_ms(a.row.created_at_ms)},
          {"updated_at", format_rfc3339_ms(a.row.updated_at_ms)}};
}

void CasesService::refresh_status(Tx& tx, std::int64_t case_id) {
  auto row = store_.find_case(tx, case_id);
  if (!row || row->status == "deleted") return;
  bool accepted = false, pending = false, awaiting = false, revoked = false;
  for (const auto& s : store_.shares_of_case(tx, case_id)) {
    accepted |= s.status == "accepted";
    pending |= s.status == "pending" || s.status == "invited";
    awaiting |= s.status == "awaiting_owner";
    revoked |= s.status == "revoked";
  }
  const std::string status = accepted   ? "shared"
                             : pending  ? "pending_shared"
                             : awaiting ? "sharing"
                             : revoked  ? "stop_shared"
                                        : "private";
  if (status != row->status) store_.set_status(tx, case_id, status, clock_.now_ms());
}

nlohmann::json CasesService::share(const Request& request, std::int64_t case_id,
                                   const std::string& email) {
  const auto me = caller(request);
  auto* accounts = services_.accounts.get();
  if (!accounts) throw ApiError(ErrorCode::kUnavailable, "accounts are not available");
  const auto address = ascii_lower(email);
  return db_.transact([&](Tx& tx) -> nlohmann::json {
    const auto a = access(tx, case_id, me, false, true);
    if (a.row.status == "deleted")
      throw ApiError(ErrorCode::kConflict, say(tx, request, "error.share.deleted"));
    const bool by_owner = a.role == CaseRole::kOwner;
    auto recipient = accounts->find_by_email(tx, address);
    // An address with no account is invited to register as a physician; the share waits for it.
    if (!recipient) return share_with_address(tx, request, a, me, address);
    if (!recipient->active)
      throw ApiError(ErrorCode::kNotFound, say(tx, request, "error.share.no_account"));
    if (recipient->id == me.user_id)
      throw ApiError(ErrorCode::kValidationFailed, say(tx, request, "error.share.self"));
    const bool physician = std::find(recipient->roles.begin(), recipient->roles.end(),
                                     "physician") != recipient->roles.end();
    if (!physician) {
      throw ApiError(
          ErrorCode::kValidationFailed,
          say(tx, request, me.physician ? "error.share.physician_only" : "error.share.patient"));
    }
    const auto recipient_subject = subject_of(recipient->id);
    if (recipient_subject == a.row.subject)
      throw ApiError(ErrorCode::kConflict, "this person owns the case");
    for (const auto& s : store_.shares_of_case(tx, case_id)) {
      if (s.recipient_subject == recipient_subject && s.status != "revoked")
        throw ApiError(ErrorCode::kConflict, say(tx, request, "error.share.twice"));
    }
    const auto now = clock_.now_ms();
    const std::string status = by_owner ? "pending" : "awaiting_owner";
    const auto id = store_.add_share(tx, case_id, recipient_subject, recipient->id, me.subject,
                                     me.user_id, status, now);
    if (by_owner) {
      notify(tx, recipient->id, "invitation",
             {{"case_id", std::to_string(case_id)}, {"share_id", std::to_string(id)}});
    } else {
      const auto owner = store_.identity(tx, case_id)->owner_user_id;
      notify(tx, owner, "approval",
             {{"case_id", std::to_string(case_id)}, {"share_id", std::to_string(id)}});
    }
    refresh_status(tx, case_id);
    auto e = event(request, "case.share.create", case_id);
    e.detail = {{"share_id", id}, {"status", status}};
    audit_.record(tx, e);
    return {{"id", std::to_string(id)},
            {"case_id", std::to_string(case_id)},
            {"status", status},
            {"recipient_email", address}};
  });
}

nlohmann::json CasesService::share_with_address(Tx& tx, const Request& request, const CaseAccess& a,
                                                const Caller& me, const std::string& address) {
  for (const auto& s : store_.shares_of_case(tx, a.row.id)) {
    if (s.invited_email == address && s.status != "revoked")
      throw ApiError(ErrorCode::kConflict, say(tx, request, "error.share.twice"));
  }
  // Only a physician may receive a case; a patient sharing it on is refused as for an account.
  const bool by_owner = a.role == CaseRole::kOwner;
  const std::string status = by_owner ? "invited" : "awaiting_owner";
  const auto id =
      store_.add_share(tx, a.row.id, "", 0, me.subject, me.user_id, status, clock_.now_ms());
  store_.add_invite(tx, id, address);
  if (by_owner) {
    services_.accounts.get()->invite(tx, address, "physician", "case_invitation",
                                     language_of(request));
  } else {
    notify(tx, store_.identity(tx, a.row.id)->owner_user_id, "approval",
           {{"case_id", std::to_string(a.row.id)}, {"share_id", std::to_string(id)}});
  }
  refresh_status(tx, a.row.id);
  auto e = event(request, "case.share.create", a.row.id);
  e.detail = {{"share_id", id}, {"status", status}, {"invited", true}};
  audit_.record(tx, e);
  return {{"id", std::to_string(id)},
          {"case_id", std::to_string(a.row.id)},
          {"status", status},
          {"recipient_email", address}};
}

void CasesService::address_confirmed(Tx& tx, const AccountInfo& account) {
  if (!account.email || !account.active) return;
  if (std::find(account.roles.begin(), account.roles.end(), "physician") == account.roles.end())
    return;  // a case is shared with physicians only; the share keeps waiting
  const auto subject = subject_of(account.id);
  const auto now = clock_.now_ms();
  for (const auto& s : store_.invited_shares(tx, ascii_lower(*account.email))) {
    auto row = store_.find_case(tx, s.case_id);
    if (!row || row->status == "deleted" || row->subject == subject) continue;
    if (!store_.bind_invited_share(tx, s.id, subject, account.id, now)) continue;
    notify(tx, account.id, "invitation",
           {{"case_id", std::to_string(s.case_id)}, {"share_id", std::to_string(s.id)}});
    refresh_status(tx, s.case_id);
    AuditEvent e;
    e.actor = "user:" + std::to_string(account.id);
    e.action = "case.share.invitation_joined";
    e.resource_type = "case";
    e.resource_id = std::to_string(s.case_id);
    e.detail = {{"share_id", s.id}};
    audit_.record(tx, e);
  }
}

std::optional<std::string> CasesService::recipient_email(Tx& tx, const ShareRow& share) {
  if (share.recipient_user_id == 0) return share.invited_email;
  if (auto* accounts = services_.accounts.get()) {
    if (auto account = accounts->find(tx, share.recipient_user_id)) return account->email;
  }
  return share.invited_email;
}

nlohmann::json CasesService::approve_share(const Request& request, std::int64_t case_id,
                                           std::int64_t share_id) {
  const auto me = caller(request);
  return db_.transact([&](Tx& tx) -> nlohmann::json {
    access(tx, case_id, me, true);
    auto s = store_.share(tx, share_id);
    if (!s || s->case_id != case_id)
      throw ApiError(ErrorCode::kNotFound,
                     fmt::format("no share {} of case {}", share_id, case_id));
    // A share with an address that has no account goes on waiting for it, invited by mail.
    const bool address_only = s->recipient_user_id == 0 && s->invited_email;
    if (!store_.move_share(tx, share_id, "awaiting_owner", address_only ? "invited" : "pending",
                           clock_.now_ms()))
      throw ApiError(ErrorCode::kConflict, "this share is not waiting for approval");
    if (address_only) {
      if (auto* accounts = services_.accounts.get())
        accounts->invite(tx, *s->invited_email, "physician", "case_invitation",
                         language_of(request));
    } else {
      notify(tx, s->recipient_user_id, "invitation",
             {{"case_id", std::to_string(case_id)}, {"share_id", std::to_string(share_id)}});
    }
    refresh_status(tx, case_id);
    auto e = event(request, "case.share.approve", case_id);
    e.detail = {{"share_id", share_id}};
    audit_.record(tx, e);
    return {{"id", std::to_string(share_id)}, {"status", address_only ? "invited" : "pending"}};
  });
}

nlohmann::json CasesService::accept_share(const Request& request, std::int64_t share_id) {
  const auto me = caller(request);
  return db_.transact([&](Tx& tx) -> nlohmann::json {
    auto s = store_.share(tx, share_id);
    if (!s || s->recipient_subject != me.subject)
      throw ApiError(ErrorCode::kNotFound, fmt::format("no invitation {} for you", share_id));
    auto row = store_.find_case(tx, s->case_id);
    if (!row || row->status == "deleted")
      throw ApiError(ErrorCode::kNotFound, fmt::format("no invitation {} for you", share_id));
    if (!store_.move_share(tx, share_id, "pending", "accepted", clock_.now_ms())) {
      throw ApiError(ErrorCode::kConflict, s->status == "accepted"
                                               ? "this invitation is already accepted"
                                               : "this invitation is not open");
    }
    notify(tx, store_.identity(tx, s->case_id)->owner_user_id, "accepted",
           {{"case_id", std::to_string(s->case_id)}, {"share_id", std::to_string(share_id)}});
    refresh_status(tx, s->case_id);
    auto e = event(request, "case.share.accept", s->case_id);
    e.detail = {{"share_id", share_id}};
    audit_.record(tx, e);
    return {{"id", std::to_string(share_id)},
            {"case_id", std::to_string(s->case_id)},
            {"status", "accepted"}};
  });
}

void CasesService::revoke_share(const Request& request, std::int64_t case_id,
                                std::int64_t share_id) {
  const auto me = caller(request);
  db_.transact([&](Tx& tx) {
    access(tx, case_id, me, true);
    auto s = store_.share(tx, share_id);
    if (!s || s->case_id != case_id)
      throw ApiError(ErrorCode::kNotFound,
                     fmt::format("no share {} of case {}", share_id, case_id));
    if (s->status == "revoked")
      throw ApiError(ErrorCode::kConflict, "this share is already revoked");
    store_.move_share(tx, share_id, s->status, "revoked", clock_.now_ms());
    if (s->status == "accepted" || s->status == "pending")
      notify(tx, s->recipient_user_id, "revoked", {{"case_id", std::to_string(case_id)}});
    refresh_status(tx, case_id);
    auto e = event(request, "case.share.revoke", case_id);
    e.detail = {{"share_id", share_id}};
    audit_.record(tx, e);
  });
}

std::string CasesService::language_of(const Request& request) {
  const auto header = request.header("accept-language");
  if (!header) return "en";
  std::string tag;
  for (char c : *header) {
    if (c == ',' || c == ';' || c == '-' || c == '_') break;
    if (c != ' ') tag.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return known_language(tag) ? tag : "en";
}

std::string CasesService::say(Tx& tx, const Request& request, const std::string& key) {
  return literals(tx, language_of(request)).value(key, key);
}

std::string CasesService::say(const Request& request, const std::string& key) {
  return db_.transact([&](Tx& tx) { return say(tx, request, key); }, TxMode::kRead);
}

nlohmann::json CasesService::literals(Tx& tx, const std::string& lang) {
  auto it = shipped_literals_.find(lang);
  nlohmann::json out = it == shipped_literals_.end() ? nlohmann::json::object() : it->second;
  for (const auto& [key, text] : store_.literals(tx, lang)) out[key] = text;
  return out;
}

void CasesService::notify(Tx& tx, std::int64_t user_id, const std::string& kind,
                          const nlohmann::json& data) {
  auto* publisher = services_.notifications.get();
  if (!publisher) return;
  std::string lang = "en";
  if (auto* accounts = services_.accounts.get()) {
    if (auto account = accounts->find(tx, user_id)) lang = account->language;
  }
  const auto texts = literals(tx, lang);
  Notification n;
  n.user_id = user_id;
  n.type = "cases." + kind;
  n.title = texts.value("notification." + kind + ".title", kind);
  n.body = texts.value("notification." + kind + ".body", std::string());
  n.data = data;
  publisher->publish(tx, n);
}

void CasesService::load_keys() {
  subject_key_.get();
  link_key_.get();
}

}  // namespace carehub::cases
