// Cases and their resource groups. The owner writes; an accepted recipient reads the owner's
// current data (never a copy); anyone else gets 404, as if the case did not exist.
#include <fmt/format.h>

#include <regex>

#include "carehub/error.hpp"
#include "carehub/json.hpp"
#include "carehub/text_check.hpp"
#include "cases/service.hpp"

namespace carehub::cases {
namespace {

const std::vector<std::string> kGroupTypes = {"reports",  "phenotype", "genotype",
                                              "diseases", "notes",     "timeline"};
const std::vector<std::string> kGenders = {"female", "male", "other", "unknown"};

nlohmann::json empty_group(const std::string& type) {
  if (type == "reports")
    return {{"medical", nlohmann::json::array()}, {"genetic", nlohmann::json::array()}};
  if (type == "phenotype") return {{"terms", nlohmann::json::array()}};
  return nlohmann::json::array();
}

bool all_objects(const nlohmann::json& list) {
  return list.is_array() &&
         std::all_of(list.begin(), list.end(), [](const auto& e) { return e.is_object(); });
}

// Throws 422 saying what is wrong with a group's data.
void check_group(const std::string& type, const nlohmann::json& data) {
  if (type == "reports") {
    if (!data.is_object())
      throw ApiError(ErrorCode::kValidationFailed,
                     "reports must be {medical: [...], genetic: [...]}");
    for (const auto& [key, value] : data.items()) {
      if (key != "medical" && key != "genetic")
        throw ApiError(ErrorCode::kValidationFailed, "reports has only 'medical' and 'genetic'");
      if (!all_objects(value))
        throw ApiError(ErrorCode::kValidationFailed,
                       "reports." + key + " must be a list of objects");
    }
  } else if (type == "phenotype") {
    static const std::regex kHpo("^HP:[0-9]{7}$");
    if (!data.is_object() || !data.contains("terms") || !all_objects(data["terms"]))
      throw ApiError(ErrorCode::kValidationFailed, "phenotype must be {terms: [{id, name}]}");
    std::size_t i = 0;
    for (const auto& t : data["terms"]) {
      if (!t.contains("id") || !t["id"].is_string() ||
          !std::regex_match(t["id"].get<std::string>(), kHpo)) {
        throw ApiError(ErrorCode::kValidationFailed,
                       fmt::format("phenotype.terms[{}].id must be an HPO id like HP:0001250", i));
      }
      ++i;
    }
  } else if (!all_objects(data)) {
    throw ApiError(ErrorCode::kValidationFailed, type + " must be a list of objects");
  }
  // Notes and reports are free text over lines; control characters are refused all the same.
  if (auto problem = json_text_problem(data, TextKind::kLines))
    throw ApiError(ErrorCode::kValidationFailed, type + *problem);
}

std::optional<std::string> optional_text(const nlohmann::json& o, const char* key,
                                         std::size_t max) {
  if (!o.contains(key) || o[key].is_null()) return std::nullopt;
  if (!o[key].is_string() || o[key].get<std::string>().size() > max)
    throw ApiError(ErrorCode::kValidationFailed,
                   fmt::format("patient.{} must be a string of at most {} bytes", key, max));
  return o[key].get<std::string>();
}

// {patient: {name, birth_date (YYYY-MM-DD), gender}} into an identity (the fields given).
Identity identity_from(const nlohmann::json& body, Identity base, bool name_required) {
  if (!body.contains("patient") || !body["patient"].is_object()) {
    if (name_required)
      throw ApiError(ErrorCode::kValidationFailed, "'patient' must be an object with a name");
    return base;
  }
  const auto& p = body["patient"];
  if (auto name = optional_text(p, "name", 200)) {
    require_text("patient.name", *name);  // one line: shown in listings
    base.patient_name = *name;
  }
  if (base.patient_name.empty())
    throw ApiError(ErrorCode::kValidationFailed, "patient.name is required");
  if (p.contains("birth_date")) {
    base.birth_date = optional_text(p, "birth_date", 10);
    if (base.birth_date && (!parse_rfc3339_ms(*base.birth_date + "T00:00:00Z")))
      throw ApiError(ErrorCode::kValidationFailed, "patient.birth_date must be YYYY-MM-DD");
  }
  if (p.contains("gender")) {
    base.gender = optional_text(p, "gender", 16);
    if (base.gender && std::find(kGenders.begin(), kGenders.end(), *base.gender) == kGenders.end())
      throw ApiError(ErrorCode::kValidationFailed,
                     "patient.gender must be female, male, other or unknown");
  }
  return base;
}

std::optional<std::int64_t> version_of(const nlohmann::json& body) {
  if (!body.contains("version")) return std::nullopt;
  if (!body["version"].is_number_integer())
    throw ApiError(ErrorCode::kValidationFailed, "'version' must be an integer");
  return body["version"].get<std::int64_t>();
}

const std::string& group_type_of(const Request& req) {
  const auto& type = req.param("type");
  if (std::find(kGroupTypes.begin(), kGroupTypes.end(), type) == kGroupTypes.end()) {
    throw ApiError(ErrorCode::kNotFound,
                   "no such resource group: reports, phenotype, genotype, diseases, notes or "
                   "timeline");
  }
  return type;
}

}  // namespace

Access case_access() {
  return Access::roles({"patient", "physician"});
}

void register_case_routes(Router& r, CasesService& svc) {
  r.add(Method::kPost, "/api/v1/cases", case_access(), [&svc](Request& req) {
    const auto me = svc.caller(req);
    const auto identity = identity_from(req.json_object(), Identity{}, true);
    auto out = svc.db().transact([&](Tx& tx) {
      const auto id =
          svc.store().create_case(tx, me.subject, me.user_id, identity, svc.clock().now_ms());
      svc.audit().record(tx,
                         AuditLog::from_request(req, "case.create", "case", std::to_string(id)));
      return svc.case_json(tx, svc.access(tx, id, me, true));
    });
    return Response::json(out, 201);
  });

  r.add(Method::kGet, "/api/v1/cases", case_access(), [&svc](Request& req) {
    const auto me = svc.caller(req);
    auto items = svc.db().transact([&](Tx& tx) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& row : svc.store().cases_of(tx, me.subject)) {
        const CaseRole role = row.subject == me.subject ? CaseRole::kOwner : CaseRole::kRecipient;
        list.push_back(svc.case_json(tx, CaseAccess{row, role}));
      }
      auto e = AuditLog::from_request(req, "case.list", "case", "");
      e.detail = {{"count", list.size()}};
      svc.audit().record(tx, e);
      return list;
    });
    return Response::json({{"cases", items}});
  });

  r.add(Method::kGet, "/api/v1/cases/{id}", case_access(), [&svc](Request& req) {
    const auto me = svc.caller(req);
    const auto id = path_id(req, "id", "case id");
    return Response::json(svc.db().transact([&](Tx& tx) {
      auto a = svc.access(tx, id, me, false, true);
      svc.audit().record(tx, AuditLog::from_request(req, "case.read", "case", std::to_string(id)));
      return svc.case_json(tx, a);
    }));
  });

  r.add(Method::kPatch, "/api/v1/cases/{id}", case_access(), [&svc](Request& req) {
    const auto me = svc.caller(req);
    const auto id = path_id(req, "id", "case id");
    const auto body = req.json_object();
    return Response::json(svc.db().transact([&](Tx& tx) {
      auto a = svc.access(tx, id, me, true);
      const auto identity = identity_from(body, *svc.store().identity(tx, id), false);
      if (!svc.store().touch_case(tx, id, version_of(body), svc.clock().now_ms()))
        throw ApiError(ErrorCode::kConflict, "the case changed since that version; read it again");
      svc.store().update_identity(tx, id, identity);
      svc.audit().record(tx,
                         AuditLog::from_request(req, "case.update", "case", std::to_string(id)));
      return svc.case_json(tx, svc.access(tx, id, me, true));
    }));
  });

  r.add(Method::kDelete, "/api/v1/cases/{id}", case_access(), [&svc](Request& req) {
    const auto me = svc.caller(req);
    const auto id = path_id(req, "id", "case id");
    std::vector<std::string> blobs;
    svc.db().transact([&](Tx& tx) {
      blobs.clear();
      svc.access(tx, id, me, true);
      const auto now = svc.clock().now_ms();
      for (const auto& s : svc.store().shares_of_case(tx, id)) {
        if (s.status == "accepted" || s.status == "pending")
          svc.notify(tx, s.recipient_user_id, "revoked", {{"case_id", std::to_string(id)}});
      }
      svc.store().revoke_all_shares(tx, id, now);
      for (const auto& d : svc.store().documents(tx, id)) {
        blobs.push_back(d.blob_key);
        svc.store().delete_document(tx, d.id);
      }
      svc.store().delete_groups(tx, id);
      svc.store().set_status(tx, id, "deleted", now);
      svc.audit().record(tx,
                         AuditLog::from_request(req, "case.delete", "case", std::to_string(id)));
    });
    for (const auto& key : blobs) svc.blobs().remove(key);  // after the commit: nothing points here
    return Response::no_content();
  });

  r.add(Method::kGet, "/api/v1/cases/{id}/groups/{type}", case_access(), [&svc](Request& req) {
    const auto me = svc.caller(req);
    const auto id = path_id(req, "id", "case id");
    const auto& type = group_type_of(req);
    return Response::json(svc.db().transact([&](Tx& tx) {
      svc.access(tx, id, me, false);
      auto g = svc.store().group(tx, id, type);
      auto e = AuditLog::from_request(req, "case.group.read", "case", std::to_string(id));
      e.detail = {{"type", type}};
      svc.audit().record(tx, e);
      return nlohmann::json{
          {"type", type},
          {"data", g ? parse_stored_json(g->data, "case group") : empty_group(type)},
          {"version", g ? g->version : 0},
          {"updated_at",
           g ? nlohmann::json(format_rfc3339_ms(g->updated_at_ms)) : nlohmann::json()}};
    }));
  });

  RouteOptions group_options;
  group_options.body_limit = svc.settings().group_max_bytes;
  r.add(
      Method::kPut, "/api/v1/cases/{id}/groups/{type}", case_access(),
      [&svc](Request& req) {
        const auto me = svc.caller(req);
        const auto id = path_id(req, "id", "case id");
        const auto& type = group_type_of(req);
        const auto body = req.json_object();
        if (!body.contains("data"))
          throw ApiError(ErrorCode::kValidationFailed, "'data' is required");
        check_group(type, body["data"]);
        const auto expected = version_of(body);
        return Response::json(svc.db().transact([&](Tx& tx) {
          svc.access(tx, id, me, true);
          const auto now = svc.clock().now_ms();
          if (!svc.store().put_group(tx, id, type, body["data"].dump(), expected, now))
            throw ApiError(ErrorCode::kConflict,
                           "the group changed since that version; read it again");
          svc.store().touch_case(tx, id, std::nullopt, now);
          auto e = AuditLog::from_request(req, "case.group.write", "case", std::to_string(id));
          e.detail = {{"type", type}};
          svc.audit().record(tx, e);
          const auto g = svc.store().group(tx, id, type);
          return nlohmann::json{{"type", type},
                                {"data", body["data"]},
                                {"version", g->version},
                                {"updated_at", format_rfc3339_ms(g->updated_at_ms)}};
        }));
      },
      group_options);
}

}  // namespace carehub::cases
