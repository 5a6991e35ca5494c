// The JSON shapes of Tuva EMPI's API for persons and records, shared by the module's service.
// Records are shown as imported ("John"), with the normalised values matching used beside them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "empi/store.hpp"

namespace carehub::empi {

// PersonRecord: the 15 columns as imported, ids, times, and normalized: {the 15 columns}.
nlohmann::json record_json(const StoredRecord& record, const std::string& person_uuid);
// PersonDetail: {id, created, version, records}.
nlohmann::json person_detail(Tx& tx, EmpiStore& store, const PersonRow& person);
// PersonSummary: {id, version, first_name, last_name, birth_date (of its first record, as
// imported), data_sources, record_count}, from the person's records (in id order).
nlohmann::json person_summary(const PersonRow& person, const std::vector<StoredRecord>& records);

// The distinct data sources of records, sorted.
std::vector<std::string> sources_of(const std::vector<const StoredRecord*>& records);

}  // namespace carehub::empi
