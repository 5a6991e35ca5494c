#include "empi/arrivals.hpp"

#include "empi/matching.hpp"

namespace carehub::empi {

std::optional<std::int64_t> add_record(Tx& tx, EmpiStore& store, const PersonRecord& record,
                                       std::int64_t job_id, std::int64_t now_ms,
                                       const std::string& original) {
  const auto id = store.insert_record(tx, record, record_hash(record), job_id, now_ms, original);
  if (!id) return std::nullopt;
  const auto features = features_of(*id, record);
  store.insert_blocking_keys(tx, *id, blocking_keys(features));
  TermFrequencies delta;
  delta.add(features);
  store.add_term_frequencies(tx, delta);
  return id;
}

void EmpiPatientIndex::submit(Tx& tx, const PatientDemographics& patient) {
  PersonRecord record, as_given;
  const std::pair<std::size_t, const std::string*> fields[] = {
      {0, &patient.data_source}, {1, &patient.source_person_id},
      {2, &patient.first_name},  {3, &patient.last_name},
      {4, &patient.sex},         {6, &patient.birth_date}};
  for (const auto& [column, value] : fields) {
    auto normal = normalize_value(column, *value);
    if (!normal) {
      if (column <= 1) return;  // no source or id: nothing to index it by
      continue;                 // a value that does not normalise is left out, not fatal
    }
    record[column] = std::move(normal).value();
    as_given[column] = *value;
  }
  const auto id =
      add_record(tx, store_, record, 0, clock_.now_ms(), original_delta(as_given, record));
  if (!id) return;
  JobSpec spec;
  spec.type = kMatchArrivalsJobType;
  spec.queue = "empi";
  spec.payload = {{"record_ids", {*id}}};
  spec.idempotency_key = "empi.arrival." + std::to_string(*id);
  jobs_.enqueue(tx, spec);
}

nlohmann::json run_match_arrivals_job(JobContext& job, Database& db, const Clock& clock,
                                      EmpiStore& store) {
  std::vector<std::int64_t> ids;
  for (const auto& id : job.payload().at("record_ids")) ids.push_back(id.get<std::int64_t>());
  std::optional<ConfigRow> config;
  std::vector<NewRecord> fresh;
  db.transact(
      [&](Tx& tx) {
        fresh.clear();
        config = store.latest_trained_config(tx);
        for (const auto& r : store.records_by_ids(tx, ids)) {
          if (!r.person_id) fresh.push_back({r.id, features_of(r.id, r.record)});
        }
      },
      TxMode::kRead);
  if (fresh.empty()) return {{"matched", 0}};
  if (!config)
    return {{"matched", 0}, {"waiting", "no trained model yet: the next import matches"}};
  const auto summary = match_records_exclusively(
      db, clock, store, *config, std::move(fresh), job.info().id, "system",
      [&job](double p, const std::string& m) { return job.progress(p, m); });
  return {{"matched", ids.size()}, {"matching", summary.to_json()}};
}

}  // namespace carehub::empi
