#include "empi/record.hpp"

#include "carehub/hash.hpp"
#include "empi/text.hpp"

namespace carehub::empi {
namespace {

constexpr std::size_t kMaxValueBytes = 1000;

// A date-shaped value that is no calendar date ("20090065": a typo in the source) is kept in the
// normalised shape rather than refused: it still says something (its year, perhaps its month),
// and the record is a real one.
std::optional<std::string> date_shaped(std::string_view s) {
  std::string digits;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != '-' && c != '/' && c != ' ') {
      return std::nullopt;
    }
  }
  if (digits.size() != 8) return std::nullopt;
  return digits.substr(0, 4) + "-" + digits.substr(4, 2) + "-" + digits.substr(6, 2);
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

}  // namespace

std::optional<std::size_t> column_index(std::string_view name) {
  for (std::size_t i = 0; i < kRecordColumns.size(); ++i) {
    if (kRecordColumns[i] == name) return i;
  }
  return std::nullopt;
}

std::optional<std::string> normalize_record(PersonRecord& r) {
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    if (r[i].size() > kMaxValueBytes) {
      return std::string(kRecordColumns[i]) + " is longer than " + std::to_string(kMaxValueBytes) +
             " bytes";
    }
  }
  r[0] = trim(r[0]);
  r[1] = trim(r[1]);
  if (r[0].empty()) return "data_source is empty";
  if (r[1].empty()) return "source_person_id is empty";
  for (std::size_t i : {2u, 3u, 9u, 10u, 13u})
    r[i] = normalize_text(r[i]);  // names, address, city, county
  for (std::size_t i : {4u, 5u, 11u, 12u}) r[i] = normalize_code(r[i]);  // sex, race, state, zip
  for (std::size_t i : {8u, 14u}) r[i] = normalize_digits(r[i]);         // ssn, phone
  for (std::size_t i : {6u, 7u}) {
    auto date = normalize_date(r[i]);
    if (!date) date = date_shaped(r[i]);
    if (!date) {
      return std::string(kRecordColumns[i]) + " '" + r[i] +
             "' is not a date (YYYY-MM-DD or YYYYMMDD)";
    }
    r[i] = std::move(*date);
  }
  return std::nullopt;
}

std::string record_hash(const PersonRecord& r) {
  Sha256 h;
  for (const auto& v : r.values) {
    h.update(v);
    h.update(std::string_view("\x1f", 1));  // unit separator: ("ab","c") != ("a","bc")
  }
  return h.hex();
}

}  // namespace carehub::empi
