#include "carehub/tickets.hpp"

#include <nlohmann/json.hpp>

#include "carehub/hash.hpp"
#include "carehub/json.hpp"

namespace carehub {
namespace {

nlohmann::json to_json(const Principal& p) {
  return {{"kind", p.kind == Principal::Kind::kUser ? "user" : "token"},
          {"subject", p.subject},
          {"email", p.email},
          {"roles", p.roles},
          {"scopes", p.scopes},
          {"token_generation",
           p.token_generation ? nlohmann::json(*p.token_generation) : nlohmann::json()}};
}

Principal from_json(const nlohmann::json& j) {
  Principal p;
  p.kind = j.at("kind") == "user" ? Principal::Kind::kUser : Principal::Kind::kApiToken;
  p.subject = j.at("subject");
  p.email = j.at("email");
  p.roles = j.at("roles").get<std::vector<std::string>>();
  p.scopes = j.at("scopes").get<std::vector<std::string>>();
  if (const auto& g = j.at("token_generation"); !g.is_null())
    p.token_generation = g.get<std::int64_t>();
  return p;
}

}  // namespace

std::string TicketStore::issue(const Principal& principal, std::string_view purpose,
                               std::chrono::seconds ttl) {
  const std::string secret = random_hex(32);
  const std::int64_t now = clock_.now_ms();
  db_.transact([&](Tx& tx) {
    tx.exec(
        "INSERT INTO tickets (hash, purpose, principal, created_at_ms, expires_at_ms) VALUES ($1, "
        "$2, $3, $4, $5)",
        {sha256_hex(secret), std::string(purpose), to_json(principal).dump(), now,
         now + std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count()});
  });
  return secret;
}

std::optional<Principal> TicketStore::redeem(std::string_view secret, std::string_view purpose) {
  if (secret.size() != 64) return std::nullopt;
  const std::int64_t now = clock_.now_ms();
  auto row = db_.transact([&](Tx& tx) {
    return tx.query_one(
        "UPDATE tickets SET used_at_ms = $3 WHERE hash = $1 AND purpose = $2 AND used_at_ms IS "
        "NULL AND expires_at_ms > $3 RETURNING principal",
        {sha256_hex(secret), std::string(purpose), now});
  });
  if (!row) return std::nullopt;
  try {
    return from_json(parse_stored_json(row->text(0), "ticket"));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::int64_t TicketStore::purge() {
  const std::int64_t now = clock_.now_ms();
  return db_.transact([&](Tx& tx) {
    return tx.exec("DELETE FROM tickets WHERE used_at_ms IS NOT NULL OR expires_at_ms <= $1",
                   {now});
  });
}

}  // namespace carehub
