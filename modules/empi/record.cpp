#include "empi/record.hpp"

#include "carehub/hash.hpp"
#include "carehub/json.hpp"
#include "empi/text.hpp"
#include "empi/text_detail.hpp"

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

}  // namespace

std::optional<std::size_t> column_index(std::string_view name) {
  for (std::size_t i = 0; i < kRecordColumns.size(); ++i) {
    if (kRecordColumns[i] == name) return i;
  }
  return std::nullopt;
}

TextKind text_kind_of(std::size_t column) {
  return kRecordColumns[column] == "address" ? TextKind::kLines : TextKind::kLine;
}

Result<std::string> normalize_value(std::size_t column, std::string_view value) {
  using Out = Result<std::string>;
  const auto problem = [column](std::string what) {
    return Out::fail(std::string(kRecordColumns[column]) + what);
  };
  if (value.size() > kMaxValueBytes)
    return problem(" is longer than " + std::to_string(kMaxValueBytes) + " bytes");
  switch (column) {
    case 0:  // data_source, source_person_id: their own spelling, trimmed
    case 1: {
      std::string v(detail::trim(value));
      if (v.empty()) return problem(" is empty");
      return Out::ok(std::move(v));
    }
    case 2:
    case 3:
    case 9:
    case 10:
    case 13:  // names, address, city, county
      return Out::ok(normalize_text(value));
    case 4:
    case 5:
    case 11:
    case 12:  // sex, race, state, zip
      return Out::ok(normalize_code(value));
    case 8:
    case 14:  // ssn, phone
      return Out::ok(normalize_digits(value));
    default: {  // birth_date, death_date
      auto date = normalize_date(value);
      if (!date) date = date_shaped(value);
      if (!date) return problem(" is not a date (YYYY-MM-DD or YYYYMMDD)");  // never quoted
      return Out::ok(std::move(*date));
    }
  }
}

std::optional<std::string> normalize_record(PersonRecord& r) {
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    auto v = normalize_value(i, r[i]);
    if (!v) return v.error();
    r[i] = std::move(v).value();
  }
  return std::nullopt;
}

std::string original_delta(const PersonRecord& given, const PersonRecord& normalized) {
  nlohmann::json delta = nlohmann::json::object();
  for (std::size_t i = 0; i < given.values.size(); ++i) {
    const auto value = detail::trim(given[i]);
    if (value != normalized[i]) delta[std::string(kRecordColumns[i])] = std::string(value);
  }
  return delta.empty() ? std::string() : delta.dump();
}

PersonRecord with_originals(const PersonRecord& normalized, std::string_view delta) {
  PersonRecord out = normalized;
  if (delta.empty()) return out;
  const auto j = parse_stored_json(std::string(delta), "EMPI record originals");
  if (!j.is_object()) throw std::runtime_error("EMPI record originals: not an object");
  for (const auto& [key, value] : j.items()) {
    const auto at = column_index(key);
    if (at && value.is_string()) out[*at] = value.get<std::string>();
  }
  return out;
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
