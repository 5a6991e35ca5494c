#include "cases/store.hpp"

namespace carehub::cases {
namespace {

CaseRow case_from(const Row& r) {
  return CaseRow{r.integer(0), r.text(1), r.text(2), r.integer(3), r.integer(4), r.integer(5)};
}

constexpr const char* kCaseColumns =
    "c.id, c.subject, c.status, c.version, c.created_at_ms, c.updated_at_ms";

constexpr const char* kShareSelect =
    "SELECT s.id, s.case_id, s.recipient_subject, s.requested_by_subject, s.status, "
    "s.created_at_ms, s.updated_at_ms, p.recipient_user_id, p.requested_by_user_id, i.email "
    "FROM case_shares s JOIN case_share_people p ON p.share_id = s.id "
    "LEFT JOIN case_share_invites i ON i.share_id = s.id ";

ShareRow share_from(const Row& r) {
  ShareRow s;
  s.id = r.integer(0);
  s.case_id = r.integer(1);
  s.recipient_subject = r.text(2);
  s.requested_by_subject = r.text(3);
  s.status = r.text(4);
  s.created_at_ms = r.integer(5);
  s.updated_at_ms = r.integer(6);
  s.recipient_user_id = r.integer(7);
  s.requested_by_user_id = r.integer(8);
  if (!r.is_null(9)) s.invited_email = r.text(9);
  return s;
}

constexpr const char* kDocumentColumns =
    "id, case_id, name, content_type, size, sha256, blob_key, created_at_ms";

DocumentRow document_from(const Row& r) {
  return DocumentRow{r.integer(0), r.integer(1), r.text(2), r.text(3),
                     r.integer(4), r.text(5),    r.text(6), r.integer(7)};
}

}  // namespace

std::int64_t CasesStore::create_case(Tx& tx, const std::string& subject, std::int64_t owner_user_id,
                                     const Identity& identity, std::int64_t now_ms) {
  const auto id = tx.query_one(
                        "INSERT INTO cases (subject, status, version, created_at_ms, "
                        "updated_at_ms) VALUES ($1, 'private', 1, $2, $2) RETURNING id",
                        {subject, now_ms})
                      ->integer(0);
  tx.exec(
      "INSERT INTO case_identities (case_id, owner_user_id, patient_name, birth_date, gender) "
      "VALUES ($1, $2, $3, $4, $5)",
      {id, owner_user_id, identity.patient_name, nullable(identity.birth_date),
       nullable(identity.gender)});
  return id;
}

std::optional<CaseRow> CasesStore::find_case(Tx& tx, std::int64_t id) {
  auto r =
      tx.query_one(std::string("SELECT ") + kCaseColumns + " FROM cases c WHERE c.id = $1", {id});
  if (!r) return std::nullopt;
  return case_from(*r);
}

std::optional<Identity> CasesStore::identity(Tx& tx, std::int64_t case_id) {
  auto r = tx.query_one(
      "SELECT owner_user_id, patient_name, birth_date, gender FROM case_identities "
      "WHERE case_id = $1",
      {case_id});
  if (!r) return std::nullopt;
  return Identity{r->integer(0), r->text(1), r->opt_text(2), r->opt_text(3)};
}

void CasesStore::update_identity(Tx& tx, std::int64_t case_id, const Identity& identity) {
  tx.exec(
      "UPDATE case_identities SET patient_name = $2, birth_date = $3, gender = $4 "
      "WHERE case_id = $1",
      {case_id, identity.patient_name, nullable(identity.birth_date), nullable(identity.gender)});
}

bool CasesStore::touch_case(Tx& tx, std::int64_t id, std::optional<std::int64_t> expected,
                            std::int64_t now_ms) {
  if (expected) {
    return tx.exec(
               "UPDATE cases SET version = version + 1, updated_at_ms = $2 WHERE id = $1 AND "
               "version = $3",
               {id, now_ms, *expected}) == 1;
  }
  return tx.exec("UPDATE cases SET version = version + 1, updated_at_ms = $2 WHERE id = $1",
                 {id, now_ms}) == 1;
}

void CasesStore::set_status(Tx& tx, std::int64_t id, const std::string& status,
                            std::int64_t now_ms) {
  tx.exec("UPDATE cases SET status = $2, version = version + 1, updated_at_ms = $3 WHERE id = $1",
          {id, status, now_ms});
}

std::vector<CaseRow> CasesStore::cases_of(Tx& tx, const std::string& subject) {
  std::vector<CaseRow> out;
  for (const auto& r : tx.query(
           std::string("SELECT ") + kCaseColumns +
               " FROM cases c WHERE c.subject = $1 OR (c.status <> 'deleted' AND EXISTS ("
               "SELECT 1 FROM case_shares s WHERE s.case_id = c.id AND s.recipient_subject = $1 "
               "AND s.status = 'accepted')) ORDER BY c.id",
           {subject})) {
    out.push_back(case_from(r));
  }
  return out;
}

std::optional<GroupRow> CasesStore::group(Tx& tx, std::int64_t case_id, const std::string& type) {
  auto r = tx.query_one(
      "SELECT data, version, updated_at_ms FROM case_groups WHERE case_id = $1 AND type = $2",
      {case_id, type});
  if (!r) return std::nullopt;
  return GroupRow{r->text(0), r->integer(1), r->integer(2)};
}

bool CasesStore::put_group(Tx& tx, std::int64_t case_id, const std::string& type,
                           const std::string& data, std::optional<std::int64_t> expected,
                           std::int64_t now_ms) {
  const auto current = group(tx, case_id, type);
  if (expected && *expected != (current ? current->version : 0)) return false;
  if (!current) {
    tx.exec(
        "INSERT INTO case_groups (case_id, type, data, version, updated_at_ms) "
        "VALUES ($1, $2, $3, 1, $4)",
        {case_id, type, data, now_ms});
    return true;
  }
  return tx.exec(
             "UPDATE case_groups SET data = $3, version = version + 1, updated_at_ms = $4 "
             "WHERE case_id = $1 AND type = $2 AND version = $5",
             {case_id, type, data, now_ms, current->version}) == 1;
}

void CasesStore::delete_groups(Tx& tx, std::int64_t case_id) {
  tx.exec("DELETE FROM case_groups WHERE case_id = $1", {case_id});
}

std::int64_t CasesStore::add_share(Tx& tx, std::int64_t case_id,
                                   const std::string& recipient_subject,
                                   std::int64_t recipient_user_id,
                                   const std::string& requested_by_subject,
                                   std::int64_t requested_by_user_id, const std::string& status,
                                   std::int64_t now_ms) {
  const auto id = tx.query_one(
                        "INSERT INTO case_shares (case_id, recipient_subject, "
                        "requested_by_subject, status, created_at_ms, updated_at_ms) "
                        "VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                        {case_id, recipient_subject, requested_by_subject, status, now_ms})
                      ->integer(0);
  tx.exec(
      "INSERT INTO case_share_people (share_id, recipient_user_id, requested_by_user_id) "
      "VALUES ($1, $2, $3)",
      {id, recipient_user_id, requested_by_user_id});
  return id;
}

std::optional<ShareRow> CasesStore::share(Tx& tx, std::int64_t share_id) {
  auto r = tx.query_one(std::string(kShareSelect) + "WHERE s.id = $1", {share_id});
  if (!r) return std::nullopt;
  return share_from(*r);
}

std::vector<ShareRow> CasesStore::shares_of_case(Tx& tx, std::int64_t case_id) {
  std::vector<ShareRow> out;
  for (const auto& r :
       tx.query(std::string(kShareSelect) + "WHERE s.case_id = $1 ORDER BY s.id", {case_id}))
    out.push_back(share_from(r));
  return out;
}

std::vector<ShareRow> CasesStore::shares_for(Tx& tx, const std::string& recipient_subject,
                                             const std::string& status) {
  std::vector<ShareRow> out;
  for (const auto& r :
       tx.query(std::string(kShareSelect) +
                    "WHERE s.recipient_subject = $1 AND s.status = $2 ORDER BY s.id",
                {recipient_subject, status}))
    out.push_back(share_from(r));
  return out;
}

bool CasesStore::move_share(Tx& tx, std::int64_t share_id, const std::string& from,
                            const std::string& to, std::int64_t now_ms) {
  return tx.exec(
             "UPDATE case_shares SET status = $3, updated_at_ms = $4 WHERE id = $1 AND "
             "status = $2",
             {share_id, from, to, now_ms}) == 1;
}

void CasesStore::add_invite(Tx& tx, std::int64_t share_id, const std::string& email) {
  tx.exec("INSERT INTO case_share_invites (share_id, email) VALUES ($1, $2)", {share_id, email});
}

std::vector<ShareRow> CasesStore::invited_shares(Tx& tx, const std::string& email) {
  std::vector<ShareRow> out;
  for (const auto& r : tx.query(
           std::string(kShareSelect) + "WHERE i.email = $1 AND s.status = 'invited' ORDER BY s.id",
           {email}))
    out.push_back(share_from(r));
  return out;
}

bool CasesStore::bind_invited_share(Tx& tx, std::int64_t share_id,
                                    const std::string& recipient_subject,
                                    std::int64_t recipient_user_id, std::int64_t now_ms) {
  if (tx.exec("UPDATE case_shares SET recipient_subject = $2, status = 'pending', "
              "updated_at_ms = $3 WHERE id = $1 AND status = 'invited'",
              {share_id, recipient_subject, now_ms}) != 1)
    return false;
  tx.exec("UPDATE case_share_people SET recipient_user_id = $2 WHERE share_id = $1",
          {share_id, recipient_user_id});
  return true;
}

bool CasesStore::has_accepted_share(Tx& tx, std::int64_t case_id, const std::string& subject) {
  return tx
      .query_one(
          "SELECT 1 FROM case_shares WHERE case_id = $1 AND recipient_subject = $2 AND "
          "status = 'accepted'",
          {case_id, subject})
      .has_value();
}

void CasesStore::revoke_all_shares(Tx& tx, std::int64_t case_id, std::int64_t now_ms) {
  tx.exec(
      "UPDATE case_shares SET status = 'revoked', updated_at_ms = $2 WHERE case_id = $1 AND "
      "status <> 'revoked'",
      {case_id, now_ms});
}

std::int64_t CasesStore::add_document(Tx& tx, const DocumentRow& d) {
  return tx
      .query_one(
          "INSERT INTO case_documents (case_id, name, content_type, size, sha256, blob_key, "
          "created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
          {d.case_id, d.name, d.content_type, d.size, d.sha256, d.blob_key, d.created_at_ms})
      ->integer(0);
}

std::optional<DocumentRow> CasesStore::document(Tx& tx, std::int64_t case_id, std::int64_t doc_id) {
  auto r = tx.query_one(std::string("SELECT ") + kDocumentColumns +
                            " FROM case_documents WHERE id = $1 AND case_id = $2",
                        {doc_id, case_id});
  if (!r) return std::nullopt;
  return document_from(*r);
}

std::vector<DocumentRow> CasesStore::documents(Tx& tx, std::int64_t case_id) {
  std::vector<DocumentRow> out;
  for (const auto& r : tx.query(std::string("SELECT ") + kDocumentColumns +
                                    " FROM case_documents WHERE case_id = $1 ORDER BY id",
                                {case_id}))
    out.push_back(document_from(r));
  return out;
}

void CasesStore::delete_document(Tx& tx, std::int64_t doc_id) {
  tx.exec("DELETE FROM case_documents WHERE id = $1", {doc_id});
}

bool CasesStore::blob_key_indexed(Tx& tx, const std::string& key) {
  return tx.query_one("SELECT 1 FROM case_documents WHERE blob_key = $1", {key}).has_value();
}

std::map<std::string, std::string> CasesStore::literals(Tx& tx, const std::string& lang) {
  std::map<std::string, std::string> out;
  for (const auto& r : tx.query("SELECT key, text FROM i18n_literals WHERE lang = $1", {lang}))
    out[r.text(0)] = r.text(1);
  return out;
}

void CasesStore::put_literal(Tx& tx, const std::string& lang, const std::string& key,
                             const std::string& text, std::int64_t now_ms) {
  tx.exec(
      "INSERT INTO i18n_literals (lang, key, text, updated_at_ms) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (lang, key) DO UPDATE SET text = excluded.text, "
      "updated_at_ms = excluded.updated_at_ms",
      {lang, key, text, now_ms});
}

}  // namespace carehub::cases
