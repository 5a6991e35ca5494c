// A streaming RFC 4180 CSV reader for person-record imports (files of several GB).
//
// Memory is bounded by the limits, never by the file: one 64 KiB read buffer plus the fields of
// the current record, each at most max_field_bytes and at most max_fields of them. Separator ',',
// quote '"' (doubled inside quotes for a literal quote); records end with LF, CRLF or a lone CR;
// a UTF-8 byte order mark at the very start is skipped; lines with no bytes at all are skipped
// but counted. Line numbers are physical lines, so newlines inside quoted fields count.
//
// Malformed content never throws: next() returns an error row (error set, fields empty) and
// reading resumes at the next record. An error in a field's content (too long, NUL byte, too many
// fields) skips the rest of that record, respecting quotes; a character after a closing quote
// skips the rest of that physical line. A quoted field still open at the end of input makes the
// error "unterminated quoted field", reported at the line where its record starts. Only the
// source's own exceptions (I/O errors) propagate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace carehub::empi {

struct CsvLimits {
  std::size_t max_field_bytes = 64 * 1024;  // a longer field makes the row an error row
  std::size_t max_fields = 256;             // more fields than this: error row
};

struct CsvRow {
  std::vector<std::string> fields;   // reused between calls (capacity kept)
  std::uint64_t line = 0;            // 1-based physical line where the record starts
  std::uint64_t end_line = 0;        // physical line where it ends (> line with embedded newlines)
  std::optional<std::string> error;  // set for a malformed row: what is wrong with it
};

class CsvReader {
 public:
  // Fills buf with up to cap bytes and returns how many; 0 at the end of input (it is not called
  // again after that). Throws on I/O error.
  using Source = std::function<std::size_t(char* buf, std::size_t cap)>;

  explicit CsvReader(Source source, CsvLimits limits = {});
  // Reads from a copy of data (tests and small request bodies).
  static CsvReader from_string(std::string data, CsvLimits limits = {});

  // The next record into row; false at the end of input.
  bool next(CsvRow& row);

  // Input bytes consumed so far, including a byte order mark (for progress reporting).
  std::uint64_t bytes_consumed() const { return bytes_read_ - (len_ - pos_); }
  // The most bytes any one field has held so far; never above max_field_bytes (tests, monitoring).
  std::size_t peak_field_bytes() const { return peak_field_bytes_; }

 private:
  enum class State { kFieldStart, kUnquoted, kQuoted, kAfterQuote, kSkipLine };

  bool fill();
  void skip_bom();
  void begin_field(CsvRow& row);
  void append(CsvRow& row, const char* data, std::size_t size);
  void fail(CsvRow& row, std::string message);
  bool end_record(CsvRow& row, char newline);
  bool end_at_eof(CsvRow& row, State state);
  bool finish(CsvRow& row, std::uint64_t end_line);

  Source source_;
  CsvLimits limits_;
  std::vector<char> buf_;
  std::size_t pos_ = 0;  // next unread byte in buf_
  std::size_t len_ = 0;  // bytes of buf_ holding input
  std::uint64_t bytes_read_ = 0;
  std::uint64_t line_ = 1;
  std::size_t peak_field_bytes_ = 0;
  bool eof_ = false;
  bool started_ = false;
  bool skip_lf_ = false;  // the last record ended with CR: an LF right after it belongs to it
  bool prev_cr_ = false;  // inside quotes, the last byte consumed was CR (CRLF is one line)

  // The record being read.
  std::size_t field_count_ = 0;
  std::string* field_ = nullptr;  // the field being filled; null while skipping an error record
};

// Appends value as one CSV field: as it is, or quoted (quotes doubled) when it holds a comma, a
// quote or a line break.
void append_csv_field(std::string& out, std::string_view value);

}  // namespace carehub::empi
