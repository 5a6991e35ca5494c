// QIDO-RS: the query parameters of a search turned into an index query, and index rows turned
// into DICOM JSON (PS3.18 F.2). No HTTP and no SQL here.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dicom/store.hpp"

namespace carehub::dicom {

enum class Level { kStudy, kSeries, kInstance };

struct QidoRequest {
  IndexQuery query;
  std::vector<std::uint32_t> include;  // includefield tags
  bool include_all = false;            // includefield=all
  std::vector<std::string> warnings;   // parameters understood but not applied
};

class QidoError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Matching keys by keyword ("PatientName") or tag ("00100010"): PatientID, PatientName (wildcards
// * and ?, case-insensitive), PatientBirthDate and StudyDate (YYYYMMDD, or a range "A-B", "-B",
// "A-"), AccessionNumber, StudyID, ReferringPhysicianName, PatientSex, ModalitiesInStudy,
// StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID, SOPClassUID (UID lists with ',' or '\'),
// Modality, SeriesNumber, InstanceNumber; keys of a lower level than the query's are refused.
// limit (1..max_limit, default default_limit), offset, includefield (repeated or comma separated;
// "all"), fuzzymatching (not applied: a warning). Throws QidoError naming the parameter.
QidoRequest parse_qido(const std::vector<std::pair<std::string, std::string>>& params, Level level,
                       int default_limit, int max_limit);

// Attributes of a result at each level; base_url prefixes the RetrieveURL (e.g.
// "http://host:8080").
nlohmann::json study_json(const StudyRow& study, const std::string& base_url);
nlohmann::json series_json(const SeriesRow& series, const StudyRow& study,
                           const std::string& base_url);
nlohmann::json instance_json(const InstanceRow& instance, const StudyRow& study,
                             const SeriesRow& series, const std::string& base_url);
// An instance's stored metadata (DICOM JSON text) as JSON, nesting bounded as the ingest bounds
// it; an empty object for none.
nlohmann::json parse_metadata(const std::optional<std::string>& text);
// Copies the requested attributes (or, for "all", every attribute without bulk data) from an
// instance's metadata into a result, leaving the ones it has alone.
void add_included(nlohmann::json& result, const nlohmann::json& metadata, const QidoRequest& q);

}  // namespace carehub::dicom
