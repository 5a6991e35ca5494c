// The walk that keeps deeply nested sequences away from DCMTK's recursive parser
// (modules/dicom/nesting.hpp): every encoding of nesting counts, real files pass.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "dicom/nesting.hpp"
#include "support/dicom_bytes.hpp"

using carehub::dicom::sequence_nesting_problem;
using carehub::dicom::sequence_nesting_problem_of;

using namespace carehub::test::dicom_bytes;

TEST_CASE("dicom nesting: 32 levels pass, 33 are refused, in every encoding", "[dicom]") {
  for (const bool implicit : {false, true}) {
    const auto& ts = implicit ? kImplicit : kExplicit;
    INFO((implicit ? "implicit" : "explicit"));
    CHECK_FALSE(sequence_nesting_problem_of(part10(ts) + undefined_nesting(32, implicit)));
    CHECK_FALSE(sequence_nesting_problem_of(part10(ts) + defined_nesting(32, implicit)));
    auto deep = sequence_nesting_problem_of(part10(ts) + undefined_nesting(33, implicit));
    REQUIRE(deep);
    CHECK(deep->find("deeper than 32") != std::string::npos);
    CHECK(sequence_nesting_problem_of(part10(ts) + defined_nesting(33, implicit)));
    // What crashed dcmdump: 100,000 levels, 3.6 MB.
    CHECK(sequence_nesting_problem_of(part10(ts) + undefined_nesting(100'000, implicit)));
  }
}

TEST_CASE("dicom nesting: UN of undefined length nests as an implicit sequence", "[dicom]") {
  // The first level is explicit (UN); inside it everything is implicit little endian (CP-246).
  std::string body = tag(0x0009, 0x1010) + "UN" + le16(0) + le32(kUndefined) + tag(0xFFFE, 0xE000) +
                     le32(kUndefined);
  for (int i = 0; i < 40; ++i)
    body += tag(0x0009, 0x1010) + le32(kUndefined) + tag(0xFFFE, 0xE000) + le32(kUndefined);
  CHECK(sequence_nesting_problem_of(part10(kExplicit) + body));
  // The same bytes read explicitly would be short elements: a real nesting of 1 is fine.
  std::string one = tag(0x0009, 0x1010) + "UN" + le16(0) + le32(kUndefined) + tag(0xFFFE, 0xE000) +
                    le32(kUndefined) + tag(0xFFFE, 0xE00D) + le32(0) + tag(0xFFFE, 0xE0DD) +
                    le32(0);
  CHECK_FALSE(sequence_nesting_problem_of(part10(kExplicit) + one));
}

TEST_CASE("dicom nesting: items outside sequences cannot grow the walk", "[dicom]") {
  std::string body;
  for (int i = 0; i < 10'000; ++i) body += tag(0xFFFE, 0xE000) + le32(kUndefined);
  CHECK(sequence_nesting_problem_of(part10(kExplicit) + body));
}

TEST_CASE("dicom nesting: encapsulated pixel data's fragments are not nesting", "[dicom]") {
  std::string pixels = tag(0x7FE0, 0x0010) + "OB" + le16(0) + le32(kUndefined);
  for (int i = 0; i < 100; ++i) pixels += tag(0xFFFE, 0xE000) + le32(4) + "abcd";
  pixels += tag(0xFFFE, 0xE0DD) + le32(0);
  CHECK_FALSE(sequence_nesting_problem_of(part10("1.2.840.10008.1.2.4.50") + pixels));
}

TEST_CASE(
    "dicom nesting: a file meta group read any other way than plainly is bounded by its items",
    "[dicom]") {
  // Found by fuzz/dicom_fuzz: an element of another group inside the meta group's length. DCMTK
  // keeps it in the meta group; the walk stopped there and inflated the data set from the wrong
  // byte, lost its way, and let DCMTK read 40 levels (it would have read 100,000 and crashed).
  const std::string ts = "1.2.840.10008.1.2.1.99";
  const std::string odd = tag(0xFF02, 0x00FA) + "UI" + le16(12) + "1.2.3.4.5.6";
  const std::string meta = tag(0x0002, 0x0010) + "UI" + le16(22) + ts + '\0' + odd;
  const std::string head = std::string(128, '\0') + "DICM" + tag(0x0002, 0x0000) + "UL" + le16(4) +
                           le32(static_cast<std::uint32_t>(meta.size())) + meta;
  auto deflated = sequence_nesting_problem_of(head + "\x63\x60");  // any bytes: never inflated
  REQUIRE(deflated);
  CHECK(deflated->find("deflated") != std::string::npos);

  // A sequence inside the file meta group, nested 100,000 deep: dcmdump crashes on it.
  std::string in_meta = tag(0x0002, 0x0010) + "UI" + le16(20) + kExplicit + '\0';
  for (int i = 0; i < 100'000; ++i)
    in_meta += tag(0x0002, 0x0100) + "SQ" + le16(0) + le32(kUndefined) + tag(0xFFFE, 0xE000) +
               le32(kUndefined);
  auto sequence = sequence_nesting_problem_of(
      std::string(128, '\0') + "DICM" + tag(0x0002, 0x0000) + "UL" + le16(4) +
      le32(static_cast<std::uint32_t>(in_meta.size())) + in_meta);
  REQUIRE(sequence);
  CHECK(sequence->find("more than 32") != std::string::npos);

  // Group 0002 past its group length: DCMTK may take it either way.
  CHECK(sequence_nesting_problem_of(part10(kExplicit) + tag(0x0002, 0x0100) + "UI" + le16(2) +
                                    "1\0" + undefined_nesting(40, false)));
  // The plain layout, with or without a group length, is walked as before.
  CHECK_FALSE(sequence_nesting_problem_of(part10(kExplicit) + undefined_nesting(32, false)));
  CHECK_FALSE(sequence_nesting_problem_of(std::string(128, '\0') + "DICM" + tag(0x0002, 0x0010) +
                                          "UI" + le16(20) + kExplicit + '\0' +
                                          undefined_nesting(32, false)));
}

TEST_CASE("dicom nesting: lengths that overrun their item, or delimiters out of place, are bounded",
          "[dicom]") {
  // An item whose defined length ends inside an element: DCMTK and the walk may part ways from
  // there, so only the count of items can bound the nesting.
  std::string overrun;
  for (int i = 0; i < 40; ++i)
    overrun +=
        tag(0x0040, 0xA730) + "SQ" + le16(0) + le32(kUndefined) + tag(0xFFFE, 0xE000) + le32(2);
  CHECK(sequence_nesting_problem_of(part10(kExplicit) + overrun));
  // A sequence delimiter where an item is open, 40 times over.
  std::string misplaced;
  for (int i = 0; i < 40; ++i)
    misplaced += tag(0x0040, 0xA730) + "SQ" + le16(0) + le32(kUndefined) + tag(0xFFFE, 0xE000) +
                 le32(kUndefined) + tag(0xFFFE, 0xE0DD) + le32(0);
  CHECK(sequence_nesting_problem_of(part10(kExplicit) + misplaced));
}

TEST_CASE("dicom nesting: what is not Part 10, or breaks off with few items, is left to DCMTK",
          "[dicom]") {
  CHECK_FALSE(sequence_nesting_problem_of("not dicom at all"));
  CHECK_FALSE(sequence_nesting_problem_of(""));
  const std::string cut = part10(kExplicit) + undefined_nesting(10, false);
  CHECK_FALSE(sequence_nesting_problem_of(cut.substr(0, cut.size() - 37)));
}

TEST_CASE("dicom nesting: every pydicom test file DCMTK reads passes", "[dicom]") {
  const std::string dir = "/usr/lib/python3/dist-packages/pydicom/data/test_files";
  REQUIRE(std::filesystem::exists(dir));  // python3-pydicom, installed by install-deps.sh
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".dcm") continue;
    ++files;
    INFO(entry.path());
    CHECK_FALSE(sequence_nesting_problem(entry.path().string()));
  }
  CHECK(files > 50);
}
