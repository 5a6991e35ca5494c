// A WHERE clause built from optional filters (search screens, listings), every value a bound
// parameter: the text of the SQL never holds what a caller typed.
#pragma once

#include <string>
#include <string_view>

#include "carehub/db.hpp"

namespace carehub {

class SqlFilter {
 public:
  // The placeholder ("$n") of a new parameter holding value.
  std::string bind(Param value);
  // A condition, ANDed with the others; it names its values through bind().
  void where(std::string condition);
  // " WHERE a AND b", or "" without conditions.
  std::string clause() const;
  const Params& params() const { return params_; }

 private:
  Params params_;
  std::string clause_;
};

// text with \, % and _ escaped, for LIKE ... ESCAPE '\'.
std::string escape_like(std::string_view text);

}  // namespace carehub
