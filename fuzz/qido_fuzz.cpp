// A QIDO-RS search's query string as the search routes read it: Request::query_params (percent
// decoding) into parse_qido at each level, then the includefield handling that copies
// attributes out of an instance's metadata. QidoError is the expected refusal.
#include <cstdint>
#include <string>

#include "carehub/http.hpp"
#include "dicom/qido.hpp"

namespace {

// routes_query.cpp's limits.
constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

const nlohmann::json& metadata() {
  static const nlohmann::json m = nlohmann::json::parse(R"({
    "00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.7"]},
    "00080060": {"vr": "CS", "Value": ["OT"]},
    "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]},
    "00100020": {"vr": "LO", "Value": ["P-1"]},
    "00081140": {"vr": "SQ", "Value": [{"00081150": {"vr": "UI", "Value": ["1.2.3"]}}]},
    "7FE00010": {"vr": "OB", "BulkDataURI": "http://127.0.0.1/bulkdata/7FE00010"},
    "00091001": {"vr": "OB", "InlineBinary": "AAEC"}})");
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  carehub::Request req;
  req.query.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto level = static_cast<carehub::dicom::Level>(data[0] % 3);
  try {
    const auto q = carehub::dicom::parse_qido(req.query_params(), level, kDefaultLimit, kMaxLimit);
    if (q.query.limit < 1 || q.query.limit > kMaxLimit || q.query.offset < 0) __builtin_trap();
    nlohmann::json result = nlohmann::json::object();
    carehub::dicom::add_included(result, metadata(), q);
    (void)result.dump();
  } catch (const carehub::dicom::QidoError&) {
  }
  return 0;
}
