#include "empi/text.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <vector>

#include "empi/text_detail.hpp"

namespace carehub::empi {
namespace {

using namespace detail;

// ---- dates ----

struct Ymd {
  int y, m, d;
};

constexpr bool is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

constexpr int days_in_month(int y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

int digits_value(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// "YYYY-MM-DD" as produced by normalize_date; anything else is treated as missing.
std::optional<Ymd> parse_normalized(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!is_digit(s[i])) return std::nullopt;
  }
  const Ymd d{digits_value(s.substr(0, 4)), digits_value(s.substr(5, 2)),
              digits_value(s.substr(8, 2))};
  if (d.m < 1 || d.m > 12 || d.d < 1 || d.d > 31) return std::nullopt;
  return d;
}

// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
long days_from_civil(Ymd date) {
  const long y = date.y - (date.m <= 2 ? 1 : 0);
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (date.m + (date.m > 2 ? -3 : 9)) + 2) / 5 + date.d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// ---- Jaro ----

struct JaroCounts {
  std::size_t matches = 0;
  std::size_t out_of_order = 0;  // matched characters that differ when both are read in order
};

constexpr std::uint64_t low_bits(std::size_t n) {
  return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
}

// Both strings fit in a word of match flags, so matching is bit-parallel (as in RapidFuzz): the
// first unmatched equal byte of b within the window is the lowest bit of one AND.
JaroCounts jaro_counts_short(std::string_view a, std::string_view b, std::size_t window) {
  std::uint64_t where[256];  // bit j set when b[j] is that byte; only the bytes of a and b are set
  for (char c : a) where[static_cast<unsigned char>(c)] = 0;
  for (char c : b) where[static_cast<unsigned char>(c)] = 0;
  for (std::size_t j = 0; j < b.size(); ++j) {
    where[static_cast<unsigned char>(b[j])] |= std::uint64_t{1} << j;
  }
  std::uint64_t a_matched = 0, b_matched = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::size_t lo = i > window ? i - window : 0;
    const std::uint64_t in_window = low_bits(i + window + 1) & ~low_bits(lo);
    const std::uint64_t free = where[static_cast<unsigned char>(a[i])] & in_window & ~b_matched;
    if (free != 0) {
      b_matched |= free & (~free + 1);
      a_matched |= std::uint64_t{1} << i;
    }
  }
  JaroCounts counts;
  counts.matches = static_cast<std::size_t>(std::popcount(a_matched));
  for (; a_matched != 0; a_matched &= a_matched - 1, b_matched &= b_matched - 1) {
    const auto i = static_cast<std::size_t>(std::countr_zero(a_matched));
    const auto j = static_cast<std::size_t>(std::countr_zero(b_matched));
    if (a[i] != b[j]) ++counts.out_of_order;
  }
  return counts;
}

// The same greedy matching for long input, with the flags on the heap.
JaroCounts jaro_counts_long(std::string_view a, std::string_view b, std::size_t window) {
  std::vector<bool> a_matched(a.size()), b_matched(b.size());
  JaroCounts counts;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::size_t end = std::min(b.size(), i + window + 1);
    for (std::size_t j = i > window ? i - window : 0; j < end; ++j) {
      if (!b_matched[j] && a[i] == b[j]) {
        a_matched[i] = b_matched[j] = true;
        ++counts.matches;
        break;
      }
    }
  }
  for (std::size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!a_matched[i]) continue;
    while (!b_matched[j]) ++j;
    if (a[i] != b[j++]) ++counts.out_of_order;
  }
  return counts;
}

}  // namespace

std::string normalize_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool gap = false;
  for (char c : s) {
    if (c == '\'' || c == '.') continue;
    if (!is_lower(c) && !is_digit(c) && static_cast<unsigned char>(c) < 0x80) {
      if (!is_upper(c)) {
        gap = true;
        continue;
      }
      c = to_lower(c);
    }
    if (gap && !out.empty()) out.push_back(' ');
    gap = false;
    out.push_back(c);
  }
  return out;
}

std::string normalize_digits(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (is_digit(c)) out.push_back(c);
  }
  return out;
}

std::optional<std::string> normalize_date(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::string();
  std::string out;
  if (s.size() == 8) {
    out = std::string(s.substr(0, 4)) + '-' + std::string(s.substr(4, 2)) + '-' +
          std::string(s.substr(6, 2));
  } else if (s.size() == 10 && (s[4] == '-' || s[4] == '/') && s[7] == s[4]) {
    out = std::string(s);
    out[4] = out[7] = '-';
  } else {
    return std::nullopt;
  }
  const auto date = parse_normalized(out);
  if (!date || date->y < 1800 || date->y > 2200 || date->d > days_in_month(date->y, date->m)) {
    return std::nullopt;
  }
  return out;
}

std::string normalize_code(std::string_view s) {
  s = trim(s);
  std::string out;
  out.reserve(s.size());
  bool gap = false;
  for (char c : s) {
    if (is_space(c)) {
      gap = true;
      continue;
    }
    if (gap) out.push_back(' ');
    gap = false;
    out.push_back(to_lower(c));
  }
  return out;
}

double jaro(std::string_view a, std::string_view b) {
  const std::size_t la = a.size(), lb = b.size();
  if (la == 0 || lb == 0) return la == lb ? 1.0 : 0.0;
  const std::size_t window = std::max(la, lb) / 2 == 0 ? 0 : std::max(la, lb) / 2 - 1;
  const JaroCounts counts =
      la <= 64 && lb <= 64 ? jaro_counts_short(a, b, window) : jaro_counts_long(a, b, window);
  if (counts.matches == 0) return 0.0;
  const double m = static_cast<double>(counts.matches);
  // Half the out-of-order matches, rounded down as in strcmp95.
  const double t = static_cast<double>(counts.out_of_order / 2);
  return (m / static_cast<double>(la) + m / static_cast<double>(lb) + (m - t) / m) / 3.0;
}

double jaro_winkler(std::string_view a, std::string_view b, double prefix_scale) {
  const double j = jaro(a, b);
  const std::size_t limit = std::min({a.size(), b.size(), std::size_t{4}});
  std::size_t prefix = 0;
  while (prefix < limit && a[prefix] == b[prefix]) ++prefix;
  return j + static_cast<double>(prefix) * prefix_scale * (1.0 - j);
}

int damerau_levenshtein(std::string_view a, std::string_view b, int max_distance) {
  max_distance = std::max(max_distance, 0);
  // Trimming a common prefix and suffix leaves the distance unchanged and the matrix smaller.
  while (!a.empty() && !b.empty() && a.front() == b.front()) {
    a.remove_prefix(1);
    b.remove_prefix(1);
  }
  while (!a.empty() && !b.empty() && a.back() == b.back()) {
    a.remove_suffix(1);
    b.remove_suffix(1);
  }
  if (a.size() < b.size()) std::swap(a, b);  // rows as wide as the shorter string
  const int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  if (la - lb > max_distance) return max_distance + 1;
  if (lb == 0) return la;
  // Only cells within k of the diagonal can stay within k; everything else is capped at k + 1,
  // which leaves every value <= k exact. The distance never exceeds la, so k <= la avoids overflow.
  const int k = std::min(max_distance, la);
  const int cap = k + 1;
  const auto width = static_cast<std::size_t>(lb) + 1;
  Scratch<int, 3 * (kShort + 1)> rows(3 * width);
  int* two_up = rows.data();
  int* up = two_up + width;
  int* cur = up + width;
  for (int j = 0; j <= lb; ++j) up[j] = std::min(j, cap);
  for (int i = 1; i <= la; ++i) {
    const int lo = std::max(1, i - k), hi = std::min(lb, i + k);
    cur[0] = std::min(i, cap);
    cur[lo - 1] = lo == 1 ? cur[0] : cap;
    int row_min = cur[lo - 1];
    const char ca = a[static_cast<std::size_t>(i - 1)];
    for (int j = lo; j <= hi; ++j) {
      const char cb = b[static_cast<std::size_t>(j - 1)];
      int v = std::min({up[j] + 1, cur[j - 1] + 1, up[j - 1] + (ca != cb ? 1 : 0)});
      if (i > 1 && j > 1 && ca != cb && ca == b[static_cast<std::size_t>(j - 2)] &&
          a[static_cast<std::size_t>(i - 2)] == cb) {
        v = std::min(v, two_up[j - 2] + 1);
      }
      cur[j] = std::min(v, cap);
      row_min = std::min(row_min, cur[j]);
    }
    if (hi < lb) cur[hi + 1] = cap;
    if (row_min > k) return max_distance + 1;  // rows never get cheaper further down
    int* const recycled = two_up;
    two_up = up;
    up = cur;
    cur = recycled;
  }
  return up[lb] > k ? max_distance + 1 : up[lb];
}

DateLevel compare_dates(std::string_view a, std::string_view b) {
  const auto x = parse_normalized(a), y = parse_normalized(b);
  if (!x || !y) return DateLevel::kMissing;
  const bool same_year = x->y == y->y, same_month = x->m == y->m, same_day = x->d == y->d;
  if (same_year && same_month && same_day) return DateLevel::kExact;
  if (same_year && x->d == y->m && x->m == y->d && x->d != x->m) {
    return DateLevel::kDayMonthSwapped;
  }
  if (same_year && same_month != same_day) return DateLevel::kOneComponentOff;
  if (same_month && same_day) {
    int differing_digits = 0;
    for (std::size_t i = 0; i < 4; ++i) differing_digits += a[i] != b[i] ? 1 : 0;
    if (differing_digits == 1) return DateLevel::kOneComponentOff;
    if (std::abs(x->y - y->y) <= 5) return DateLevel::kYearOff;
  }
  return DateLevel::kDifferent;
}

int date_difference_days(std::string_view a, std::string_view b) {
  const auto x = parse_normalized(a), y = parse_normalized(b);
  if (!x || !y) return -1;
  return static_cast<int>(std::labs(days_from_civil(*x) - days_from_civil(*y)));
}

}  // namespace carehub::empi
