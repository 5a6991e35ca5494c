// Texts for people, per language: the literals the apps show (public to read; only an admin may
// change them, which Dx29 left open to anyone) and legal documents.
#include <fmt/format.h>

#include "carehub/error.hpp"
#include "carehub/text_check.hpp"
#include "carehub/texts.hpp"
#include "cases/service.hpp"

namespace carehub::cases {
namespace {

std::string lang_of(const Request& req) {
  const auto lang = req.query_param("lang").value_or("en");
  if (!CasesService::known_language(lang))
    throw ApiError(ErrorCode::kBadRequest, "lang must be en or es");
  return lang;
}

}  // namespace

void register_i18n_routes(Router& r, CasesService& svc) {
  r.add(Method::kGet, "/api/v1/i18n/literals", Access::open(), [&svc](Request& req) {
    const auto lang = lang_of(req);
    auto literals =
        svc.db().transact([&](Tx& tx) { return svc.literals(tx, lang); }, TxMode::kRead);
    return Response::json({{"lang", lang}, {"literals", literals}});
  });

  r.add(Method::kPut, "/api/v1/i18n/literals", Access::admin(), [&svc](Request& req) {
    const auto body = req.json_object();
    if (!body.contains("lang") || !body["lang"].is_string() ||
        !CasesService::known_language(body["lang"]))
      throw ApiError(ErrorCode::kValidationFailed, "'lang' must be en or es");
    const std::string lang = body["lang"];
    if (!body.contains("literals") || !body["literals"].is_object() || body["literals"].empty())
      throw ApiError(ErrorCode::kValidationFailed, "'literals' must be an object of key: text");
    for (const auto& [key, text] : body["literals"].items()) {
      if (key.empty() || key.size() > 200 || !text.is_string() ||
          text.get<std::string>().size() > 10000)
        throw ApiError(ErrorCode::kValidationFailed,
                       fmt::format("literal '{}' must be a text of at most 10,000 bytes under a "
                                   "key of 1 to 200 bytes",
                                   key.substr(0, 200)));
    }
    // Literals become notification titles and error answers people read; some span lines.
    if (auto problem = json_text_problem(body["literals"], TextKind::kLines))
      throw ApiError(ErrorCode::kValidationFailed, "literals" + *problem);
    auto literals = svc.db().transact([&](Tx& tx) {
      const auto now = svc.clock().now_ms();
      for (const auto& [key, text] : body["literals"].items())
        svc.store().put_literal(tx, lang, key, text, now);
      auto e = AuditLog::from_request(req, "i18n.literals.update", "i18n", lang);
      e.detail = {{"keys", body["literals"].size()}};
      svc.audit().record(tx, e);
      return svc.literals(tx, lang);
    });
    return Response::json({{"lang", lang}, {"literals", literals}});
  });

  r.add(Method::kGet, "/api/v1/i18n/documents/{name}", Access::open(), [](Request& req) {
    const auto lang = lang_of(req);
    const auto& name = req.param("name");
    if (name != "privacy" && name != "terms")
      throw ApiError(ErrorCode::kNotFound, "no such document: privacy or terms");
    auto text = shipped_text("legal/" + name + "." + lang + ".md");
    if (!text) throw ApiError(ErrorCode::kNotFound, "no document '" + name + "' in " + lang);
    return Response::text(std::string(*text), "text/markdown; charset=utf-8")
        .with_header("Content-Language", lang);
  });
}

}  // namespace carehub::cases
