#include <charconv>
#include <cstdlib>
#include <string>

#include "carehub/db.hpp"

namespace carehub {
namespace {

const std::string& cell(const std::vector<std::optional<std::string>>& cells, std::size_t i) {
  const auto& c = cells.at(i);
  if (!c) throw DbError("column " + std::to_string(i) + " is NULL", false);
  return *c;
}

}  // namespace

const std::string& Row::text(std::size_t i) const {
  return cell(cells_, i);
}

std::int64_t Row::integer(std::size_t i) const {
  const std::string& s = cell(cells_, i);
  std::int64_t value = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc() || ptr != end || s.empty()) {
    throw DbError("column " + std::to_string(i) + " is not an integer", false);
  }
  return value;
}

double Row::real(std::size_t i) const {
  const std::string& s = cell(cells_, i);
  // strtod rather than from_chars: it also reads PostgreSQL's "Infinity" and "NaN".
  char* end = nullptr;
  const double value = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) {
    throw DbError("column " + std::to_string(i) + " is not a number", false);
  }
  return value;
}

std::optional<std::int64_t> Row::opt_integer(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return integer(i);
}

}  // namespace carehub
