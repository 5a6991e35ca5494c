#include "empi/routes.hpp"

namespace carehub::empi {

Access empi_read_access() {
  return Access::roles({"admin", "member"}).or_scopes({"empi:read", "empi:write"});
}

Access empi_write_access() {
  return Access::roles({"admin", "member"}).or_scopes({"empi:write"});
}

void register_routes(Router& r, EmpiService& s, std::uint64_t max_import_bytes) {
  RouteOptions upload;
  upload.body_limit = static_cast<std::size_t>(max_import_bytes);
  upload.spool_body = true;
  const Access read = empi_read_access(), write = empi_write_access();
  using enum Method;
  // clang-format off
  r.add(kPost, "/api/v1/config",                      write, bind_handler(s, create_config));
  r.add(kGet,  "/api/v1/configs",                     read,  bind_handler(s, list_configs));
  r.add(kPost, "/api/v1/person-records/import",       write, bind_handler(s, start_import), upload);
  r.add(kGet,  "/api/v1/imports",                     read,  bind_handler(s, list_imports));
  r.add(kGet,  "/api/v1/data-sources",                read,  bind_handler(s, list_data_sources));
  r.add(kPost, "/api/v1/person-records/export",       read,  bind_handler(s, export_crosswalk));
  r.add(kPost, "/api/v1/person-records/match",        read,  bind_handler(s, match_record));
  r.add(kPost, "/api/v1/person-records",              write, bind_handler(s, add_record));
  r.add(kGet,  "/api/v1/persons",                     read,  bind_handler(s, search_persons));
  r.add(kPost, "/api/v1/persons/merge",               write, bind_handler(s, merge_persons));
  r.add(kGet,  "/api/v1/persons/{id}",                read,  bind_handler(s, get_person));
  r.add(kGet,  "/api/v1/persons/{id}/history",        read,  bind_handler(s, person_history));
  r.add(kPost, "/api/v1/persons/{id}/split",          write, bind_handler(s, split_person));
  r.add(kPost, "/api/v1/do-not-link",                 write, bind_handler(s, keep_apart));
  r.add(kPost, "/api/v1/match-events/{id}/undo",      write, bind_handler(s, undo_event));
  r.add(kGet,  "/api/v1/potential-matches",           read,  bind_handler(s, search_potential_matches));
  r.add(kGet,  "/api/v1/potential-matches/{id}",      read,  bind_handler(s, get_potential_match));
  r.add(kPost, "/api/v1/matches",                     write, bind_handler(s, decide_match));
  // clang-format on
}

}  // namespace carehub::empi
