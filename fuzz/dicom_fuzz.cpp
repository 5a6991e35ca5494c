// A DICOM file as the ingest reads it (modules/dicom/parse.hpp, DCMTK inside): the sequence
// nesting walk over the bytes and parse_instance on the file, then, for an instance it accepts,
// the metadata read back as QIDO-RS reads it (it must be the valid JSON the header promises) and
// what retrieval reads from the stored file: frames (WADO-RS .../frames/N) and bulk data values;
// and the header walk of the rendering fast path (grey_header.hpp) on every input.
// Debian's DCMTK is not instrumented: a fault inside it shows as a crash, without
// AddressSanitizer's detail.
#include <fcntl.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <variant>

#include "carehub/json.hpp"
#include "carehub/unique_fd.hpp"
#include "dicom/grey_header.hpp"
#include "dicom/nesting.hpp"
#include "dicom/parse.hpp"
#include "fuzz_support.hpp"

namespace {

std::string uri_base(const std::string& study, const std::string& series, const std::string& sop) {
  return "http://127.0.0.1/dicom-web/studies/" + study + "/series/" + series + "/instances/" + sop;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  carehub::dicom::quiet_dcmtk_logging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)carehub::dicom::sequence_nesting_problem_of(
      std::string_view(reinterpret_cast<const char*>(data), size));
  const carehub::fuzz::MemFile file(data, size);
  {
    // The rendering fast path's own header walk reads any stored file.
    const carehub::UniqueFd fd(::open(file.path().c_str(), O_RDONLY | O_CLOEXEC));
    if (const auto header = carehub::dicom::read_grey_header(fd.get())) {
      if (header->pixel_offset > size) __builtin_trap();  // it claims bytes the file lacks
    }
  }
  auto parsed = carehub::dicom::parse_instance(file.path(), uri_base);
  const auto* instance = std::get_if<carehub::dicom::ParsedInstance>(&parsed);
  if (!instance) return 0;

  // As routes_query.cpp reads it back (three JSON levels per sequence level); throws: a finding.
  const auto metadata = carehub::parse_stored_json(instance->metadata, "DICOM metadata",
                                                   1 + 3 * carehub::dicom::kMaxSequenceDepth + 1);
  for (int frame = 1; frame <= std::min(instance->number_of_frames, 3) + 1; ++frame) {
    (void)carehub::dicom::read_frame(file.path(), frame);
  }
  (void)carehub::dicom::read_bulk_value(file.path(), 0x7fe00010);
  for (const auto& [tag, attribute] : metadata.items()) {
    if (!attribute.contains("BulkDataURI")) continue;
    if (auto key = carehub::dicom::tag_of(tag)) {
      (void)carehub::dicom::read_bulk_value(file.path(), *key);
    }
  }
  return 0;
}
