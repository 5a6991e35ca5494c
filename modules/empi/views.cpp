#include "empi/views.hpp"

#include <algorithm>
#include <set>

#include "carehub/clock.hpp"

namespace carehub::empi {

nlohmann::json record_json(const StoredRecord& r, const std::string& person_uuid) {
  nlohmann::json j = {{"id", std::to_string(r.id)},
                      {"person_id", person_uuid},
                      {"created", format_rfc3339_ms(r.created_at_ms)},
                      {"person_updated", format_rfc3339_ms(r.person_updated_at_ms)},
                      {"matched_or_reviewed", r.matched_or_reviewed}};
  const PersonRecord shown = as_imported(r);
  nlohmann::json normalized = nlohmann::json::object();
  for (std::size_t i = 0; i < kRecordColumns.size(); ++i) {
    j[std::string(kRecordColumns[i])] = shown[i];
    normalized[std::string(kRecordColumns[i])] = r.record[i];
  }
  j["normalized"] = std::move(normalized);
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

std::vector<std::string> sources_of(const std::vector<const StoredRecord*>& records) {
  std::set<std::string> sources;
  for (const auto* r : records) sources.insert(r->record.data_source());
  return {sources.begin(), sources.end()};
}

nlohmann::json person_summary(const PersonRow& p, const std::vector<StoredRecord>& records) {
  std::vector<const StoredRecord*> all;
  for (const auto& r : records) all.push_back(&r);
  const PersonRecord first = records.empty() ? PersonRecord{} : as_imported(records.front());
  return {{"id", p.uuid},
          {"version", p.version},
          {"first_name", first.first_name()},
          {"last_name", first.last_name()},
          {"birth_date", first.birth_date()},
          {"data_sources", sources_of(all)},
          {"record_count", records.size()}};
}

}  // namespace carehub::empi
