#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "empi/csv.hpp"

using carehub::empi::CsvLimits;
using carehub::empi::CsvReader;
using carehub::empi::CsvRow;

namespace {

// One row as read, compared whole so a failure shows everything about it.
struct Row {
  std::vector<std::string> fields;
  std::uint64_t line = 0;
  std::uint64_t end_line = 0;
  std::optional<std::string> error;
  bool operator==(const Row&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Row& row) {
  os << "{lines " << row.line << "-" << row.end_line;
  if (row.error) os << " error '" << *row.error << "'";
  for (const auto& f : row.fields) os << " [" << f << "]";
  return os << "}";
}

Row ok(std::vector<std::string> fields, std::uint64_t line, std::uint64_t end_line = 0) {
  return Row{std::move(fields), line, end_line == 0 ? line : end_line, std::nullopt};
}

Row bad(std::string error, std::uint64_t line, std::uint64_t end_line = 0) {
  return Row{{}, line, end_line == 0 ? line : end_line, std::move(error)};
}

// A source handing out data at most chunk bytes per call, to put chunk boundaries anywhere.
CsvReader::Source chunked(std::string data, std::size_t chunk) {
  return
      [data = std::move(data), chunk, offset = std::size_t{0}](char* buf, std::size_t cap) mutable {
        const std::size_t n = std::min({chunk, cap, data.size() - offset});
        std::memcpy(buf, data.data() + offset, n);
        offset += n;
        return n;
      };
}

std::vector<Row> read_rows(CsvReader& reader) {
  std::vector<Row> rows;
  CsvRow row;
  while (reader.next(row)) rows.push_back(Row{row.fields, row.line, row.end_line, row.error});
  CHECK_FALSE(reader.next(row));  // stays at the end
  return rows;
}

std::vector<Row> read_all(const std::string& data, std::size_t chunk = 64 * 1024,
                          CsvLimits limits = {}) {
  CsvReader reader(chunked(data, chunk), limits);
  auto rows = read_rows(reader);
  CHECK(reader.bytes_consumed() == data.size());
  return rows;
}

std::string with_nul(std::string s) {
  std::replace(s.begin(), s.end(), '@', '\0');
  return s;
}

}  // namespace

TEST_CASE("empi csv: plain rows are split at commas", "[empi]") {
  CHECK(read_all("id,family,given\n1,Smith,Anna\n2,Jones,Ben\n") ==
        std::vector<Row>{ok({"id", "family", "given"}, 1), ok({"1", "Smith", "Anna"}, 2),
                         ok({"2", "Jones", "Ben"}, 3)});
  CHECK(read_all("single\n") == std::vector<Row>{ok({"single"}, 1)});
  CHECK(read_all("  spaces are kept , x \n") ==
        std::vector<Row>{ok({"  spaces are kept ", " x "}, 1)});
  CHECK(read_all("").empty());
}

TEST_CASE("empi csv: LF, CRLF and lone CR all end a record", "[empi]") {
  const std::vector<Row> expected{ok({"a", "b"}, 1), ok({"c", "d"}, 2), ok({"e", "f"}, 3)};
  CHECK(read_all("a,b\nc,d\ne,f\n") == expected);
  CHECK(read_all("a,b\r\nc,d\r\ne,f\r\n") == expected);
  CHECK(read_all("a,b\rc,d\re,f\r") == expected);
  CHECK(read_all("a,b\r\nc,d\re,f\n") == expected);
  // A CR then LF is one line end, even when the LF comes in the next read.
  CHECK(read_all("a,b\r\nc,d\r\ne,f", 4) == expected);
}

TEST_CASE("empi csv: a UTF-8 byte order mark at the start is skipped", "[empi]") {
  for (const std::size_t chunk : {1, 2, 3, 65536}) {
    INFO("chunk " << chunk);
    CHECK(read_all("\xEF\xBB\xBFid,name\n1,J\xC3\xB6rg\n", chunk) ==
          std::vector<Row>{ok({"id", "name"}, 1), ok({"1", "J\xC3\xB6rg"}, 2)});
    CHECK(read_all("\xEF\xBB\xBF", chunk).empty());
    CHECK(read_all("\xEF\xBB\xBF\n", chunk).empty());
    CHECK(read_all("\xEF\xBB", chunk) == std::vector<Row>{ok({"\xEF\xBB"}, 1)});
  }
  // Only at the very start: anywhere else it is data.
  CHECK(read_all("a\n\xEF\xBB\xBF"
                 "b\n") == std::vector<Row>{ok({"a"}, 1), ok({"\xEF\xBB\xBF"
                                                              "b"},
                                                             2)});
}

TEST_CASE("empi csv: quoted fields keep commas and newlines", "[empi]") {
  const std::string data =
      "1,\"Smith, Anna\",x\n"
      "2,\"12 High St\nFlat 3\r\nLeeds\",y\n"
      "3,\"cr\ronly\",z\n"
      "4,after,\"\n\"\n"
      "5,last\n";
  CHECK(read_all(data) == std::vector<Row>{ok({"1", "Smith, Anna", "x"}, 1),
                                           ok({"2", "12 High St\nFlat 3\r\nLeeds", "y"}, 2, 4),
                                           ok({"3", "cr\ronly", "z"}, 5, 6),
                                           ok({"4", "after", "\n"}, 7, 8), ok({"5", "last"}, 9)});
}

TEST_CASE("empi csv: a doubled quote inside quotes is one quote", "[empi]") {
  CHECK(read_all("\"say \"\"hi\"\"\",\"\"\"\",\"\"\"\"\"\"\n") ==
        std::vector<Row>{ok({"say \"hi\"", "\"", "\"\""}, 1)});
}

TEST_CASE("empi csv: a quote inside an unquoted field is data", "[empi]") {
  CHECK(read_all("ab\"c,d\"\"e,f\"\n") == std::vector<Row>{ok({"ab\"c", "d\"\"e", "f\""}, 1)});
}

TEST_CASE("empi csv: empty fields are kept", "[empi]") {
  CHECK(read_all("a,,c\n,,\n,\nx,\n\"\"\n\"\",\"\"\n") ==
        std::vector<Row>{ok({"a", "", "c"}, 1), ok({"", "", ""}, 2), ok({"", ""}, 3),
                         ok({"x", ""}, 4), ok({""}, 5), ok({"", ""}, 6)});
  CHECK(read_all("a,") == std::vector<Row>{ok({"a", ""}, 1)});
  CHECK(read_all("a,\"\"") == std::vector<Row>{ok({"a", ""}, 1)});
}

TEST_CASE("empi csv: empty lines are skipped but counted", "[empi]") {
  CHECK(read_all("\n\na\n\n\nb\r\n\r\n\rc\n\n") ==
        std::vector<Row>{ok({"a"}, 3), ok({"b"}, 6), ok({"c"}, 9)});
  CHECK(read_all("\n\r\n\r").empty());
  CHECK(read_all(" \n") == std::vector<Row>{ok({" "}, 1)});  // a space is not an empty line
}

TEST_CASE("empi csv: the last record needs no final newline", "[empi]") {
  CHECK(read_all("a,b\nc,d") == std::vector<Row>{ok({"a", "b"}, 1), ok({"c", "d"}, 2)});
  CHECK(read_all("a,\"b\nc\"") == std::vector<Row>{ok({"a", "b\nc"}, 1, 2)});
  CHECK(read_all("a\n") == std::vector<Row>{ok({"a"}, 1)});  // the empty last line is no record
}

TEST_CASE("empi csv: an unterminated quoted field is an error at its starting line", "[empi]") {
  CHECK(read_all("a,b\nc,\"never closed\nmore,lines\nhere\n") ==
        std::vector<Row>{ok({"a", "b"}, 1), bad("unterminated quoted field", 2, 4)});
  CHECK(read_all("\"") == std::vector<Row>{bad("unterminated quoted field", 1)});
  CHECK(read_all("x,\"\"\"") == std::vector<Row>{bad("unterminated quoted field", 1)});
  // Even when a field limit gave up on it first: the stray quote is the cause.
  CHECK(read_all("\"" + std::string(100, 'x'), 65536, CsvLimits{10, 256}) ==
        std::vector<Row>{bad("unterminated quoted field", 1)});
}

TEST_CASE("empi csv: junk after a closing quote is an error and reading resumes on the next line",
          "[empi]") {
  CHECK(read_all("1,\"a\"b,c\n2,ok\n3,\"x\" ,\"y\n4,\"q\"\"\"z\r\n5,fine") ==
        std::vector<Row>{bad("unexpected character after closing quote", 1), ok({"2", "ok"}, 2),
                         bad("unexpected character after closing quote", 3),
                         bad("unexpected character after closing quote", 4), ok({"5", "fine"}, 5)});
  // The field before the junk may span lines; the error row spans them too.
  CHECK(read_all("\"a\nb\"c\nd\n") ==
        std::vector<Row>{bad("unexpected character after closing quote", 1, 2), ok({"d"}, 3)});
}

TEST_CASE("empi csv: an oversized field is an error and the rest of its record is skipped",
          "[empi]") {
  const CsvLimits limits{8, 256};
  CHECK(read_all("12345678,x\n123456789,y\nz,\"123\n5678\"\n\"123456789\",\"a\nb\",c\nnext\n",
                 65536, limits) ==
        std::vector<Row>{ok({"12345678", "x"}, 1), bad("field 1 longer than 8 bytes", 2),
                         ok({"z", "123\n5678"}, 3, 4), bad("field 1 longer than 8 bytes", 5, 6),
                         ok({"next"}, 7)});
  // A doubled quote counts as one byte.
  CHECK(read_all("\"1234567\"\"\"\n\"12345678\"\"\"\n", 65536, limits) ==
        std::vector<Row>{ok({"1234567\""}, 1), bad("field 1 longer than 8 bytes", 2)});
  CHECK(read_all("a,b,\"" + std::string(70000, 'x') + "\"\nc\n") ==
        std::vector<Row>{bad("field 3 longer than 65536 bytes", 1), ok({"c"}, 2)});
}

TEST_CASE("empi csv: a 10 MB quoted field is skipped without buffering it", "[empi]") {
  // Generated on the fly: a quoted field of 10 MB with a newline every 100 bytes, then a good row.
  const std::size_t field_bytes = 10 * 1024 * 1024;
  std::size_t produced = 0;
  const std::string head = "1,\"", tail = "\",after\n2,good\n";
  const std::size_t total = head.size() + field_bytes + tail.size();
  CsvReader reader(
      [&](char* buf, std::size_t cap) {
        std::size_t n = 0;
        for (; n < cap && produced < total; ++n, ++produced) {
          if (produced < head.size()) {
            buf[n] = head[produced];
          } else if (produced < head.size() + field_bytes) {
            buf[n] = (produced - head.size()) % 100 == 99 ? '\n' : 'x';
          } else {
            buf[n] = tail[produced - head.size() - field_bytes];
          }
        }
        return n;
      },
      CsvLimits{64 * 1024, 256});
  CsvRow row;
  REQUIRE(reader.next(row));
  CHECK(row.error == "field 2 longer than 65536 bytes");
  CHECK(row.line == 1);
  CHECK(row.end_line == 1 + field_bytes / 100);
  REQUIRE(reader.next(row));
  CHECK_FALSE(row.error);
  CHECK(row.fields == std::vector<std::string>{"2", "good"});
  CHECK(row.line == 2 + field_bytes / 100);
  for (const auto& f : row.fields) CHECK(f.capacity() <= 2 * 64 * 1024);
  CHECK(reader.peak_field_bytes() <= 64 * 1024);
  CHECK_FALSE(reader.next(row));
  CHECK(reader.bytes_consumed() == total);
}

TEST_CASE("empi csv: a NUL byte makes an error row", "[empi]") {
  CHECK(read_all(with_nul("a,b@c,d\n\"x\",\"y@\nz\",w\n@\nok\n")) ==
        std::vector<Row>{bad("NUL byte in field 2", 1), bad("NUL byte in field 2", 2, 3),
                         bad("NUL byte in field 1", 4), ok({"ok"}, 5)});
}

TEST_CASE("empi csv: too many fields make an error row", "[empi]") {
  const CsvLimits limits{65536, 3};
  CHECK(read_all("a,b,c\na,b,c,d\n\"x\",\"y\",\"z\",\"w\nv\"\na,b,\n", 65536, limits) ==
        std::vector<Row>{ok({"a", "b", "c"}, 1), bad("more than 3 fields", 2),
                         bad("more than 3 fields", 3, 4), ok({"a", "b", ""}, 5)});
}

TEST_CASE("empi csv: thousands of bad rows among good rows are each reported", "[empi]") {
  std::string data;
  std::vector<Row> expected;
  std::uint64_t line = 1;
  for (int i = 0; i < 5000; ++i) {
    const std::string id = std::to_string(i);
    switch (i % 7) {
      case 0:
        data += "\"" + id + "\"junk,x\n";
        expected.push_back(bad("unexpected character after closing quote", line++));
        break;
      case 1:
        data += id + ",\"multi\r\nline\"\r\n";
        expected.push_back(ok({id, "multi\r\nline"}, line, line + 1));
        line += 2;
        break;
      case 2:
        data += with_nul(id + ",@\n");
        expected.push_back(bad("NUL byte in field 2", line++));
        break;
      case 3:
        data += id + "," + std::string(40, 'L') + "\n";
        expected.push_back(bad("field 2 longer than 32 bytes", line++));
        break;
      case 4:
        data += "\n";
        ++line;
        break;
      default:
        data += id + ",Smith,\"Anna, Maria\",1970-01-01\n";
        expected.push_back(ok({id, "Smith", "Anna, Maria", "1970-01-01"}, line++));
    }
  }
  data += "\"open\n";
  expected.push_back(bad("unterminated quoted field", line));
  for (const std::size_t chunk : {1, 3, 65536}) {
    INFO("chunk " << chunk);
    CHECK(read_all(data, chunk, CsvLimits{32, 8}) == expected);
  }
}

TEST_CASE("empi csv: chunk boundaries in every position give the same rows", "[empi]") {
  const std::vector<std::string> inputs{
      "a,b\r\nc,\"d\r\ne\"\r\n\r\n\"f\"\"g\",h\r",
      "\xEF\xBB\xBF\"x\"\"\",\"\",\n\n\r\r\n,\"\r\"\r\n",
      with_nul("1,\"a\"b\r\n2,c@d\n\"open\r\n"),
      "q\"q,\"x\"\"\"\"y\"\rz",
  };
  for (const auto& input : inputs) {
    INFO(input);
    const auto whole = read_all(input);
    CHECK(read_all(input, 1) == whole);
    CHECK(read_all(input, 2) == whole);
    CHECK(read_all(input, 3) == whole);
    CHECK(read_all(input, 7) == whole);
  }
  // Random bytes from the interesting alphabet: whatever they mean, every split agrees.
  std::mt19937 rng(20240611);
  const std::string alphabet = with_nul("ab,,\"\"\r\n@ ");
  for (int round = 0; round < 300; ++round) {
    std::string input(std::uniform_int_distribution<std::size_t>(0, 60)(rng), 'a');
    for (auto& c : input) c = alphabet[rng() % alphabet.size()];
    const auto whole = read_all(input, 65536, CsvLimits{4, 5});
    CHECK(read_all(input, 1, CsvLimits{4, 5}) == whole);
    CHECK(read_all(input, 3, CsvLimits{4, 5}) == whole);
  }
}

TEST_CASE("empi csv: random records survive a round trip through quoting", "[empi]") {
  std::mt19937 rng(7);
  const std::string alphabet = "abc ,\"\r\n\xC3\xA9";
  const std::vector<std::string> newlines{"\n", "\r\n", "\r"};
  std::string data;
  std::vector<Row> expected;
  std::uint64_t line = 1;
  for (int r = 0; r < 500; ++r) {
    const std::size_t nfields = 1 + rng() % 6;
    std::vector<std::string> fields(nfields);
    std::string record;
    std::uint64_t lines = 0;
    for (std::size_t i = 0; i < nfields; ++i) {
      auto& f = fields[i];
      f.resize(rng() % 8);
      for (auto& c : f) c = alphabet[rng() % alphabet.size()];
      const bool quote = f.find_first_of(",\"\r\n") != std::string::npos || rng() % 4 == 0 ||
                         (nfields == 1 && f.empty());
      if (i > 0) record += ',';
      if (!quote) {
        record += f;
        continue;
      }
      record += '"';
      for (std::size_t k = 0; k < f.size(); ++k) {
        if (f[k] == '"') record += '"';
        record += f[k];
        if (f[k] == '\r' || (f[k] == '\n' && (k == 0 || f[k - 1] != '\r'))) ++lines;
      }
      record += '"';
    }
    data += record + newlines[rng() % newlines.size()];
    expected.push_back(ok(fields, line, line + lines));
    line += lines + 1;
  }
  CHECK(read_all(data) == expected);
  CHECK(read_all(data, 1) == expected);
  CHECK(read_all(data, 3) == expected);
}

TEST_CASE("empi csv: bytes consumed grows to the input size", "[empi]") {
  const std::string data =
      "\xEF\xBB\xBF"
      "a,b\n\n\"c\nd\",e\r\n";
  auto reader = CsvReader::from_string(data);
  CHECK(reader.bytes_consumed() == 0);
  CsvRow row;
  REQUIRE(reader.next(row));
  CHECK(reader.bytes_consumed() == 7);
  REQUIRE(reader.next(row));
  CHECK(reader.bytes_consumed() <= data.size());
  CHECK_FALSE(reader.next(row));
  CHECK(reader.bytes_consumed() == data.size());
}

TEST_CASE("empi csv: field storage is reused between rows", "[empi]") {
  auto reader = CsvReader::from_string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,b\nc,d\n");
  CsvRow row;
  REQUIRE(reader.next(row));
  const auto* storage = row.fields[0].data();
  REQUIRE(reader.next(row));
  CHECK(row.fields == std::vector<std::string>{"c", "d"});
  CHECK(row.fields[0].data() == storage);
}

TEST_CASE("empi csv: reads an istream through a source callback", "[empi]") {
  std::istringstream in("id,name\n1,\"O'Brien, Pat\"\n");
  CsvReader reader([&in](char* buf, std::size_t cap) {
    in.read(buf, static_cast<std::streamsize>(cap));
    if (in.bad()) throw std::runtime_error("read failed");
    return static_cast<std::size_t>(in.gcount());
  });
  CHECK(read_rows(reader) == std::vector<Row>{ok({"id", "name"}, 1), ok({"1", "O'Brien, Pat"}, 2)});
}

TEST_CASE("empi csv: an I/O error from the source propagates", "[empi]") {
  int calls = 0;
  CsvReader reader([&calls](char* buf, std::size_t) -> std::size_t {
    if (++calls > 1) throw std::runtime_error("disk gone");
    std::memcpy(buf, "a,b\nc", 5);
    return 5;
  });
  CsvRow row;
  REQUIRE(reader.next(row));
  CHECK_THROWS_WITH(reader.next(row), "disk gone");
}
