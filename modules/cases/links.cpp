// Signed download links: a URL that reaches one document without a session, for a person's own
// browser (a download the page cannot attach an Authorization header to). What a link says is
// signed with the server's link key: case, document, signer, when it was issued, when it expires
// and the signer's token generation then. It stops working on expiry, when the signer loses
// access to the case (share revoked, case or document deleted), when the signer's account is
// disabled, and when their credentials are revoked (sign-out, password or role change), exactly
// as their access tokens do. Its lifetime can never exceed cases.link_ttl_s, whatever a forger
// who knew the key chose: the issue time is signed and the gap checked.
#include <fmt/format.h>
#include <openssl/crypto.h>

#include <charconv>

#include "carehub/accounts.hpp"
#include "carehub/error.hpp"
#include "cases/service.hpp"

namespace carehub::cases {
namespace {

// A replica's clock may run a little ahead of the one that issued a link.
constexpr std::int64_t kClockSkewMs = 60'000;

struct LinkFields {
  std::int64_t user = 0, issued = 0, expires = 0, generation = 0;
};

std::string signed_text(std::int64_t case_id, std::int64_t doc_id, const LinkFields& f) {
  return fmt::format("link-v2:{}:{}:{}:{}:{}:{}", case_id, doc_id, f.user, f.issued, f.expires,
                     f.generation);
}

}  // namespace

IssuedLink CasesService::issue_link(const Request& request, const Caller& me, std::int64_t case_id,
                                    std::int64_t doc_id) {
  auto* accounts = services_.accounts.get();
  if (!accounts) throw ApiError(ErrorCode::kUnavailable, "accounts are not available");
  LinkFields f;
  f.user = me.user_id;
  f.issued = clock_.now_ms();
  f.expires = f.issued + settings_.link_ttl_ms;
  db_.transact([&](Tx& tx) {
    access(tx, case_id, me, false);
    if (!store_.document(tx, case_id, doc_id))
      throw ApiError(ErrorCode::kNotFound, fmt::format("no document {}", doc_id));
    const auto account = accounts->find(tx, me.user_id);
    if (!account || !account->active)
      throw ApiError(ErrorCode::kForbidden, "this account is disabled");
    f.generation = account->token_generation;
    auto e = AuditLog::from_request(request, "case.document.link", "case", std::to_string(case_id));
    e.detail = {{"document_id", doc_id}};
    audit_.record(tx, e);
  });
  const auto signature = link_key_.hash(signed_text(case_id, doc_id, f));
  return {fmt::format("/api/v1/cases/{}/documents/{}/content?user={}&issued={}&expires={}&gen={}"
                      "&signature={}",
                      case_id, doc_id, f.user, f.issued, f.expires, f.generation, signature),
          f.expires};
}

Download CasesService::open_link(const Request& request, std::int64_t case_id,
                                 std::int64_t doc_id) {
  const auto invalid = [&] {
    return ApiError(ErrorCode::kForbidden, say(request, "error.link.invalid"));
  };
  const auto gone = [] {
    return ApiError(ErrorCode::kNotFound, "this link no longer leads anywhere");
  };
  const auto number = [&](const char* name) {
    const auto v = request.query_param(name);
    std::int64_t n = 0;
    if (!v) throw invalid();
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc{} || end != v->data() + v->size()) throw invalid();
    return n;
  };
  LinkFields f;
  f.user = number("user");
  f.issued = number("issued");
  f.expires = number("expires");
  f.generation = number("gen");
  const auto want = link_key_.hash(signed_text(case_id, doc_id, f));
  const auto signature = request.query_param("signature").value_or("");
  if (signature.size() != want.size() ||
      CRYPTO_memcmp(signature.data(), want.data(), want.size()) != 0)
    throw invalid();
  const std::int64_t now = clock_.now_ms();
  if (f.expires <= f.issued || f.expires - f.issued > settings_.link_ttl_ms ||
      f.issued > now + kClockSkewMs)
    throw invalid();
  if (now >= f.expires) throw ApiError(ErrorCode::kGone, say(request, "error.link.expired"));
  auto* accounts = services_.accounts.get();
  if (!accounts) throw ApiError(ErrorCode::kUnavailable, "accounts are not available");
  const Caller signer{f.user, subject_of(f.user), false};
  const auto doc = db_.transact([&](Tx& tx) {
    const auto account = accounts->find(tx, f.user);
    if (!account || !account->active || account->token_generation != f.generation) throw gone();
    try {
      access(tx, case_id, signer, false);
    } catch (const ApiError&) {
      throw gone();
    }
    auto d = store_.document(tx, case_id, doc_id);
    if (!d) throw gone();
    AuditEvent e =
        AuditLog::from_request(request, "case.document.download", "case", std::to_string(case_id));
    e.actor = "user:" + std::to_string(f.user);
    e.detail = {{"document_id", doc_id}, {"via", "signed link"}};
    audit_.record(tx, e);
    return *d;
  });
  return Download{doc.blob_key, static_cast<std::uint64_t>(doc.size), doc.sha256, doc.content_type,
                  doc.name};
}

}  // namespace carehub::cases
