#include "carehub/sql_filter.hpp"

namespace carehub {

std::string SqlFilter::bind(Param value) {
  params_.push_back(std::move(value));
  return "$" + std::to_string(params_.size());
}

void SqlFilter::where(std::string condition) {
  clause_ += clause_.empty() ? " WHERE " : " AND ";
  clause_ += condition;
}

std::string SqlFilter::clause() const {
  return clause_;
}

std::string escape_like(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || c == '%' || c == '_') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace carehub
