#include "dicom/store.hpp"

#include <algorithm>
#include <map>

namespace carehub::dicom {
namespace {

constexpr const char* kInstanceColumns =
    "i.id, i.sop_uid, se.series_uid, s.study_uid, i.sop_class_uid, i.instance_number, "
    "i.transfer_syntax_uid, i.rows_count, i.columns_count, i.number_of_frames, i.size_bytes, "
    "i.sha256, i.blob_key, i.metadata, i.created_at_ms";
constexpr const char* kInstanceFrom =
    " FROM dicom_instances i JOIN dicom_series se ON se.id = i.series_ref JOIN dicom_studies s ON "
    "s.id = i.study_ref";
constexpr const char* kSeriesColumns =
    "se.id, se.series_uid, s.study_uid, se.modality, se.series_number, se.series_description, "
    "se.instance_count";
constexpr const char* kStudyColumns =
    "s.id, s.study_uid, s.patient_id, s.patient_name, s.patient_birth_date, s.patient_sex, "
    "s.study_date, s.study_time, s.accession_number, s.study_id, s.study_description, "
    "s.referring_physician_name, s.series_count, s.instance_count, s.size_bytes, "
    "s.created_at_ms, s.updated_at_ms";

InstanceRow instance_from(const Row& r) {
  InstanceRow i;
  i.id = r.integer(0);
  i.sop_uid = r.text(1);
  i.series_uid = r.text(2);
  i.study_uid = r.text(3);
  i.sop_class_uid = r.text(4);
  i.instance_number = r.text(5);
  i.transfer_syntax_uid = r.text(6);
  i.rows = static_cast<int>(r.integer(7));
  i.columns = static_cast<int>(r.integer(8));
  i.number_of_frames = static_cast<int>(r.integer(9));
  i.size_bytes = static_cast<std::uint64_t>(r.integer(10));
  i.sha256 = r.text(11);
  i.blob_key = r.text(12);
  i.metadata = r.text(13);
  i.created_at_ms = r.integer(14);
  return i;
}

SeriesRow series_from(const Row& r) {
  return {r.integer(0),
          r.text(1),
          r.text(2),
          r.text(3),
          r.text(4),
          r.text(5),
          static_cast<int>(r.integer(6))};
}

StudyRow study_from(const Row& r) {
  StudyRow s;
  s.id = r.integer(0);
  s.study_uid = r.text(1);
  s.patient_id = r.text(2);
  s.patient_name = r.text(3);
  s.patient_birth_date = r.text(4);
  s.patient_sex = r.text(5);
  s.study_date = r.text(6);
  s.study_time = r.text(7);
  s.accession_number = r.text(8);
  s.study_id = r.text(9);
  s.study_description = r.text(10);
  s.referring_physician_name = r.text(11);
  s.series_count = static_cast<int>(r.integer(12));
  s.instance_count = static_cast<int>(r.integer(13));
  s.size_bytes = static_cast<std::uint64_t>(r.integer(14));
  s.created_at_ms = r.integer(15);
  s.updated_at_ms = r.integer(16);
  return s;
}

std::string upper(std::string s) {
  for (auto& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// DICOM wildcards (* any run, ? one character) as a LIKE pattern with \ escaping.
std::string like_pattern(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '*') {
      out += '%';
    } else if (c == '?') {
      out += '_';
    } else {
      if (c == '%' || c == '_' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

const char* column_of(Attribute a) {
  switch (a) {
    case Attribute::kPatientId: return "s.patient_id";
    case Attribute::kPatientName: return "s.patient_name_upper";
    case Attribute::kPatientBirthDate: return "s.patient_birth_date";
    case Attribute::kPatientSex: return "s.patient_sex";
    case Attribute::kStudyUid: return "s.study_uid";
    case Attribute::kStudyDate: return "s.study_date";
    case Attribute::kAccessionNumber: return "s.accession_number";
    case Attribute::kStudyId: return "s.study_id";
    case Attribute::kReferringPhysician: return "s.referring_physician_name";
    case Attribute::kModalitiesInStudy: return "m.modality";
    case Attribute::kSeriesUid: return "se.series_uid";
    case Attribute::kModality: return "se.modality";
    case Attribute::kSeriesNumber: return "se.series_number";
    case Attribute::kSopUid: return "i.sop_uid";
    case Attribute::kSopClassUid: return "i.sop_class_uid";
    case Attribute::kInstanceNumber: return "i.instance_number";
  }
  return "";
}

std::string placeholder(Params& params, Param value) {
  params.push_back(std::move(value));
  return "$" + std::to_string(params.size());
}

// One match as SQL over the aliases s (study), se (series), i (instance).
std::string condition(const Match& m, Params& params) {
  const bool name = m.attribute == Attribute::kPatientName;
  const auto value = [&](const std::string& v) { return name ? upper(v) : v; };
  const std::string column = column_of(m.attribute);
  std::string sql;
  switch (m.kind) {
    case Match::Kind::kEquals: sql = column + " = " + placeholder(params, value(m.value)); break;
    case Match::Kind::kWildcard:
      sql = column + " LIKE " + placeholder(params, like_pattern(value(m.value))) + " ESCAPE '\\'";
      break;
    case Match::Kind::kRange:
      sql = "1 = 1";
      if (!m.low.empty()) sql += " AND " + column + " >= " + placeholder(params, m.low);
      if (!m.high.empty()) sql += " AND " + column + " <= " + placeholder(params, m.high);
      break;
    case Match::Kind::kAnyOf: {
      sql = column + " IN (";
      for (std::size_t k = 0; k < m.values.size(); ++k)
        sql += (k ? ", " : "") + placeholder(params, value(m.values[k]));
      sql += ")";
      break;
    }
  }
  if (m.attribute == Attribute::kModalitiesInStudy) {
    return "EXISTS (SELECT 1 FROM dicom_series m WHERE m.study_ref = s.id AND " + sql + ")";
  }
  return sql;
}

std::string where_of(const IndexQuery& q, Params& params) {
  std::string sql = " WHERE 1 = 1";
  for (const auto& m : q.matches) sql += " AND " + condition(m, params);
  return sql;
}

std::string page(const IndexQuery& q, Params& params) {
  return " LIMIT " + placeholder(params, std::int64_t{q.limit}) + " OFFSET " +
         placeholder(params, std::int64_t{q.offset});
}

std::int64_t upsert_patient(Tx& tx, const std::string& key, const ParsedInstance& p,
                            const std::string& source, std::int64_t now_ms, bool& created) {
  auto row = tx.query_one(
      "INSERT INTO dicom_patients (patient_key, patient_id, issuer, created_at_ms) VALUES ($1, $2, "
      "$3, $4) ON CONFLICT (patient_key) DO NOTHING RETURNING id",
      {key, p.patient_id, p.issuer_of_patient_id.empty() ? source : p.issuer_of_patient_id,
       now_ms});
  created = row.has_value();
  if (row) return row->integer(0);
  return tx.query_one("SELECT id FROM dicom_patients WHERE patient_key = $1", {key})->integer(0);
}

}  // namespace

std::optional<InstanceRow> DicomStore::find_instance(Tx& tx, const std::string& sop_uid) {
  static const std::string sql =
      std::string("SELECT ") + kInstanceColumns + kInstanceFrom + " WHERE i.sop_uid = $1";
  auto row = tx.query_one(sql, {sop_uid});
  if (!row) return std::nullopt;
  return instance_from(*row);
}

StoredInstance DicomStore::insert(Tx& tx, const ParsedInstance& p, const std::string& patient_key,
                                  const std::string& sha256, std::uint64_t size,
                                  const std::string& blob_key, const std::string& source,
                                  std::int64_t now_ms) {
  // A series belongs to one study: refused before anything is written, so the caller's unit of
  // work can go on with other instances.
  auto owner = tx.query_one(
      "SELECT st.study_uid FROM dicom_series se JOIN dicom_studies st ON st.id = se.study_ref "
      "WHERE se.series_uid = $1",
      {p.series_uid});
  if (owner && owner->text(0) != p.study_uid)
    throw std::invalid_argument("series " + p.series_uid + " belongs to another study");
  StoredInstance out;
  Param patient_ref = nullptr;
  if (!patient_key.empty())
    patient_ref = upsert_patient(tx, patient_key, p, source, now_ms, out.new_patient);

  auto study = tx.query_one(
      "INSERT INTO dicom_studies (study_uid, patient_ref, patient_id, patient_name, "
      "patient_name_upper, patient_birth_date, patient_sex, study_date, study_time, "
      "accession_number, study_id, study_description, referring_physician_name, created_at_ms, "
      "updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) "
      "ON CONFLICT (study_uid) DO NOTHING RETURNING id",
      {p.study_uid, patient_ref, p.patient_id, p.patient_name, upper(p.patient_name),
       p.patient_birth_date, p.patient_sex, p.study_date, p.study_time, p.accession_number,
       p.study_id, p.study_description, p.referring_physician_name, now_ms});
  const std::int64_t study_id =
      study ? study->integer(0)
            : tx.query_one("SELECT id FROM dicom_studies WHERE study_uid = $1", {p.study_uid})
                  ->integer(0);

  auto series = tx.query_one(
      "INSERT INTO dicom_series (series_uid, study_ref, modality, series_number, "
      "series_description, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT "
      "(series_uid) DO NOTHING RETURNING id",
      {p.series_uid, study_id, p.modality, p.series_number, p.series_description, now_ms});
  std::int64_t series_id;
  if (series) {
    series_id = series->integer(0);
  } else {
    auto existing = tx.query_one("SELECT id, study_ref FROM dicom_series WHERE series_uid = $1",
                                 {p.series_uid});
    series_id = existing->integer(0);
    if (existing->integer(1) != study_id) {  // another writer's series, since the look above
      throw ConstraintError("series " + p.series_uid + " was just indexed under another study");
    }
  }

  out.instance_id =
      tx.query_one(
            "INSERT INTO dicom_instances (sop_uid, series_ref, study_ref, sop_class_uid, "
            "instance_number, transfer_syntax_uid, rows_count, columns_count, number_of_frames, "
            "bits_allocated, samples_per_pixel, size_bytes, sha256, blob_key, metadata, source, "
            "created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
            "$15, $16, $17) RETURNING id",
            {p.sop_instance_uid, series_id, study_id, p.sop_class_uid, p.instance_number,
             p.transfer_syntax_uid, std::int64_t{p.rows}, std::int64_t{p.columns},
             std::int64_t{p.number_of_frames}, std::int64_t{p.bits_allocated},
             std::int64_t{p.samples_per_pixel}, static_cast<std::int64_t>(size), sha256, blob_key,
             p.metadata, source, now_ms})
          ->integer(0);
  tx.exec("UPDATE dicom_series SET instance_count = instance_count + 1 WHERE id = $1", {series_id});
  tx.exec(
      "UPDATE dicom_studies SET instance_count = instance_count + 1, series_count = series_count + "
      "$2, size_bytes = size_bytes + $3, updated_at_ms = $4 WHERE id = $1",
      {study_id, std::int64_t{series ? 1 : 0}, static_cast<std::int64_t>(size), now_ms});
  return out;
}

void DicomStore::replace(Tx& tx, const InstanceRow& old, const ParsedInstance& p,
                         const std::string& sha256, std::uint64_t size, const std::string& blob_key,
                         const std::string& source, std::int64_t now_ms) {
  tx.exec(
      "UPDATE dicom_instances SET sop_class_uid = $2, instance_number = $3, transfer_syntax_uid = "
      "$4, rows_count = $5, columns_count = $6, number_of_frames = $7, bits_allocated = $8, "
      "samples_per_pixel = $9, size_bytes = $10, sha256 = $11, blob_key = $12, metadata = $13, "
      "source = $14, created_at_ms = $15 WHERE id = $1",
      {old.id, p.sop_class_uid, p.instance_number, p.transfer_syntax_uid, std::int64_t{p.rows},
       std::int64_t{p.columns}, std::int64_t{p.number_of_frames}, std::int64_t{p.bits_allocated},
       std::int64_t{p.samples_per_pixel}, static_cast<std::int64_t>(size), sha256, blob_key,
       p.metadata, source, now_ms});
  tx.exec(
      "UPDATE dicom_studies SET size_bytes = size_bytes + $2, updated_at_ms = $3 WHERE study_uid = "
      "$1",
      {old.study_uid, static_cast<std::int64_t>(size) - static_cast<std::int64_t>(old.size_bytes),
       now_ms});
}

std::vector<StudyRow> DicomStore::studies(Tx& tx, const IndexQuery& q) {
  Params params;
  const std::string sql = std::string("SELECT ") + kStudyColumns + " FROM dicom_studies s" +
                          where_of(q, params) + " ORDER BY s.id" + page(q, params);
  std::vector<StudyRow> out;
  for (const auto& row : tx.query(sql, params)) out.push_back(study_from(row));
  // Modalities in Study: one query per batch of studies, not one per study (a C-FIND of every
  // study reads thousands).
  constexpr std::size_t kBatch = 500;
  std::map<std::int64_t, StudyRow*> by_id;
  for (std::size_t start = 0; start < out.size(); start += kBatch) {
    by_id.clear();
    Params ids;
    std::string list;
    for (std::size_t i = start; i < std::min(out.size(), start + kBatch); ++i) {
      by_id[out[i].id] = &out[i];
      list += (list.empty() ? "" : ", ") + placeholder(ids, out[i].id);
    }
    for (const auto& row :
         tx.query("SELECT DISTINCT study_ref, modality FROM dicom_series WHERE study_ref IN (" +
                      list + ") AND modality <> '' ORDER BY study_ref, modality",
                  ids))
      by_id.at(row.integer(0))->modalities.push_back(row.text(1));
  }
  return out;
}

std::vector<PatientRow> DicomStore::patients(Tx& tx, const IndexQuery& q) {
  Params params;
  const std::string sql =
      "SELECT s.patient_id, s.patient_name, MAX(s.patient_birth_date), MAX(s.patient_sex), "
      "COUNT(*), SUM(s.series_count), SUM(s.instance_count) FROM dicom_studies s" +
      where_of(q, params) + " GROUP BY s.patient_id, s.patient_name ORDER BY MIN(s.id)" +
      page(q, params);
  std::vector<PatientRow> out;
  for (const auto& row : tx.query(sql, params)) {
    out.push_back({row.text(0), row.text(1), row.text(2), row.text(3),
                   static_cast<int>(row.integer(4)), static_cast<int>(row.integer(5)),
                   static_cast<int>(row.integer(6))});
  }
  return out;
}

std::vector<DicomStore::StoredFile> DicomStore::stored_files(Tx& tx, const IndexQuery& q) {
  Params params;
  const std::string sql =
      std::string("SELECT i.sop_uid, i.sop_class_uid, i.transfer_syntax_uid, i.blob_key, ") +
      "i.size_bytes" + kInstanceFrom + where_of(q, params) + " ORDER BY i.id" + page(q, params);
  std::vector<StoredFile> out;
  for (const auto& row : tx.query(sql, params)) {
    out.push_back({row.text(0), row.text(1), row.text(2), row.text(3),
                   static_cast<std::uint64_t>(row.integer(4))});
  }
  return out;
}

std::optional<StudyRow> DicomStore::find_study(Tx& tx, const std::string& study_uid) {
  IndexQuery q;
  q.matches.push_back({Attribute::kStudyUid, Match::Kind::kEquals, study_uid, {}, {}, {}});
  q.limit = 1;
  auto rows = studies(tx, q);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::optional<SeriesRow> DicomStore::find_series(Tx& tx, const std::string& series_uid) {
  IndexQuery q;
  q.matches.push_back({Attribute::kSeriesUid, Match::Kind::kEquals, series_uid, {}, {}, {}});
  q.limit = 1;
  auto rows = series(tx, q);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::vector<SeriesRow> DicomStore::series(Tx& tx, const IndexQuery& q) {
  Params params;
  const std::string sql = std::string("SELECT ") + kSeriesColumns +
                          " FROM dicom_series se JOIN dicom_studies s ON s.id = se.study_ref" +
                          where_of(q, params) + " ORDER BY se.id" + page(q, params);
  std::vector<SeriesRow> out;
  for (const auto& row : tx.query(sql, params)) out.push_back(series_from(row));
  return out;
}

std::vector<InstanceRow> DicomStore::instances(Tx& tx, const IndexQuery& q) {
  Params params;
  const std::string sql = std::string("SELECT ") + kInstanceColumns + kInstanceFrom +
                          where_of(q, params) + " ORDER BY i.id" + page(q, params);
  std::vector<InstanceRow> out;
  for (const auto& row : tx.query(sql, params)) out.push_back(instance_from(row));
  return out;
}

std::optional<std::string> DicomStore::sample_metadata(
    Tx& tx, const std::string& study_uid, const std::optional<std::string>& series_uid) {
  std::optional<Row> row;
  if (series_uid) {
    row = tx.query_one(
        "SELECT i.metadata FROM dicom_instances i JOIN dicom_series se ON se.id = i.series_ref "
        "WHERE se.series_uid = $1 ORDER BY i.id LIMIT 1",
        {*series_uid});
  } else {
    row = tx.query_one(
        "SELECT i.metadata FROM dicom_instances i JOIN dicom_studies s ON s.id = i.study_ref "
        "WHERE s.study_uid = $1 ORDER BY i.id LIMIT 1",
        {study_uid});
  }
  if (!row) return std::nullopt;
  return row->text(0);
}

namespace {

std::string scope_where(const std::string& study_uid, const std::optional<std::string>& series_uid,
                        const std::optional<std::string>& sop_uid, Params& params) {
  std::string where = " WHERE s.study_uid = " + placeholder(params, study_uid);
  if (series_uid) where += " AND se.series_uid = " + placeholder(params, *series_uid);
  if (sop_uid) where += " AND i.sop_uid = " + placeholder(params, *sop_uid);
  return where + " ORDER BY i.id";
}

}  // namespace

std::vector<DicomStore::InstanceFile> DicomStore::instance_files(
    Tx& tx, const std::string& study_uid, const std::optional<std::string>& series_uid,
    const std::optional<std::string>& sop_uid) {
  Params params;
  const std::string sql =
      std::string("SELECT i.sop_uid, i.transfer_syntax_uid, i.blob_key, i.size_bytes, i.sha256, ") +
      "se.series_uid, se.series_number, i.instance_number, i.number_of_frames" + kInstanceFrom +
      scope_where(study_uid, series_uid, sop_uid, params);
  std::vector<InstanceFile> out;
  for (const auto& row : tx.query(sql, params)) {
    out.push_back({row.text(0), row.text(1), row.text(2),
                   static_cast<std::uint64_t>(row.integer(3)), row.text(4), row.text(5),
                   row.text(6), row.text(7), static_cast<int>(row.integer(8))});
  }
  return out;
}

std::vector<std::string> DicomStore::instance_metadata(Tx& tx, const std::string& study_uid,
                                                       const std::optional<std::string>& series_uid,
                                                       const std::optional<std::string>& sop_uid) {
  Params params;
  const std::string sql = std::string("SELECT i.metadata") + kInstanceFrom +
                          scope_where(study_uid, series_uid, sop_uid, params);
  std::vector<std::string> out;
  for (const auto& row : tx.query(sql, params)) out.push_back(row.text(0));
  return out;
}

std::vector<std::string> DicomStore::delete_study(Tx& tx, const std::string& study_uid) {
  auto study = tx.query_one("SELECT id FROM dicom_studies WHERE study_uid = $1", {study_uid});
  if (!study) return {};
  const auto id = study->integer(0);
  std::vector<std::string> keys;
  for (const auto& row :
       tx.query("SELECT blob_key FROM dicom_instances WHERE study_ref = $1", {id}))
    keys.push_back(row.text(0));
  tx.exec("DELETE FROM dicom_instances WHERE study_ref = $1", {id});
  tx.exec("DELETE FROM dicom_series WHERE study_ref = $1", {id});
  tx.exec("DELETE FROM dicom_studies WHERE id = $1", {id});
  return keys;
}

bool DicomStore::blob_key_indexed(Tx& tx, const std::string& blob_key) {
  return tx.query_one("SELECT 1 FROM dicom_instances WHERE blob_key = $1", {blob_key}).has_value();
}

bool DicomStore::sha256_indexed(Tx& tx, const std::string& sha256) {
  return tx.query_one("SELECT 1 FROM dicom_instances WHERE sha256 = $1", {sha256}).has_value();
}

}  // namespace carehub::dicom
