// Medical cases: who may see and change a case, its pseudonymous subjects, sharing under Dx29's
// rules, documents and their signed links, literals per language. Routes call it; SQL is in the
// store.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "carehub/accounts.hpp"
#include "carehub/download.hpp"
#include "carehub/module.hpp"
#include "carehub/server_keys.hpp"
#include "cases/store.hpp"

namespace carehub::cases {

struct CasesSettings {
  std::uint64_t max_document_bytes = 2ULL << 30;
  std::int64_t link_ttl_ms = 300'000;
  std::size_t group_max_bytes = 1 << 20;
  std::string upload_dir;
};

enum class CaseRole { kOwner, kRecipient };

struct CaseAccess {
  CaseRow row;
  CaseRole role = CaseRole::kOwner;
};

struct IssuedLink {
  std::string url;  // the path with its query
  std::int64_t expires_ms = 0;
};

// The caller as the cases module sees them: account id, pseudonym, roles.
struct Caller {
  std::int64_t user_id = 0;
  std::string subject;
  bool physician = false;
};

class CasesService final : public AddressConfirmations {
 public:
  CasesService(CasesSettings settings, ModuleContext& ctx);
  // Reads (or makes) the server keys, so no request's unit of work is the first to.
  void load_keys();

  const CasesSettings& settings() const { return settings_; }
  Database& db() { return db_; }
  BlobStore& blobs() { return blobs_; }
  AuditLog& audit() { return audit_; }
  const Clock& clock() const { return clock_; }
  CasesStore& store() { return store_; }

  // The signed-in caller, with their pseudonym computed before any unit of work (the server key
  // may be read on first use). 403 for API tokens.
  Caller caller(const Request& request);
  // A pseudonym inside a unit of work (the key is loaded by then: caller() ran first).
  std::string subject_of(std::int64_t user_id);

  // Inside tx: the case as the caller may use it. 404 when it does not exist or the caller has
  // no access (not revealing which); a deleted case only for its owner and only when
  // allow_deleted; 403 when owner_only and the caller is a recipient.
  CaseAccess access(Tx& tx, std::int64_t case_id, const Caller& caller, bool owner_only,
                    bool allow_deleted = false);
  nlohmann::json case_json(Tx& tx, const CaseAccess& access);

  // Shares (Dx29's rules; see README).
  nlohmann::json share(const Request& request, std::int64_t case_id, const std::string& email);
  nlohmann::json approve_share(const Request& request, std::int64_t case_id, std::int64_t share_id);
  nlohmann::json accept_share(const Request& request, std::int64_t share_id);
  void revoke_share(const Request& request, std::int64_t case_id, std::int64_t share_id);
  // An account proved its address (carehub/accounts.hpp): the shares waiting for that address
  // become its invitations (pending), when it is a physician's.
  void address_confirmed(Tx& tx, const AccountInfo& account) override;
  // Whom a share is for, as its owner chose them: the account's email, or the invited address.
  std::optional<std::string> recipient_email(Tx& tx, const ShareRow& share);
  // Recomputes the owner's view of the status from the shares (never for a deleted case).
  void refresh_status(Tx& tx, std::int64_t case_id);

  // Signed download links (links.cpp): one for the caller to a document of a case they may
  // read, audited; and the document a presented link leads to, every check passed and the
  // download audited (ApiError otherwise).
  IssuedLink issue_link(const Request& request, const Caller& me, std::int64_t case_id,
                        std::int64_t doc_id);
  Download open_link(const Request& request, std::int64_t case_id, std::int64_t doc_id);

  // The language of the person making the request: the first tag of Accept-Language when it is
  // en or es, else en.
  static std::string language_of(const Request& request);
  // A literal in the request's language (the key itself when no file has it): what people read in
  // error answers. Inside tx, or in a read of its own.
  std::string say(Tx& tx, const Request& request, const std::string& key);
  std::string say(const Request& request, const std::string& key);

  // Literals: the shipped file for lang with an admin's changes over it.
  nlohmann::json literals(Tx& tx, const std::string& lang);
  static bool known_language(const std::string& lang) { return lang == "en" || lang == "es"; }
  // Publishes a notification of kind (invitation, approval, accepted, revoked, document) to user,
  // in their language, inside tx. Nothing when the notify module is off.
  void notify(Tx& tx, std::int64_t user_id, const std::string& kind, const nlohmann::json& data);

 private:
  // share() for an address that has no account: the share waits for one (invited), the address
  // mailed an invitation to register as a physician (or, shared on by a recipient, after the
  // owner's approval).
  nlohmann::json share_with_address(Tx& tx, const Request& request, const CaseAccess& a,
                                    const Caller& me, const std::string& address);

  CasesSettings settings_;
  Database& db_;
  BlobStore& blobs_;
  AuditLog& audit_;
  const Clock& clock_;
  Services& services_;
  CasesStore store_;
  ServerKey subject_key_, link_key_;
  std::map<std::string, nlohmann::json> shipped_literals_;  // by language, parsed once
};

// A positive id from the path parameter `name` (404 otherwise: an id that cannot exist).
inline std::int64_t path_id(const Request& request, const char* name, const char* what) {
  return parse_positive_id(request.param(name), what, ErrorCode::kNotFound);
}

// Who may call the cases routes: patients and physicians (an admin has no access to medical data).
Access case_access();

void register_case_routes(Router& router, CasesService& service);
void register_share_routes(Router& router, CasesService& service);
void register_document_routes(Router& router, CasesService& service);
void register_i18n_routes(Router& router, CasesService& service);

}  // namespace carehub::cases
