// The empi module's routes: one table (routes.cpp), each line naming a handler that reads the
// request, calls the service with the actor and answers. The rules live in the service.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "carehub/module.hpp"
#include "empi/service.hpp"

namespace carehub::empi {

// Who may do what: people with the admin or member role, machine clients by token scope.
Access empi_read_access();
Access empi_write_access();

void register_routes(Router& router, EmpiService& service, std::uint64_t max_import_bytes);

// --- handlers (handlers_*.cpp) ---
// configs, imports, sources, export, real time
Response create_config(EmpiService& svc, Request& req);
Response list_configs(EmpiService& svc, Request& req);
Response start_import(EmpiService& svc, Request& req);
Response list_imports(EmpiService& svc, Request& req);
Response list_data_sources(EmpiService& svc, Request& req);
Response export_crosswalk(EmpiService& svc, Request& req);
Response match_record(EmpiService& svc, Request& req);
Response add_record(EmpiService& svc, Request& req);
// persons
Response search_persons(EmpiService& svc, Request& req);
Response get_person(EmpiService& svc, Request& req);
Response person_history(EmpiService& svc, Request& req);
Response split_person(EmpiService& svc, Request& req);
Response merge_persons(EmpiService& svc, Request& req);
Response keep_apart(EmpiService& svc, Request& req);
Response undo_event(EmpiService& svc, Request& req);
// the review queue
Response search_potential_matches(EmpiService& svc, Request& req);
Response get_potential_match(EmpiService& svc, Request& req);
Response decide_match(EmpiService& svc, Request& req);

// --- what the handlers share (handlers_common.cpp) ---
// Pages of persons and of the queue: 50 by default, at most 500.
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
// A version the caller saw: a non-negative 32-bit integer, else 422 naming what.
int json_version(const nlohmann::json& value, std::string_view what);
// A note kept with a decision: a string of at most 4000 bytes of lines; absent or null: none.
// 422 naming what otherwise.
std::optional<std::string> json_comment(const nlohmann::json& value, std::string_view what);

// Tuva's record filters from the query (first_name, last_name, birth_date, source_person_id,
// data_source): normalised as stored values are; one that cannot be is matched as text.
RecordFilters record_filters(const Request& req);

}  // namespace carehub::empi
