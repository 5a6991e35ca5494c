#include "dicom/qido.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "carehub/json.hpp"
#include "dicom/nesting.hpp"
#include "dicom/parse.hpp"

namespace carehub::dicom {
namespace {

enum class Kind { kText, kName, kDate, kUid };

struct Key {
  Attribute attribute;
  Level level;  // the level the attribute belongs to
  Kind kind;
};

const std::map<std::uint32_t, Key>& keys() {
  static const std::map<std::uint32_t, Key> k = {
      {0x00100020, {Attribute::kPatientId, Level::kStudy, Kind::kText}},
      {0x00100010, {Attribute::kPatientName, Level::kStudy, Kind::kName}},
      {0x00100030, {Attribute::kPatientBirthDate, Level::kStudy, Kind::kDate}},
      {0x00100040, {Attribute::kPatientSex, Level::kStudy, Kind::kText}},
      {0x0020000D, {Attribute::kStudyUid, Level::kStudy, Kind::kUid}},
      {0x00080020, {Attribute::kStudyDate, Level::kStudy, Kind::kDate}},
      {0x00080050, {Attribute::kAccessionNumber, Level::kStudy, Kind::kText}},
      {0x00200010, {Attribute::kStudyId, Level::kStudy, Kind::kText}},
      {0x00080090, {Attribute::kReferringPhysician, Level::kStudy, Kind::kText}},
      {0x00080061, {Attribute::kModalitiesInStudy, Level::kStudy, Kind::kUid}},
      {0x0020000E, {Attribute::kSeriesUid, Level::kSeries, Kind::kUid}},
      {0x00080060, {Attribute::kModality, Level::kSeries, Kind::kText}},
      {0x00200011, {Attribute::kSeriesNumber, Level::kSeries, Kind::kText}},
      {0x00080018, {Attribute::kSopUid, Level::kInstance, Kind::kUid}},
      {0x00080016, {Attribute::kSopClassUid, Level::kInstance, Kind::kUid}},
      {0x00200013, {Attribute::kInstanceNumber, Level::kInstance, Kind::kText}},
  };
  return k;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::kStudy: return "study";
    case Level::kSeries: return "series";
    case Level::kInstance: return "instance";
  }
  return "";
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  std::string current;
  for (char c : v) {
    if (c == ',' || c == '\\') {
      if (!current.empty()) out.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

bool is_date(const std::string& s) {
  return s.size() == 8 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int bounded(const std::string& name, const std::string& value, int min, int max) {
  int n = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc{} || p != value.data() + value.size() || n < min || n > max) {
    throw QidoError(name + " must be an integer from " + std::to_string(min) + " to " +
                    std::to_string(max));
  }
  return n;
}

Match match_for(const std::string& name, const Key& key, const std::string& value) {
  Match m{key.attribute, Match::Kind::kEquals, value, {}, {}, {}};
  switch (key.kind) {
    case Kind::kUid: {
      m.values = split_list(value);
      if (key.attribute != Attribute::kModalitiesInStudy) {
        for (std::size_t i = 0; i < m.values.size(); ++i) {
          if (!valid_uid(m.values[i])) {
            throw QidoError(name + ": value " + std::to_string(i + 1) +
                            " of the list is not a valid UID (digits in dot-separated parts)");
          }
        }
      }
      m.kind = Match::Kind::kAnyOf;
      break;
    }
    case Kind::kDate: {
      const auto dash = value.find('-');
      if (dash == std::string::npos) {
        if (!is_date(value)) throw QidoError(name + " must be a date YYYYMMDD or a range");
        break;
      }
      m.kind = Match::Kind::kRange;
      m.low = value.substr(0, dash);
      m.high = value.substr(dash + 1);
      if ((!m.low.empty() && !is_date(m.low)) || (!m.high.empty() && !is_date(m.high)) ||
          (m.low.empty() && m.high.empty())) {
        throw QidoError(name + " must be a date YYYYMMDD or a range YYYYMMDD-YYYYMMDD");
      }
      break;
    }
    case Kind::kName:
    case Kind::kText:
      if (value.find_first_of("*?") != std::string::npos) m.kind = Match::Kind::kWildcard;
      // PN matching is case-insensitive: a plain value matches as a wildcard-free pattern.
      else if (key.kind == Kind::kName)
        m.kind = Match::Kind::kWildcard;
      break;
  }
  return m;
}

void put(nlohmann::json& o, const char* tag, const char* vr, const std::string& value) {
  nlohmann::json a = {{"vr", vr}};
  if (!value.empty()) a["Value"] = {value};
  o[tag] = std::move(a);
}

void put_list(nlohmann::json& o, const char* tag, const char* vr,
              const std::vector<std::string>& values) {
  nlohmann::json a = {{"vr", vr}};
  if (!values.empty()) a["Value"] = values;
  o[tag] = std::move(a);
}

void put_number(nlohmann::json& o, const char* tag, const char* vr, std::int64_t value) {
  o[tag] = {{"vr", vr}, {"Value", {value}}};
}

void put_is(nlohmann::json& o, const char* tag, const std::string& value) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc{} || p != value.data() + value.size()) {
    o[tag] = {{"vr", "IS"}};
  } else {
    put_number(o, tag, "IS", n);
  }
}

void put_name(nlohmann::json& o, const char* tag, const std::string& pn) {
  nlohmann::json a = {{"vr", "PN"}};
  if (!pn.empty()) {
    nlohmann::json v = nlohmann::json::object();
    static const char* kGroups[] = {"Alphabetic", "Ideographic", "Phonetic"};
    std::size_t start = 0;
    for (int g = 0; g < 3 && start <= pn.size(); ++g) {
      const auto eq = pn.find('=', start);
      const auto part = pn.substr(start, eq == std::string::npos ? std::string::npos : eq - start);
      if (!part.empty()) v[kGroups[g]] = part;
      if (eq == std::string::npos) break;
      start = eq + 1;
    }
    a["Value"] = {v};
  }
  o[tag] = std::move(a);
}

void put_study(nlohmann::json& o, const StudyRow& s) {
  put(o, "00080020", "DA", s.study_date);
  put(o, "00080030", "TM", s.study_time);
  put(o, "00080050", "SH", s.accession_number);
  put_list(o, "00080061", "CS", s.modalities);
  put_name(o, "00080090", s.referring_physician_name);
  put(o, "00081030", "LO", s.study_description);
  put_name(o, "00100010", s.patient_name);
  put(o, "00100020", "LO", s.patient_id);
  put(o, "00100030", "DA", s.patient_birth_date);
  put(o, "00100040", "CS", s.patient_sex);
  put(o, "0020000D", "UI", s.study_uid);
  put(o, "00200010", "SH", s.study_id);
}

}  // namespace

QidoRequest parse_qido(const std::vector<std::pair<std::string, std::string>>& params, Level level,
                       int default_limit, int max_limit) {
  QidoRequest out;
  out.query.limit = default_limit;
  for (const auto& [name, value] : params) {
    if (name == "limit") {
      out.query.limit = bounded(name, value, 1, max_limit);
    } else if (name == "offset") {
      out.query.offset = bounded(name, value, 0, 1 << 30);
    } else if (name == "fuzzymatching") {
      if (value == "true") out.warnings.push_back("fuzzymatching is not supported");
    } else if (name == "includefield") {
      const auto fields = split_list(value);
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "all") {
          out.include_all = true;
          continue;
        }
        auto tag = tag_of(fields[i]);
        if (!tag) {
          throw QidoError("includefield: entry " + std::to_string(i + 1) +
                          " is not a DICOM keyword, a tag (8 hex digits) or all");
        }
        out.include.push_back(*tag);
      }
    } else {
      auto tag = tag_of(name);
      if (!tag) throw QidoError("'" + name + "' is not a DICOM keyword or tag");
      auto key = keys().find(*tag);
      if (key == keys().end()) {
        out.warnings.push_back("matching on " + name + " is not supported; it was ignored");
        continue;
      }
      if (static_cast<int>(key->second.level) > static_cast<int>(level)) {
        throw QidoError(name + " is an attribute of a " + level_name(key->second.level) +
                        " and cannot be matched in a " + level_name(level) + " search");
      }
      if (value.empty() || value == "*") continue;  // universal matching
      out.query.matches.push_back(match_for(name, key->second, value));
    }
  }
  return out;
}

nlohmann::json study_json(const StudyRow& s, const std::string& base_url) {
  nlohmann::json o = nlohmann::json::object();
  put_study(o, s);
  put(o, "00081190", "UR", base_url + "/dicom-web/studies/" + s.study_uid);
  put_number(o, "00201206", "IS", s.series_count);
  put_number(o, "00201208", "IS", s.instance_count);
  return o;
}

nlohmann::json series_json(const SeriesRow& se, const StudyRow& s, const std::string& base_url) {
  nlohmann::json o = nlohmann::json::object();
  put_study(o, s);
  put(o, "00080060", "CS", se.modality);
  put(o, "0008103E", "LO", se.series_description);
  put(o, "0020000E", "UI", se.series_uid);
  put_is(o, "00200011", se.series_number);
  put_number(o, "00201209", "IS", se.instance_count);
  put(o, "00081190", "UR",
      base_url + "/dicom-web/studies/" + s.study_uid + "/series/" + se.series_uid);
  return o;
}

nlohmann::json instance_json(const InstanceRow& i, const StudyRow& s, const SeriesRow& se,
                             const std::string& base_url) {
  nlohmann::json o = series_json(se, s, base_url);
  put(o, "00080016", "UI", i.sop_class_uid);
  put(o, "00080018", "UI", i.sop_uid);
  put(o, "00083002", "UI", i.transfer_syntax_uid);
  put_is(o, "00200013", i.instance_number);
  if (i.rows > 0) put_number(o, "00280010", "US", i.rows);
  if (i.columns > 0) put_number(o, "00280011", "US", i.columns);
  if (i.number_of_frames > 0) put_number(o, "00280008", "IS", i.number_of_frames);
  put(o, "00081190", "UR",
      base_url + "/dicom-web/studies/" + s.study_uid + "/series/" + se.series_uid + "/instances/" +
          i.sop_uid);
  return o;
}

nlohmann::json parse_metadata(const std::optional<std::string>& text) {
  if (!text) return nlohmann::json::object();
  // A data set nests at most kMaxSequenceDepth sequences (dicom/nesting.hpp), each three JSON
  // levels (the element, its Value array, the item) below the top object.
  return parse_stored_json(*text, "DICOM metadata", 1 + 3 * kMaxSequenceDepth + 1);
}

void add_included(nlohmann::json& result, const nlohmann::json& metadata, const QidoRequest& q) {
  if (!metadata.is_object()) return;
  if (q.include_all) {
    for (const auto& [tag, attribute] : metadata.items()) {
      if (result.contains(tag) || attribute.contains("BulkDataURI") ||
          attribute.contains("InlineBinary"))
        continue;
      result[tag] = attribute;
    }
  }
  for (auto tag : q.include) {
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08X", tag);
    if (result.contains(hex)) continue;
    auto it = metadata.find(hex);
    if (it != metadata.end()) {
      result[hex] = *it;
    } else {
      result[hex] = {{"vr", vr_of(tag)}};  // asked for, not present: an empty attribute
    }
  }
}

}  // namespace carehub::dicom
