#include "empi/csv.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <string_view>
#include <utility>

namespace carehub::empi {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;

// Byte classes for the scanning loops: one table lookup per byte keeps the common case (plain
// data) to a load and a branch.
constexpr std::array<bool, 256> stop_table(std::string_view stops) {
  std::array<bool, 256> table{};
  for (const char c : stops) table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr auto kUnquotedStop = stop_table(std::string_view(",\r\n\0", 4));
constexpr auto kQuotedStop = stop_table(std::string_view("\"\r\n\0", 4));
constexpr auto kLineStop = stop_table("\r\n");

bool stops(const std::array<bool, 256>& table, char c) {
  return table[static_cast<unsigned char>(c)];
}

}  // namespace

CsvReader::CsvReader(Source source, CsvLimits limits)
    : source_(std::move(source)), limits_(limits), buf_(kChunkBytes) {}

CsvReader CsvReader::from_string(std::string data, CsvLimits limits) {
  return CsvReader(
      [data = std::move(data), offset = std::size_t{0}](char* buf, std::size_t cap) mutable {
        const std::size_t n = std::min(cap, data.size() - offset);
        data.copy(buf, n, offset);
        offset += n;
        return n;
      },
      limits);
}

bool CsvReader::fill() {
  if (eof_) return false;
  const std::size_t n = source_(buf_.data(), buf_.size());
  assert(n <= buf_.size());
  if (n == 0) {
    eof_ = true;  // the last chunk stays in buf_: end_at_eof looks at its last byte
    return false;
  }
  pos_ = 0;
  len_ = n;
  bytes_read_ += n;
  return true;
}

// The mark may arrive split over several reads, so read until three bytes are in or input ends.
void CsvReader::skip_bom() {
  started_ = true;
  while (len_ < 3 && !eof_) {
    const std::size_t n = source_(buf_.data() + len_, buf_.size() - len_);
    assert(n <= buf_.size() - len_);
    if (n == 0) eof_ = true;
    len_ += n;
    bytes_read_ += n;
  }
  if (len_ >= 3 && buf_[0] == '\xEF' && buf_[1] == '\xBB' && buf_[2] == '\xBF') pos_ = 3;
}

void CsvReader::begin_field(CsvRow& row) {
  ++field_count_;
  if (row.error) return;
  if (field_count_ > limits_.max_fields) {
    fail(row, "more than " + std::to_string(limits_.max_fields) + " fields");
  } else if (field_count_ <= row.fields.size()) {
    field_ = &row.fields[field_count_ - 1];
    field_->clear();
  } else {
    field_ = &row.fields.emplace_back();
  }
}

void CsvReader::append(CsvRow& row, const char* data, std::size_t size) {
  if (field_ == nullptr || size == 0) return;
  if (size > limits_.max_field_bytes - field_->size()) {
    // Checked before appending, so a field never holds more than the limit.
    fail(row, "field " + std::to_string(field_count_) + " longer than " +
                  std::to_string(limits_.max_field_bytes) + " bytes");
    return;
  }
  field_->append(data, size);
  peak_field_bytes_ = std::max(peak_field_bytes_, field_->size());
}

void CsvReader::fail(CsvRow& row, std::string message) {
  if (!row.error) row.error = std::move(message);
  field_ = nullptr;
}

bool CsvReader::end_record(CsvRow& row, char newline) {
  skip_lf_ = newline == '\r';
  return finish(row, line_++);
}

bool CsvReader::end_at_eof(CsvRow& row, State state) {
  std::uint64_t end_line = line_;
  if (state == State::kFieldStart) {
    begin_field(row);  // the input ends right after a separator: one more, empty, field
  } else if (state == State::kQuoted) {
    // This error wins over an earlier one: a stray quote is what swallowed the rest of the input.
    row.error = "unterminated quoted field";
    const char last = buf_[len_ - 1];
    if (last == '\n' || last == '\r') --end_line;  // the input's final newline starts no line
  }
  return finish(row, end_line);
}

bool CsvReader::finish(CsvRow& row, std::uint64_t end_line) {
  row.end_line = end_line;
  if (row.error) {
    row.fields.clear();
  } else {
    row.fields.resize(field_count_);
  }
  return true;
}

bool CsvReader::next(CsvRow& row) {
  if (!started_) skip_bom();
  row.error.reset();

  // Lines with no bytes at all are not records, but they are lines.
  for (;;) {
    if (pos_ == len_ && !fill()) {
      row.fields.clear();
      return false;
    }
    const char c = buf_[pos_];
    if (c == '\n') {
      ++pos_;
      if (!skip_lf_) ++line_;
      skip_lf_ = false;
      continue;
    }
    skip_lf_ = false;
    if (c != '\r') break;
    ++pos_;
    ++line_;
    skip_lf_ = true;
  }

  row.line = line_;
  field_count_ = 0;
  field_ = nullptr;
  State state = State::kFieldStart;
  for (;;) {
    if (pos_ == len_ && !fill()) return end_at_eof(row, state);
    const char* const begin = buf_.data() + pos_;
    const char* const end = buf_.data() + len_;
    switch (state) {
      case State::kFieldStart: {
        begin_field(row);
        if (*begin == '"') {
          ++pos_;
          prev_cr_ = false;
          state = State::kQuoted;
        } else {
          state = State::kUnquoted;  // a separator or newline here ends an empty field
        }
        break;
      }

      case State::kUnquoted: {
        const char* q = begin;
        while (q != end && !stops(kUnquotedStop, *q)) ++q;
        append(row, begin, static_cast<std::size_t>(q - begin));
        pos_ += static_cast<std::size_t>(q - begin);
        if (q == end) break;
        ++pos_;
        if (*q == ',') {
          state = State::kFieldStart;
        } else if (*q == '\0') {
          fail(row, "NUL byte in field " + std::to_string(field_count_));
        } else {
          return end_record(row, *q);
        }
        break;
      }

      case State::kQuoted: {
        const char* q = begin;
        for (; q != end; ++q) {
          if (!stops(kQuotedStop, *q)) continue;
          if (*q == '\r') {
            ++line_;
          } else if (*q == '\n') {
            const bool after_cr = q != begin ? q[-1] == '\r' : prev_cr_;
            if (!after_cr) ++line_;
          } else {
            break;
          }
        }
        if (q != begin) prev_cr_ = q[-1] == '\r';
        append(row, begin, static_cast<std::size_t>(q - begin));
        pos_ += static_cast<std::size_t>(q - begin);
        if (q == end) break;
        ++pos_;
        prev_cr_ = false;
        if (*q == '"') {
          state = State::kAfterQuote;
        } else {
          fail(row, "NUL byte in field " + std::to_string(field_count_));
        }
        break;
      }

      case State::kAfterQuote: {
        const char c = *begin;
        if (c == '"') {  // a doubled quote: one literal quote, still inside the field
          ++pos_;
          append(row, begin, 1);
          state = State::kQuoted;
        } else if (c == ',') {
          ++pos_;
          state = State::kFieldStart;
        } else if (c == '\n' || c == '\r') {
          ++pos_;
          return end_record(row, c);
        } else {
          fail(row, "unexpected character after closing quote");
          state = State::kSkipLine;
        }
        break;
      }

      case State::kSkipLine: {
        const char* q = begin;
        while (q != end && !stops(kLineStop, *q)) ++q;
        pos_ += static_cast<std::size_t>(q - begin);
        if (q == end) break;
        ++pos_;
        return end_record(row, *q);
      }
    }
  }
}

void append_csv_field(std::string& out, std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(value);
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace carehub::empi
