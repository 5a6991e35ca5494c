// QIDO-RS: searches for studies, series and instances, answered from the index alone.
#include <map>

#include "carehub/error.hpp"
#include "dicom/qido.hpp"
#include "dicom/routes.hpp"

namespace carehub::dicom {
namespace {

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

Response dicom_json(const nlohmann::json& body, const QidoRequest& q) {
  Response r = Response::json(body);
  r.content_type = "application/dicom+json";
  for (const auto& w : q.warnings) r.with_header("Warning", "299 carehub \"" + w + "\"");
  return r;
}

QidoRequest parse(const Request& req, Level level) {
  try {
    auto q = parse_qido(req.query_params(), level, kDefaultLimit, kMaxLimit);
    for (const auto& [name, value] : req.params) {
      const Attribute a = name == "study" ? Attribute::kStudyUid : Attribute::kSeriesUid;
      q.query.matches.push_back({a, Match::Kind::kEquals, value, {}, {}, {}});
    }
    return q;
  } catch (const QidoError& e) {
    throw ApiError(ErrorCode::kBadRequest, e.what());
  }
}

// Study and series rows looked up once per search.
class Cache {
 public:
  Cache(Tx& tx, DicomStore& store) : tx_(tx), store_(store) {}
  const StudyRow& study(const std::string& uid) {
    auto it = studies_.find(uid);
    if (it == studies_.end()) it = studies_.emplace(uid, *store_.find_study(tx_, uid)).first;
    return it->second;
  }
  const SeriesRow& series(const std::string& uid) {
    auto it = series_.find(uid);
    if (it == series_.end()) it = series_.emplace(uid, *store_.find_series(tx_, uid)).first;
    return it->second;
  }

 private:
  Tx& tx_;
  DicomStore& store_;
  std::map<std::string, StudyRow> studies_;
  std::map<std::string, SeriesRow> series_;
};

Response search(DicomContext& ctx, Request& req, Level level) {
  const QidoRequest q = parse(req, level);
  const std::string base = base_url(req, ctx);
  const bool include = q.include_all || !q.include.empty();
  nlohmann::json out = nlohmann::json::array();
  ctx.db.transact(
      [&](Tx& tx) {
        out = nlohmann::json::array();
        Cache cache(tx, ctx.store);
        if (level == Level::kStudy) {
          for (const auto& s : ctx.store.studies(tx, q.query)) {
            auto j = study_json(s, base);
            if (include)
              add_included(j, parse_metadata(ctx.store.sample_metadata(tx, s.study_uid, {})), q);
            out.push_back(std::move(j));
          }
        } else if (level == Level::kSeries) {
          for (const auto& se : ctx.store.series(tx, q.query)) {
            auto j = series_json(se, cache.study(se.study_uid), base);
            if (include) {
              add_included(
                  j, parse_metadata(ctx.store.sample_metadata(tx, se.study_uid, se.series_uid)), q);
            }
            out.push_back(std::move(j));
          }
        } else {
          for (const auto& i : ctx.store.instances(tx, q.query)) {
            auto j = instance_json(i, cache.study(i.study_uid), cache.series(i.series_uid), base);
            if (include) add_included(j, parse_metadata(i.metadata), q);
            out.push_back(std::move(j));
          }
        }
      },
      TxMode::kRead);
  static const char* kLevels[] = {"studies", "series", "instances"};
  audit_read(ctx, req, "dicom.query", "",
             {{"level", kLevels[static_cast<int>(level)]}, {"results", out.size()}});
  return dicom_json(out, q);
}

}  // namespace

void register_query_routes(Router& r, DicomContext& ctx) {
  const auto at = [&ctx](Level level) {
    return [&ctx, level](Request& req) { return search(ctx, req, level); };
  };
  r.add(Method::kGet, "/dicom-web/studies", dicom_read_access(), at(Level::kStudy));
  r.add(Method::kGet, "/dicom-web/series", dicom_read_access(), at(Level::kSeries));
  r.add(Method::kGet, "/dicom-web/instances", dicom_read_access(), at(Level::kInstance));
  r.add(Method::kGet, "/dicom-web/studies/{study}/series", dicom_read_access(), at(Level::kSeries));
  r.add(Method::kGet, "/dicom-web/studies/{study}/instances", dicom_read_access(),
        at(Level::kInstance));
  r.add(Method::kGet, "/dicom-web/studies/{study}/series/{series}/instances", dicom_read_access(),
        at(Level::kInstance));
}

}  // namespace carehub::dicom
