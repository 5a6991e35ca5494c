// Text primitives for record linkage: normalisation of person fields, string similarity, phonetic
// codes and date comparison levels. Pure functions over bytes (ASCII rules; UTF-8 bytes >= 0x80
// pass through untouched), no locale. The comparison functions run tens of millions of times per
// linkage job, so they do not allocate for inputs up to 64 bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace carehub::empi {

// Lowercases ASCII letters; runs of anything but [a-z0-9] and bytes >= 0x80 become one space,
// except apostrophes and dots, which vanish so "O'Brien" -> "obrien"; result is trimmed.
std::string normalize_text(std::string_view s);

// Keeps only the ASCII digits: "(02) 6123-4567" -> "0261234567".
std::string normalize_digits(std::string_view s);

// "YYYYMMDD", "YYYY-MM-DD" or "YYYY/MM/DD" (surrounding whitespace allowed) -> "YYYY-MM-DD".
// Blank input is a missing value and gives ""; any other shape, an impossible calendar date or a
// year outside 1800..2200 gives nullopt.
std::optional<std::string> normalize_date(std::string_view s);

// Codes (sex, state, race, zip): trimmed, ASCII-lowercased, inner whitespace runs -> one space.
std::string normalize_code(std::string_view s);

// Jaro similarity in [0, 1]; both empty -> 1, one empty -> 0. Half-transpositions are rounded
// down, as in Winkler's strcmp95 (and jellyfish, commons-text, DuckDB).
double jaro(std::string_view a, std::string_view b);

// Jaro plus the Winkler boost for a common prefix of up to 4 bytes, applied whatever the Jaro
// score. prefix_scale above 0.25 can push the result past 1.
double jaro_winkler(std::string_view a, std::string_view b, double prefix_scale = 0.1);

// Optimal string alignment distance (adjacent transposition costs 1, no substring edited twice),
// over bytes. Gives up early: a distance above max_distance is reported as max_distance + 1.
// A negative max_distance counts as 0.
int damerau_levenshtein(std::string_view a, std::string_view b, int max_distance);

// Primary code of Lawrence Philips' Double Metaphone, at most 4 characters ("" for no letters).
// Follows the original C++ (with Kevin Atkinson's fixes). The whole string is coded: spaces emit
// nothing but stay word breaks, as rules like "van ", "san " and "mac gregor" need them. UTF-8
// c-cedilla and n-tilde are coded like the original's Latin-1 ones; other non-ASCII letters are
// skipped.
std::string double_metaphone(std::string_view name);

// The alternate Double Metaphone code; equals the primary code when the name has none.
std::string double_metaphone_alt(std::string_view name);

// How two dates of birth agree, for the comparison levels of a linkage model. Inputs are
// normalised "YYYY-MM-DD"; "" (or anything not of that shape) is missing. Checked in this order,
// the first that holds wins:
//   kMissing          either side missing
//   kExact            equal
//   kDayMonthSwapped  same year, a's day/month are b's month/day, and day != month
//   kOneComponentOff  only the month, or only the day, differs; or only the year differs and
//                     in exactly one of its four digits (a typo: 1980 vs 1988, 1962 vs 1952)
//   kYearOff          month and day equal, years at most 5 apart
//   kDifferent        anything else
enum class DateLevel { kExact, kDayMonthSwapped, kOneComponentOff, kYearOff, kDifferent, kMissing };
DateLevel compare_dates(std::string_view a, std::string_view b);

// Absolute number of days between two normalised dates (proleptic Gregorian calendar);
// -1 when either is missing or not a "YYYY-MM-DD" date.
int date_difference_days(std::string_view a, std::string_view b);

}  // namespace carehub::empi
