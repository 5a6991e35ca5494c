// The JSON shapes of Tuva EMPI's API for persons and records, shared by the module's routes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "empi/store.hpp"

namespace carehub::empi {

nlohmann::json record_json(const StoredRecord& record, const std::string& person_uuid);
// PersonDetail: {id, created, version, records}.
nlohmann::json person_detail(Tx& tx, EmpiStore& store, const PersonRow& person);
// PersonSummary: {id, first_name, last_name, data_sources}.
nlohmann::json person_summary(Tx& tx, EmpiStore& store, const PersonRow& person);

}  // namespace carehub::empi
