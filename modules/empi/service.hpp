// The EMPI's rules, free of HTTP: searches and views of persons and potential matches (every read
// of patient data audited), a reviewer's decisions, split, merge, keep apart and undo (each a
// match event checked against the versions the caller saw: 409 when stale), configs, imports and
// the crosswalk. Callers pass the actor (who, which request, from where), never a request; the
// store alone holds SQL.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "carehub/accounts.hpp"
#include "carehub/actor.hpp"
#include "carehub/clock.hpp"
#include "carehub/db.hpp"
#include "carehub/jobs.hpp"
#include "carehub/services.hpp"
#include "carehub/spool.hpp"
#include "empi/store.hpp"

namespace carehub::empi {

struct PersonQuery {
  RecordFilters filters;
  std::optional<std::string> person_uuid;
  int limit = 50;
  int offset = 0;
};

// POST /api/v1/matches: each update names the records a person holds afterwards (no uuid: a new
// person).
struct PersonUpdate {
  std::optional<std::string> uuid;
  std::optional<int> version;
  std::vector<std::int64_t> records;
};
struct Decision {
  std::int64_t potential_match_id = 0;
  int potential_match_version = 0;
  std::vector<PersonUpdate> updates;
  std::vector<std::pair<std::int64_t, std::string>> comments;  // record id, text
};

struct ImportUpload {
  std::string path;                      // the kept upload, now the job's
  std::uint64_t offset = 0, length = 0;  // of the CSV inside it
  std::int64_t config_id = 0;
};

struct Crosswalk {
  std::shared_ptr<SpooledBody> file;  // finished; its name may go once opened
  std::int64_t rows = 0;
};

class EmpiService {
 public:
  // accounts names the actors of histories (the auth module's, when it is on).
  EmpiService(Database& db, JobQueue& jobs, AuditLog& audit, const Clock& clock, EmpiStore& store,
              std::string scratch_dir, const Slot<Accounts>& accounts);

  // --- configs, imports, sources (service_records.cpp) ---
  std::int64_t create_config(const Actor& actor, double potential, double automatic,
                             const nlohmann::json& settings);
  nlohmann::json configs(const Actor& actor);
  // Throws kValidationFailed when the config does not exist.
  void require_config(std::int64_t config_id);
  std::int64_t start_import(const Actor& actor, const ImportUpload& upload);
  nlohmann::json imports(const Actor& actor, int limit, int offset);
  std::vector<std::string> data_sources(const Actor& actor);
  Crosswalk export_crosswalk(const Actor& actor);

  // --- reads (service_read.cpp) ---
  nlohmann::json search_persons(const Actor& actor, const PersonQuery& query);
  nlohmann::json person(const Actor& actor, const std::string& uuid);
  nlohmann::json history(const Actor& actor, const std::string& uuid);
  nlohmann::json search_potential_matches(const Actor& actor, const PotentialMatchQuery& query);
  // With every record of its persons and, for each scored pair, its explanation.
  nlohmann::json potential_match(const Actor& actor, std::int64_t id);

  // --- decisions (service_decide.cpp) ---
  void decide(const Actor& actor, const Decision& decision);
  // Moves `moving` out of the person into a new one, kept apart from those that stay.
  nlohmann::json split(const Actor& actor, const std::string& uuid, int version,
                       const std::set<std::int64_t>& moving,
                       const std::optional<std::string>& comment);
  // Into the first of persons (uuid, version seen).
  nlohmann::json merge(const Actor& actor, const std::vector<std::pair<std::string, int>>& persons,
                       const std::optional<std::string>& comment);
  std::int64_t keep_apart(const Actor& actor, std::int64_t a, std::int64_t b,
                          const std::optional<std::string>& comment);
  nlohmann::json undo(const Actor& actor, std::int64_t event_id);

  // --- real time (service_realtime.cpp) ---
  // record normalised, original: original_delta's text.
  nlohmann::json match_search(const Actor& actor, const PersonRecord& record,
                              std::optional<std::int64_t> config_id);
  // {body, created}: 201 when the record is new.
  std::pair<nlohmann::json, bool> add_record(const Actor& actor, const PersonRecord& record,
                                             const std::string& original,
                                             std::optional<std::int64_t> config_id);

 private:
  Database& db_;
  JobQueue& jobs_;
  AuditLog& audit_;
  const Clock& clock_;
  EmpiStore& store_;
  std::string scratch_dir_;
  const Slot<Accounts>& accounts_;
};

}  // namespace carehub::empi
