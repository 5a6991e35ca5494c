#include "carehub/text_check.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "carehub/error.hpp"

using carehub::json_text_problem;
using carehub::text_problem;
using carehub::TextKind;
using namespace std::string_literals;

TEST_CASE("text check: plain text in any script passes", "[text]") {
  for (const std::string& text :
       {""s, "Ann-Marie O'Brien"s, "Zoë Ñúñez"s, "Łódź"s, "山田 太郎"s, "Jos\xC3\xA9"s, "😀"s}) {
    INFO(text);
    CHECK_FALSE(text_problem(text, TextKind::kLine));
    CHECK_FALSE(text_problem(text, TextKind::kLines));
  }
  CHECK(carehub::valid_utf8("Zoë"));
}

TEST_CASE("text check: every C0 control, DEL and C1 control is refused on one line", "[text]") {
  for (int c = 0; c < 0x20; ++c) {
    const std::string text = "ab"s + static_cast<char>(c) + "cd";
    INFO(c);
    REQUIRE(text_problem(text, TextKind::kLine));
  }
  CHECK(text_problem("a\x7f"s, TextKind::kLine));
  CHECK(text_problem("a\xC2\x9B[31m"s, TextKind::kLine));  // U+009B, the 8-bit CSI
  CHECK(text_problem("a\xC2\x80"s, TextKind::kLine));
  CHECK_FALSE(text_problem("a\xC2\xA0"s, TextKind::kLine));  // U+00A0 is a space, not a control
}

TEST_CASE("text check: the message names the code point and byte, never the text", "[text]") {
  const auto problem = text_problem("Zqxsecret\x1b[31m", TextKind::kLine);
  REQUIRE(problem);
  CHECK(*problem == "must not contain control characters (U+001B at byte 10)");
  CHECK(problem->find("Zqx") == std::string::npos);
  const auto nul = text_problem("Zqx\0y"s, TextKind::kLine);
  REQUIRE(nul);
  CHECK(nul->find("U+0000 at byte 4") != std::string::npos);
  const auto bad = text_problem("Zqx\xC3(", TextKind::kLine);
  REQUIRE(bad);
  CHECK(*bad == "must be UTF-8 text (a malformed byte at byte 4)");
}

TEST_CASE("text check: text over lines allows TAB, LF and CR LF, nothing else", "[text]") {
  CHECK_FALSE(text_problem("line one\nline\ttwo\r\nthree\n", TextKind::kLines));
  CHECK(text_problem("a\tb", TextKind::kLine));
  CHECK(text_problem("a\nb", TextKind::kLine));
  const auto lone_cr = text_problem("visible\rhidden", TextKind::kLines);
  REQUIRE(lone_cr);
  CHECK(lone_cr->find("U+000D at byte 8") != std::string::npos);
  CHECK(text_problem("ends with CR\r", TextKind::kLines));
  for (const std::string& bad : {"\x1b[2J"s, "\a"s, "a\0b"s, "\x7f"s, "\f"s, "\v"s}) {
    INFO(static_cast<int>(bad[0]));
    CHECK(text_problem(bad, TextKind::kLines));
  }
}

TEST_CASE("text check: malformed UTF-8 is refused", "[text]") {
  for (const std::string& bad : {"\xC3"s, "\xC0\xAF"s, "\xE0\x80\xAF"s, "\xED\xA0\x80"s,
                                 "\xF4\x90\x80\x80"s, "\xFF"s, "\x80"s, "ab\xE2\x82"s}) {
    INFO(bad.size());
    CHECK_FALSE(carehub::valid_utf8(bad));
    CHECK(text_problem(bad, TextKind::kLines));
  }
}

TEST_CASE("text check: require_text throws 422 naming the field only", "[text]") {
  CHECK_NOTHROW(carehub::require_text("first_name", "Ann"));
  try {
    carehub::require_text("first_name", "Zqx\x07");
    FAIL("no error");
  } catch (const carehub::ApiError& e) {
    CHECK(e.code() == carehub::ErrorCode::kValidationFailed);
    CHECK(std::string(e.what()) ==
          "first_name must not contain control characters (U+0007 at byte 4)");
  }
}

TEST_CASE("text check: JSON is walked to every string and key, at any depth", "[text]") {
  CHECK_FALSE(json_text_problem(
      nlohmann::json::parse(R"([{"text": "a\nb", "n": 1, "tags": ["x", null, true]}])"),
      TextKind::kLines));
  auto nested = nlohmann::json::parse(R"([{"text": "ok"}, {"notes": ["fine", "Zqx\u001b[0m"]}])");
  auto problem = json_text_problem(nested, TextKind::kLines);
  REQUIRE(problem);
  CHECK(*problem ==
        "[1].notes[1] must not contain control characters (U+001B at byte 4; line "
        "breaks are LF or CR LF)");
  auto key = nlohmann::json::parse(R"({"a": {"Zqx\u0007": 1}})");
  problem = json_text_problem(key, TextKind::kLines);
  REQUIRE(problem);
  CHECK(*problem == ".a has a key that must not contain control characters (U+0007 at byte 4)");
  CHECK(problem->find("Zqx") == std::string::npos);
  CHECK(json_text_problem(nlohmann::json("a\tb"), TextKind::kLine) ==
        " must not contain control characters (U+0009 at byte 2)");

  nlohmann::json deep = "\x1b";
  for (int i = 0; i < 100000; ++i) deep = nlohmann::json::array({std::move(deep)});
  CHECK(json_text_problem(deep, TextKind::kLines));
  // nlohmann's destructor is iterative; the value is dropped safely.
}
