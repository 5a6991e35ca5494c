#include "empi/views.hpp"

#include <algorithm>

#include "carehub/clock.hpp"

namespace carehub::empi {

nlohmann::json record_json(const StoredRecord& r, const std::string& person_uuid) {
  nlohmann::json j = {{"id", std::to_string(r.id)},
                      {"person_id", person_uuid},
                      {"created", format_rfc3339_ms(r.created_at_ms)},
                      {"person_updated", format_rfc3339_ms(r.person_updated_at_ms)},
                      {"matched_or_reviewed", r.matched_or_reviewed}};
  for (std::size_t i = 0; i < kRecordColumns.size(); ++i)
    j[std::string(kRecordColumns[i])] = r.record[i];
  return j;
}

nlohmann::json person_detail(Tx& tx, EmpiStore& store, const PersonRow& p) {
  nlohmann::json records = nlohmann::json::array();
  for (const auto& r : store.records_of_person(tx, p.id)) records.push_back(record_json(r, p.uuid));
  return {{"id", p.uuid},
          {"created", format_rfc3339_ms(p.created_at_ms)},
          {"version", p.version},
          {"records", records}};
}

nlohmann::json person_summary(Tx& tx, EmpiStore& store, const PersonRow& p) {
  const auto records = store.records_of_person(tx, p.id);
  std::vector<std::string> sources;
  for (const auto& r : records) {
    if (std::find(sources.begin(), sources.end(), r.record.data_source()) == sources.end())
      sources.push_back(r.record.data_source());
  }
  std::sort(sources.begin(), sources.end());
  return {{"id", p.uuid},
          {"first_name", records.empty() ? "" : records.front().record.first_name()},
          {"last_name", records.empty() ? "" : records.front().record.last_name()},
          {"data_sources", sources}};
}

}  // namespace carehub::empi
