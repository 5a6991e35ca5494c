// The cases module's tables: personal (case_identities, case_share_people) and medical (cases,
// case_groups, case_shares, case_documents), and the literals admins changed. SQL lives here and
// nowhere else in the module; every function runs inside the caller's transaction.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "carehub/db.hpp"

namespace carehub::cases {

struct Identity {
  std::int64_t owner_user_id = 0;
  std::string patient_name;
  std::optional<std::string> birth_date, gender;
};

struct CaseRow {
  std::int64_t id = 0;
  std::string subject;  // the owner's pseudonym
  std::string status;   // private, pending_shared, shared, sharing, stop_shared, deleted
  std::int64_t version = 0;
  std::int64_t created_at_ms = 0, updated_at_ms = 0;
};

struct GroupRow {
  std::string data;  // JSON text
  std::int64_t version = 0;
  std::int64_t updated_at_ms = 0;
};

struct ShareRow {
  std::int64_t id = 0;
  std::int64_t case_id = 0;
  std::string recipient_subject, requested_by_subject;
  // invited (an address with no account yet), awaiting_owner, pending, accepted, revoked
  std::string status;
  std::int64_t created_at_ms = 0, updated_at_ms = 0;
  // From the personal tables. An invited address has no account (recipient_user_id 0, the
  // recipient_subject empty) until one proves it; the address stays recorded after.
  std::int64_t recipient_user_id = 0, requested_by_user_id = 0;
  std::optional<std::string> invited_email;
};

struct DocumentRow {
  std::int64_t id = 0;
  std::int64_t case_id = 0;
  std::string name, content_type;
  std::int64_t size = 0;
  std::string sha256, blob_key;
  std::int64_t created_at_ms = 0;
};

class CasesStore {
 public:
  std::int64_t create_case(Tx& tx, const std::string& subject, std::int64_t owner_user_id,
                           const Identity& identity, std::int64_t now_ms);
  std::optional<CaseRow> find_case(Tx& tx, std::int64_t id);
  std::optional<Identity> identity(Tx& tx, std::int64_t case_id);
  void update_identity(Tx& tx, std::int64_t case_id, const Identity& identity);
  // Bumps the version; false when expected_version is given and is not the current one.
  bool touch_case(Tx& tx, std::int64_t id, std::optional<std::int64_t> expected_version,
                  std::int64_t now_ms);
  void set_status(Tx& tx, std::int64_t id, const std::string& status, std::int64_t now_ms);
  // Owned by subject, or shared with it (accepted), not deleted for the latter.
  std::vector<CaseRow> cases_of(Tx& tx, const std::string& subject);

  std::optional<GroupRow> group(Tx& tx, std::int64_t case_id, const std::string& type);
  // Writes the group; false when expected_version is given and differs (0: not written yet).
  bool put_group(Tx& tx, std::int64_t case_id, const std::string& type, const std::string& data,
                 std::optional<std::int64_t> expected_version, std::int64_t now_ms);
  void delete_groups(Tx& tx, std::int64_t case_id);

  std::int64_t add_share(Tx& tx, std::int64_t case_id, const std::string& recipient_subject,
                         std::int64_t recipient_user_id, const std::string& requested_by_subject,
                         std::int64_t requested_by_user_id, const std::string& status,
                         std::int64_t now_ms);
  std::optional<ShareRow> share(Tx& tx, std::int64_t share_id);
  std::vector<ShareRow> shares_of_case(Tx& tx, std::int64_t case_id);
  std::vector<ShareRow> shares_for(Tx& tx, const std::string& recipient_subject,
                                   const std::string& status);
  // Moves a share from one status to another by one conditional update; false when it was not in
  // `from` any more.
  bool move_share(Tx& tx, std::int64_t share_id, const std::string& from, const std::string& to,
                  std::int64_t now_ms);
  // Shares with an address that has no account (case_share_invites, the address lower-cased):
  // recording one; those still waiting for an address; one given to the account that proved it
  // (false when it was no longer waiting).
  void add_invite(Tx& tx, std::int64_t share_id, const std::string& email);
  std::vector<ShareRow> invited_shares(Tx& tx, const std::string& email);
  bool bind_invited_share(Tx& tx, std::int64_t share_id, const std::string& recipient_subject,
                          std::int64_t recipient_user_id, std::int64_t now_ms);
  bool has_accepted_share(Tx& tx, std::int64_t case_id, const std::string& subject);
  void revoke_all_shares(Tx& tx, std::int64_t case_id, std::int64_t now_ms);

  std::int64_t add_document(Tx& tx, const DocumentRow& doc);
  std::optional<DocumentRow> document(Tx& tx, std::int64_t case_id, std::int64_t doc_id);
  std::vector<DocumentRow> documents(Tx& tx, std::int64_t case_id);
  void delete_document(Tx& tx, std::int64_t doc_id);
  bool blob_key_indexed(Tx& tx, const std::string& key);

  std::map<std::string, std::string> literals(Tx& tx, const std::string& lang);
  void put_literal(Tx& tx, const std::string& lang, const std::string& key, const std::string& text,
                   std::int64_t now_ms);
};

}  // namespace carehub::cases
