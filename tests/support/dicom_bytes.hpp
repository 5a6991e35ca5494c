// DICOM bytes built by hand, for what pydicom and DCMTK will not write: sequences nested
// thousands deep, in explicit or implicit VR little endian. The unit tests of the nesting walk
// and the end-to-end tests that send such files to the server share them.
#pragma once

#include <cstdint>
#include <string>

namespace carehub::test::dicom_bytes {

inline constexpr std::uint32_t kUndefined = 0xFFFFFFFF;
inline const std::string kExplicit = "1.2.840.10008.1.2.1";
inline const std::string kImplicit = "1.2.840.10008.1.2";

std::string le16(std::uint16_t v);
std::string le32(std::uint32_t v);
std::string tag(std::uint16_t group, std::uint16_t element);

// Preamble, DICM and a file meta group naming only the transfer syntax.
std::string part10(const std::string& transfer_syntax);

// depth ContentSequences of undefined length, each with one item of undefined length, around
// one CodeValue.
std::string undefined_nesting(int depth, bool implicit);
// The same with defined lengths everywhere.
std::string defined_nesting(int depth, bool implicit);

// A whole instance a server can store (file meta with SOP class and instance, the dataset's
// study, series, SOP and patient ids) whose ContentSequence nests depth levels deep, undefined
// lengths; the study is study_uid, the SOP instance study_uid + ".1".
std::string nested_instance(const std::string& study_uid, int depth, bool implicit);

// A Part 10 file whose file meta group holds a sequence nested depth levels deep (undefined
// lengths, group 0002 throughout), then an explicit VR data set with nothing in it.
std::string nested_in_meta(int depth);

}  // namespace carehub::test::dicom_bytes
