// Patients that other modules see (a DICOM study's patient) join the index through the core's
// PatientIndex: stored as a person record of their source in the caller's unit of work, then
// matched by a job with the newest trained model. Without one yet, the record waits unmatched
// and the next import matches it with its own records.
#pragma once

#include <nlohmann/json.hpp>

#include "carehub/clock.hpp"
#include "carehub/jobs.hpp"
#include "carehub/patient_index.hpp"
#include "empi/store.hpp"

namespace carehub::empi {

inline constexpr const char* kMatchArrivalsJobType = "empi.match_arrivals";

// A record stored with its blocking keys and term frequencies, ready to be matched: its id, or
// nullopt when a record with the same values is stored already. original: original_delta's text.
std::optional<std::int64_t> add_record(Tx& tx, EmpiStore& store, const PersonRecord& record,
                                       std::int64_t job_id, std::int64_t now_ms,
                                       const std::string& original = {});

class EmpiPatientIndex final : public PatientIndex {
 public:
  EmpiPatientIndex(EmpiStore& store, JobQueue& jobs, const Clock& clock)
      : store_(store), jobs_(jobs), clock_(clock) {}
  void submit(Tx& tx, const PatientDemographics& patient) override;

 private:
  EmpiStore& store_;
  JobQueue& jobs_;
  const Clock& clock_;
};

// payload: {record_ids: [...]}; matches those still without a person.
nlohmann::json run_match_arrivals_job(JobContext& job, Database& db, const Clock& clock,
                                      EmpiStore& store);

}  // namespace carehub::empi
