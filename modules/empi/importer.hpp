// The import job: a CSV in Tuva EMPI's columns, read from the uploaded file as a stream, each row
// normalised and stored (a row already stored is a no-op; a bad row is reported with its line),
// then matched. Memory grows with the records matched, never with the file's bytes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "carehub/clock.hpp"
#include "carehub/db.hpp"
#include "carehub/jobs.hpp"
#include "empi/store.hpp"

namespace carehub::empi {

inline constexpr const char* kImportJobType = "empi.import";

// payload: {path, offset, length, config_id, actor}. The file at path is deleted at the end.
nlohmann::json run_import_job(JobContext& job, Database& db, const Clock& clock, EmpiStore& store);

}  // namespace carehub::empi
