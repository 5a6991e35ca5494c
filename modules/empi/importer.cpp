#include "empi/importer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <system_error>
#include <unordered_set>

#include "carehub/log.hpp"
#include "carehub/unique_fd.hpp"
#include "empi/csv.hpp"
#include "empi/matching.hpp"
#include "empi/text_detail.hpp"

namespace carehub::empi {
namespace {

constexpr std::size_t kBatchRows = 50000;  // records stored per transaction
constexpr std::size_t kMaxReportedErrors = 1000;

class FileRange {
 public:
  FileRange(const std::string& path, std::uint64_t offset, std::uint64_t length)
      : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), at_(offset), left_(length) {
    if (!fd_) throw PermanentJobError("the uploaded file is gone: " + path);
  }
  std::size_t read(char* buf, std::size_t cap) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(cap, left_));
    if (want == 0) return 0;
    ssize_t n;
    do {
      n = ::pread(fd_.get(), buf, want, static_cast<off_t>(at_));
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw std::system_error(errno, std::generic_category(), "cannot read the upload");
    at_ += static_cast<std::uint64_t>(n);
    left_ -= static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }

 private:
  UniqueFd fd_;
  std::uint64_t at_, left_;
};

std::string expected_header() {
  std::string h;
  for (auto c : kRecordColumns) h += (h.empty() ? "" : ",") + std::string(c);
  return h;
}

// A control character or bytes that are not UTF-8 in any field, as "column N (name) <problem>":
// refused rather than normalised away, as the JSON routes refuse them.
std::optional<std::string> control_problem(const std::vector<std::string>& fields,
                                           const std::vector<std::size_t>& column_at) {
  for (std::size_t c = 0; c < column_at.size(); ++c) {
    if (auto problem = text_problem(fields[column_at[c]], text_kind_of(c))) {
      return "column " + std::to_string(column_at[c] + 1) + " (" + std::string(kRecordColumns[c]) +
             ") " + *problem;
    }
  }
  return std::nullopt;
}

}  // namespace

// The job's work; run_import_job decides what happens to the uploaded file.
nlohmann::json import_and_match(JobContext& job, Database& db, const Clock& clock,
                                EmpiStore& store) {
  const auto& payload = job.payload();
  const std::string path = payload.at("path");
  const std::uint64_t length = payload.at("length");
  const std::int64_t config_id = payload.at("config_id");
  const std::string actor = payload.value("actor", "system");
  const std::int64_t job_id = job.info().id;

  auto config =
      db.transact([&](Tx& tx) { return store.find_config(tx, config_id); }, TxMode::kRead);
  if (!config) throw PermanentJobError("config " + std::to_string(config_id) + " does not exist");

  FileRange file(path, payload.at("offset"), length);
  CsvReader reader([&file](char* buf, std::size_t cap) { return file.read(buf, cap); });
  CsvRow row;
  if (!reader.next(row) || row.error) throw PermanentJobError("the file has no CSV header");
  // A header cell is never quoted back: without a header row the first row is a patient's data,
  // and this message is the job's last_error and a log line.
  std::vector<std::size_t> column_at(kRecordColumns.size(), SIZE_MAX);
  for (std::size_t i = 0; i < row.fields.size(); ++i) {
    auto at = column_index(detail::trim(row.fields[i]));
    if (!at || column_at[*at] != SIZE_MAX) {
      throw PermanentJobError("column " + std::to_string(i + 1) + " of the first row is " +
                              (at ? "a repeated column name" : "not a column name") +
                              "; the first row must be the header, naming each of " +
                              expected_header() + " once");
    }
    column_at[*at] = i;
  }
  for (std::size_t c = 0; c < column_at.size(); ++c) {
    if (column_at[c] == SIZE_MAX) {
      throw PermanentJobError("the header lacks column '" + std::string(kRecordColumns[c]) +
                              "'; expected " + expected_header());
    }
  }

  std::uint64_t rows = 0, stored = 0, already = 0, bad = 0;
  const auto started = std::chrono::steady_clock::now();
  nlohmann::json errors = nlohmann::json::array();
  auto report_bad = [&](std::uint64_t line, const std::string& what) {
    ++bad;
    if (errors.size() < kMaxReportedErrors) errors.push_back({{"line", line}, {"error", what}});
  };
  std::vector<NewRecord> fresh;
  std::vector<RecordToStore> batch;
  auto flush = [&] {
    if (batch.empty()) return;
    const std::int64_t now = clock.now_ms();
    db.transact([&](Tx& tx) {
      TermFrequencies delta;
      std::vector<NewRecord> added;
      const auto ids = store.insert_records(tx, batch, job_id, now);
      for (std::size_t k = 0; k < batch.size(); ++k) {
        const auto id = ids[k];
        if (!id) {
          ++already;
          continue;
        }
        NewRecord nr{*id, features_of(*id, batch[k].record)};  // blocking keys go in with matching
        delta.add(nr.features);
        added.push_back(std::move(nr));
      }
      store.add_term_frequencies(tx, delta);
      stored += added.size();
      for (auto& a : added) fresh.push_back(std::move(a));
    });
    batch.clear();
    job.progress(50.0 * static_cast<double>(reader.bytes_consumed()) /
                     static_cast<double>(std::max<std::uint64_t>(1, length)),
                 "stored " + std::to_string(stored) + " records");
  };
  while (reader.next(row)) {
    ++rows;
    if (row.error) {
      report_bad(row.line, *row.error);
      continue;
    }
    if (row.fields.size() != column_at.size()) {
      report_bad(row.line, "expected " + std::to_string(column_at.size()) + " fields, found " +
                               std::to_string(row.fields.size()));
      continue;
    }
    if (auto problem = control_problem(row.fields, column_at)) {
      report_bad(row.line, *problem);
      continue;
    }
    PersonRecord record;
    for (std::size_t c = 0; c < column_at.size(); ++c) record[c] = row.fields[column_at[c]];
    const PersonRecord given = record;
    if (auto problem = normalize_record(record)) {
      report_bad(row.line, *problem);
      continue;
    }
    auto original = original_delta(given, record);
    auto hash = record_hash(record);
    batch.push_back({std::move(record), std::move(hash), std::move(original)});
    if (batch.size() >= kBatchRows) {
      flush();
      if (job.cancelled()) break;
    }
  }
  flush();

  const double store_seconds =
      std::round(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() *
                 1000) /
      1000;
  // Records stored by an earlier run that died before matching are matched now, with these.
  std::unordered_set<std::int64_t> mine;
  for (const auto& f : fresh) mine.insert(f.id);
  db.transact(
      [&](Tx& tx) {
        std::vector<std::int64_t> orphans;
        for (const auto id : store.unassigned_record_ids(tx)) {
          if (!mine.contains(id)) orphans.push_back(id);
        }
        for (auto& s : store.records_by_ids(tx, orphans))
          fresh.push_back({s.id, features_of(s.id, s.record)});
      },
      TxMode::kRead);
  const auto summary = match_records_exclusively(
      db, clock, store, *config, std::move(fresh), job_id, actor,
      [&job](double p, const std::string& m) { return job.progress(p, m); });
  log_info("empi_import_done",
           {{"job_id", job_id}, {"rows", rows}, {"stored", stored}, {"bad_rows", bad}});
  return {{"rows", rows},
          {"records_stored", stored},
          {"records_already_stored", already},
          {"bad_rows", bad},
          {"errors", errors},
          {"errors_truncated", bad > errors.size()},
          {"config_id", std::to_string(config_id)},
          {"store_seconds", store_seconds},
          {"matching", summary.to_json()}};
}

nlohmann::json run_import_job(JobContext& job, Database& db, const Clock& clock, EmpiStore& store) {
  // The upload is deleted when the job is done with it: on success and on a failure no retry can
  // mend (a wrong header). Any other failure keeps it for the retry, which re-reads it (rows
  // stored already are no-ops) and matches what the failed run stored.
  const std::string path = job.payload().at("path");
  try {
    auto result = import_and_match(job, db, clock, store);
    ::unlink(path.c_str());
    return result;
  } catch (const PermanentJobError&) {
    ::unlink(path.c_str());
    throw;
  }
}

}  // namespace carehub::empi
