#include "empi/record.hpp"

#include "carehub/hash.hpp"
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

std::variant<std::string, std::string> normalize_value(std::size_t column, std::string_view value) {
  using Out = std::variant<std::string, std::string>;
  const auto problem = [column](std::string what) {
    return Out(std::in_place_index<1>, std::string(kRecordColumns[column]) + what);
  };
  if (value.size() > kMaxValueBytes)
    return problem(" is longer than " + std::to_string(kMaxValueBytes) + " bytes");
  switch (column) {
    case 0:  // data_source, source_person_id: their own spelling, trimmed
    case 1: {
      std::string v(detail::trim(value));
      if (v.empty()) return problem(" is empty");
      return Out(std::in_place_index<0>, std::move(v));
    }
    case 2:
    case 3:
    case 9:
    case 10:
    case 13:  // names, address, city, county
      return Out(std::in_place_index<0>, normalize_text(value));
    case 4:
    case 5:
    case 11:
    case 12:  // sex, race, state, zip
      return Out(std::in_place_index<0>, normalize_code(value));
    case 8:
    case 14:  // ssn, phone
      return Out(std::in_place_index<0>, normalize_digits(value));
    default: {  // birth_date, death_date
      auto date = normalize_date(value);
      if (!date) date = date_shaped(value);
      if (!date) return problem(" is not a date (YYYY-MM-DD or YYYYMMDD)");  // never quoted
      return Out(std::in_place_index<0>, std::move(*date));
    }
  }
}

std::optional<std::string> normalize_record(PersonRecord& r) {
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    auto v = normalize_value(i, r[i]);
    if (v.index() == 1) return std::get<1>(std::move(v));
    r[i] = std::get<0>(std::move(v));
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
