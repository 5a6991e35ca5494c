// Reading DICOM Part 10 files with DCMTK, for the index and for retrieval. Files are read with
// large values left on disk (loaded only when asked for), so a 2 GB instance costs a few
// kilobytes of memory. Nothing here knows of HTTP or the database; DCMTK stays inside parse.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "carehub/result.hpp"

namespace carehub::dicom {

struct ParsedInstance {
  std::string sop_class_uid, sop_instance_uid, study_uid, series_uid, transfer_syntax_uid;
  std::string patient_id, issuer_of_patient_id, patient_name, patient_birth_date, patient_sex;
  std::string study_date, study_time, accession_number, study_id, study_description,
      referring_physician_name;
  std::string modality, series_number, series_description, instance_number;
  int rows = 0, columns = 0, number_of_frames = 0, bits_allocated = 0, samples_per_pixel = 0;
  bool has_pixel_data = false;
  bool encapsulated = false;  // compressed pixel data (the transfer syntax says so)
  // The instance's DICOM JSON (PS3.18 F.2) without the file meta group; values of bulk data
  // (pixel data, and any other binary value above a few kilobytes) appear as a BulkDataURI under
  // uri_base: "<uri_base>/bulkdata/<TAG>".
  std::string metadata;  // the JSON text (valid UTF-8), as stored and served
};

// Parses the file at path, which must be DICOM Part 10 ("DICM" after the preamble, with a file
// meta group) and hold SOP Class, SOP Instance, Study and Series Instance UIDs that are valid
// UIDs. uri_base(study, series, sop) gives the instance's URL prefix for bulk data. Returns the
// instance, or why it was refused (meant for the client: "not a DICOM Part 10 file", "SOP
// Instance UID is missing", "truncated or malformed DICOM: ...").
using UriBase = std::function<std::string(const std::string& study, const std::string& series,
                                          const std::string& sop)>;
std::variant<ParsedInstance, std::string> parse_instance(const std::string& path,
                                                         const UriBase& uri_base);

// True when s is a valid UID: 1-64 characters of digits and dots, no empty component, no leading
// zero in a component of more than one digit.
bool valid_uid(std::string_view s);

// Frame n (1-based) of the pixel data, uncompressed (compressed data decoded, see transcode.hpp),
// little endian, samples interleaved; a failure saying why when there is no such frame or it
// cannot be had (bit-packed across bytes, a codestream that does not decode).
Result<std::string> read_frame(const std::string& path, int frame);

// The value of the element with this tag (group << 16 | element), found at the top level or,
// failing that, the first in a sequence: its bytes, little endian. Errors as read_frame.
Result<std::string> read_bulk_value(const std::string& path, std::uint32_t tag);

// Tag of a DICOM keyword ("PatientName") or of 8 hex digits ("00100010"); nullopt if neither.
std::optional<std::uint32_t> tag_of(std::string_view keyword_or_hex);
// The VR the data dictionary gives a tag ("PN"), "UN" when unknown.
std::string vr_of(std::uint32_t tag);

// Silences DCMTK's own console logging (its warnings about odd files go nowhere; what matters
// reaches the client as a refusal reason). Call once before any other function here.
void quiet_dcmtk_logging();

}  // namespace carehub::dicom
