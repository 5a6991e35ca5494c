// The rendering fast path's header walk (modules/dicom/grey_header.hpp) on pydicom's test files:
// the attributes as dcmdump shows them, the pixel data where it is, sequences of undefined length
// walked past, and everything it does not read (compressed, big endian, truncated, not DICOM)
// left to DCMTK.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "carehub/unique_fd.hpp"
#include "dicom/grey_header.hpp"

using carehub::dicom::GreyHeader;
using carehub::dicom::read_grey_header;

namespace {

const std::string kFiles = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";

std::optional<GreyHeader> header_of(const std::string& path) {
  const carehub::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  return read_grey_header(fd.get());
}

// The first n bytes of a file, as a file of their own (removed with the object).
struct Truncated {
  Truncated(const std::string& from, std::size_t n)
      : path(std::filesystem::temp_directory_path() /
             ("grey-header-" + std::to_string(::getpid()) + "-" + std::to_string(n))) {
    std::ifstream in(from, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(path, std::ios::binary) << bytes.substr(0, n);
  }
  ~Truncated() { std::filesystem::remove(path); }
  std::string path;
};

}  // namespace

TEST_CASE("grey header: CT_small's attributes and where its pixels are", "[unit][dicom]") {
  const auto h = header_of(kFiles + "CT_small.dcm");
  REQUIRE(h);
  CHECK(h->rows == 128);
  CHECK(h->columns == 128);
  CHECK(h->bits_allocated == 16);
  CHECK(h->bits_stored == 16);
  CHECK(h->high_bit == 15);
  CHECK(h->pixel_representation == 1);
  CHECK(h->photometric == "MONOCHROME2");
  CHECK(h->samples == 1);
  CHECK(h->frames == 1);
  CHECK(h->intercept == -1024);
  CHECK(h->slope == 1);
  CHECK_FALSE(h->has_window_center);
  CHECK_FALSE(h->has_lut_sequence(false));
  // 128 x 128 x 2 bytes, after a 12-byte OW header at 6288 (the file less its pixels and padding),
  // and followed by the 138 bytes of a DataSetTrailingPadding.
  CHECK(h->pixel_length == 32768);
  CHECK(h->pixel_offset == 6300);
  CHECK(h->pixel_offset + h->pixel_length + 138 ==
        std::filesystem::file_size(kFiles + "CT_small.dcm"));
}

TEST_CASE("grey header: sequences of undefined length are walked past", "[unit][dicom]") {
  // liver_1frame.dcm (a 1-bit segmentation) has undefined-length sequences before its pixels.
  const auto h = header_of(kFiles + "liver_1frame.dcm");
  REQUIRE(h);
  CHECK(h->rows == 512);
  CHECK(h->columns == 512);
  CHECK(h->bits_allocated == 1);
  CHECK(h->pixel_length == 512 * 512 / 8);
  CHECK(h->pixel_offset + h->pixel_length <=
        std::filesystem::file_size(kFiles + "liver_1frame.dcm"));
}

TEST_CASE("grey header: what it does not read is left to DCMTK", "[unit][dicom]") {
  CHECK_FALSE(header_of(kFiles + "JPEG2000.dcm"));            // encapsulated
  CHECK_FALSE(header_of(kFiles + "MR_small_bigendian.dcm"));  // big endian
  CHECK_FALSE(header_of(kFiles + "image_dfl.dcm"));           // deflated
  CHECK_FALSE(header_of(kFiles + "README.txt"));              // not DICOM
  CHECK_FALSE(header_of(kFiles + "no_meta.dcm"));             // no preamble and meta
  const auto whole = std::filesystem::file_size(kFiles + "CT_small.dcm");
  // Cut before the pixel data's header, and in the middle of an element: never read past.
  for (std::size_t n :
       {std::size_t{0}, std::size_t{131}, std::size_t{200}, std::size_t{1001}, std::size_t{6295}}) {
    INFO(n);
    const Truncated cut(kFiles + "CT_small.dcm", n);
    CHECK_FALSE(header_of(cut.path));
  }
  // Cut inside the pixel data: the header is whole and says how long the value should be; the
  // reader of the frame finds it short.
  const Truncated short_pixels(kFiles + "CT_small.dcm", 7300);
  const auto h = header_of(short_pixels.path);
  REQUIRE(h);
  CHECK(h->pixel_offset + h->pixel_length > 7300);
  CHECK(whole > 7300);
}
