// JSON from outside the process, read as carehub reads it (carehub/json.hpp): a request body
// through Request::json_body (every JSON route), the same text through parse_json with comments
// (configuration files) and parse_stored_json (JSON read back from storage). What is accepted is
// then written out as the server does when it stores or echoes a value (dump() and
// Response::json), and must read back the same and within the depth limit. ApiError
// (kInvalidJson) and parse_stored_json's std::runtime_error are the expected refusals.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "carehub/error.hpp"
#include "carehub/http.hpp"
#include "carehub/json.hpp"

namespace {

void check(const nlohmann::json& value) {
  if (carehub::json_too_deep(value)) __builtin_trap();  // past the limit parse_json promises
  const std::string stored = value.dump();
  (void)carehub::Response::json(value);
  const auto again = carehub::parse_json(stored);
  if (!again || *again != value) __builtin_trap();  // what is stored must read back the same
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  carehub::Request req;
  req.body.assign(reinterpret_cast<const char*>(data), size);
  try {
    check(req.json_body());
  } catch (const carehub::ApiError& e) {
    if (e.code() != carehub::ErrorCode::kInvalidJson) __builtin_trap();
  }
  if (const auto config = carehub::parse_json(req.body, {.allow_comments = true})) check(*config);
  try {
    check(carehub::parse_stored_json(req.body, "fuzz input"));
  } catch (const std::runtime_error&) {
  }
  return 0;
}
