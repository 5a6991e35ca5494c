// The EMPI import's CSV reader (modules/empi/csv.hpp) on arbitrary bytes. The same input is read
// twice, once as one buffer and once through a source handing out a few bytes per call, as a file
// read may end anywhere (mid-field, between CR and LF, inside a quoted field or the byte order
// mark): both readings must give the same rows, within the limits the header promises.
//
// Input: two bytes choosing the source's piece size and the limits (the importer's defaults, or
// small ones that a short input can exceed), then the CSV text.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "empi/csv.hpp"

namespace {

using carehub::empi::CsvLimits;
using carehub::empi::CsvReader;
using carehub::empi::CsvRow;

std::vector<CsvRow> read_all(CsvReader& reader, const CsvLimits& limits, std::size_t input) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::uint64_t last_line = 0;
  while (reader.next(row)) {
    if (row.line <= last_line && !rows.empty()) __builtin_trap();  // lines only move forward
    if (row.end_line < row.line) __builtin_trap();
    if (row.error && !row.fields.empty()) __builtin_trap();
    if (row.fields.size() > limits.max_fields) __builtin_trap();
    for (const auto& f : row.fields) {
      if (f.size() > limits.max_field_bytes) __builtin_trap();
    }
    if (reader.bytes_consumed() > input) __builtin_trap();
    last_line = row.line;
    rows.push_back(row);
  }
  if (reader.bytes_consumed() != input) __builtin_trap();  // the whole input was read
  if (reader.peak_field_bytes() > limits.max_field_bytes) __builtin_trap();
  return rows;
}

bool same(const CsvRow& a, const CsvRow& b) {
  return a.fields == b.fields && a.line == b.line && a.end_line == b.end_line && a.error == b.error;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t piece = 1 + data[0] % 17;
  CsvLimits limits;
  if (data[1] & 1) {
    limits.max_field_bytes = 1 + (data[1] >> 1) % 32;
    limits.max_fields = 1 + (data[1] >> 1) % 8;
  }
  const std::string text(reinterpret_cast<const char*>(data + 2), size - 2);

  auto whole = CsvReader::from_string(text, limits);
  const auto expected = read_all(whole, limits, text.size());

  std::size_t at = 0;
  CsvReader pieces(
      [&](char* buf, std::size_t cap) {
        const std::size_t n = std::min({piece, cap, text.size() - at});
        std::memcpy(buf, text.data() + at, n);
        at += n;
        return n;
      },
      limits);
  const auto got = read_all(pieces, limits, text.size());
  if (!std::equal(expected.begin(), expected.end(), got.begin(), got.end(), same)) __builtin_trap();
  return 0;
}
