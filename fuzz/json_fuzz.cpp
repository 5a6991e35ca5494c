// A request body read as JSON, as every JSON route reads it (Request::json_body), then written
// back out as the server does when it stores or echoes a value: dump() for storage and
// Response::json for an answer. A body refused with ApiError (kInvalidJson) is the expected
// outcome for most inputs; anything else escaping, or a crash, is a finding.
#include <cstdint>
#include <string>

#include "carehub/error.hpp"
#include "carehub/http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  carehub::Request req;
  req.body.assign(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json value = req.json_body();
    const std::string stored = value.dump();
    const carehub::Response answer = carehub::Response::json(value);
    // What was stored must read back as the same value.
    if (nlohmann::json::parse(stored) != value) __builtin_trap();
    (void)answer;
  } catch (const carehub::ApiError&) {
  }
  return 0;
}
