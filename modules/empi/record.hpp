// A person record in Tuva EMPI's 15 columns, normalised for storage and matching.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "carehub/result.hpp"
#include "carehub/text_check.hpp"

namespace carehub::empi {

inline constexpr std::array<std::string_view, 15> kRecordColumns = {"data_source",
                                                                    "source_person_id",
                                                                    "first_name",
                                                                    "last_name",
                                                                    "sex",
                                                                    "race",
                                                                    "birth_date",
                                                                    "death_date",
                                                                    "social_security_number",
                                                                    "address",
                                                                    "city",
                                                                    "state",
                                                                    "zip_code",
                                                                    "county",
                                                                    "phone"};

struct PersonRecord {
  std::array<std::string, 15> values;  // in kRecordColumns order

  std::string& operator[](std::size_t i) { return values[i]; }
  const std::string& operator[](std::size_t i) const { return values[i]; }
  const std::string& data_source() const { return values[0]; }
  const std::string& source_person_id() const { return values[1]; }
  const std::string& first_name() const { return values[2]; }
  const std::string& last_name() const { return values[3]; }
  const std::string& sex() const { return values[4]; }
  const std::string& birth_date() const { return values[6]; }
  const std::string& ssn() const { return values[8]; }
  const std::string& address() const { return values[9]; }
  const std::string& city() const { return values[10]; }
  const std::string& state() const { return values[11]; }
  const std::string& zip_code() const { return values[12]; }
  const std::string& phone() const { return values[14]; }
};

// Column index by name, or nullopt.
std::optional<std::size_t> column_index(std::string_view name);

// How a column's text is checked before it is stored (carehub/text_check.hpp): an address may
// span lines (a quoted CSV field, "street\nflat"), normalised to one line; the rest is one line.
TextKind text_kind_of(std::size_t column);

// Normalises every value in place (names and text: lower case, punctuation and repeated spaces
// removed; dates to YYYY-MM-DD from YYYYMMDD, YYYY-MM-DD or YYYY/MM/DD; SSN and phone to digits;
// codes lower case). data_source and source_person_id keep their spelling, trimmed. Returns what
// is wrong instead when the record cannot be stored (no data_source or source_person_id, a date
// that is not even date-shaped, a value over 1000 bytes), naming the column, never quoting the
// value. A date-shaped value that is no calendar date (month 13) is kept, as YYYY-MM-DD text.
// Control characters are not its business: what people send is checked before (text_check.hpp),
// while data handed over by other modules (DICOM names may hold ISO 2022 escapes) is only
// normalised.
std::optional<std::string> normalize_record(PersonRecord& record);

// One value of column normalised as normalize_record does it, or what is wrong with it (naming the
// column, never quoting the value), e.g. for a search filter.
Result<std::string> normalize_value(std::size_t column, std::string_view value);

// The values as given, trimmed of surrounding blanks, where they differ from the normalised ones:
// a JSON object's text ({"first_name":"John"}), or "" when none differs. Kept beside the record
// so it is shown as imported while matching uses the normalised values.
std::string original_delta(const PersonRecord& given, const PersonRecord& normalized);

// The record as imported: normalized with the values of original_delta's text laid over it.
// Throws std::runtime_error when the stored text is not such an object (a damaged row).
PersonRecord with_originals(const PersonRecord& normalized, std::string_view delta);

// SHA-256 (hex) of the normalised values: equal records, equal hash.
std::string record_hash(const PersonRecord& record);

}  // namespace carehub::empi
