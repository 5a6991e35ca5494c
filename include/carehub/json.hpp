// JSON from outside the process (request bodies, tokens, configuration) and JSON read back from
// storage, parsed with limits. nlohmann's parser is iterative, but dump(), comparison and the
// serialiser recurse once per nesting level: a 200 KB body of 100,000 '[' overflowed the stack on
// its way back out (issue 17). So nesting is bounded at parse time, and numbers that do not fit a
// double (1e400) are refused instead of escaping as json::out_of_range.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "carehub/result.hpp"

namespace carehub {

// Objects and arrays nested deeper than this are refused. Everything carehub stores or answers
// is far shallower (a case group's timeline: 4 levels; DICOM JSON of nested sequences: 2 per
// sequence level).
inline constexpr int kMaxJsonDepth = 64;

struct JsonLimits {
  int max_depth = kMaxJsonDepth;
  bool allow_comments = false;  // configuration files only
};

// Never throws and never quotes the input in its message (it may be a patient's data, and
// messages reach logs): the message names the byte offset and what was wrong.
Result<nlohmann::json> parse_json(std::string_view text, JsonLimits limits = {});

// JSON the server stored itself, read back. The same limits (a row written before they existed
// may exceed them); throws std::runtime_error naming what on failure. A store whose documents are
// deeper by design (DICOM JSON: three levels per sequence level) names its own bound.
nlohmann::json parse_stored_json(std::string_view text, std::string_view what,
                                 int max_depth = kMaxJsonDepth);

// Whether value nests objects and arrays deeper than max_depth (a value built in memory, say
// from a DICOM dataset, before it is stored or answered). Iterative.
bool json_too_deep(const nlohmann::json& value, int max_depth = kMaxJsonDepth);

}  // namespace carehub
