// carehub/json.hpp: the parser every JSON body and stored value goes through. Depth and number
// limits, messages that never quote the input, and the iterative depth check.
#include <catch2/catch.hpp>
#include <string>

#include "carehub/json.hpp"

using carehub::parse_json;

namespace {

std::string nested(std::size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

}  // namespace

TEST_CASE("json: nesting up to the limit parses, one level more is refused", "[json]") {
  CHECK(parse_json(nested(64)).has_value());
  auto over = parse_json(nested(65));
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().find("deeper than 64") != std::string::npos);
  CHECK_FALSE(parse_json(nested(100'000)).has_value());  // the probe's body, without a crash
  std::string objects;
  for (int i = 0; i < 70; ++i) objects += "{\"a\":";
  objects += "1" + std::string(70, '}');
  CHECK_FALSE(parse_json(objects).has_value());
  CHECK(parse_json(nested(3), {.max_depth = 3}).has_value());
  CHECK_FALSE(parse_json(nested(4), {.max_depth = 3}).has_value());
}

TEST_CASE("json: numbers beyond a double are refused, big integers become doubles", "[json]") {
  for (const char* text : {R"({"x":1e400})", R"([-1e400])", "1e309"}) {
    INFO(text);
    auto r = parse_json(text);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().find("too large") != std::string::npos);
  }
  auto big = parse_json("123456789012345678901234567890");
  REQUIRE(big.has_value());
  CHECK(big->is_number_float());
  CHECK(parse_json("1e308")->is_number_float());
}

TEST_CASE("json: errors name the byte, never the input", "[json]") {
  const std::string secret = "Zqx-Patient-Name";
  for (const std::string& text : {R"({"name":")" + secret + R"(")", R"({")" + secret + R"(":tru})",
                                  secret, R"({"n":")" + secret + "\x01\"}"}) {
    INFO(text);
    auto r = parse_json(text);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().find(secret) == std::string::npos);
    CHECK(r.error().find("at byte") != std::string::npos);
  }
  CHECK_FALSE(parse_json("").has_value());
  CHECK_FALSE(parse_json("{} trailing").has_value());
}

TEST_CASE("json: comments only where asked for (configuration files)", "[json]") {
  const std::string text = "// a comment\n{\"a\": /* inline */ 1}";
  CHECK_FALSE(parse_json(text).has_value());
  auto r = parse_json(text, {.allow_comments = true});
  REQUIRE(r.has_value());
  CHECK((*r)["a"] == 1);
}

TEST_CASE("json: stored values are held to the same limits", "[json]") {
  CHECK(carehub::parse_stored_json(R"({"a":[1,2]})", "thing")["a"].size() == 2);
  CHECK_THROWS_WITH(carehub::parse_stored_json(nested(200), "case group"),
                    Catch::Contains("stored case group") && Catch::Contains("deeper than 64"));
}

TEST_CASE("json: the depth of a value built in memory is checked without recursion", "[json]") {
  nlohmann::json shallow = {{"a", {{"b", {1, 2, 3}}}}};
  CHECK_FALSE(carehub::json_too_deep(shallow));
  CHECK(carehub::json_too_deep(shallow, 2));
  CHECK_FALSE(carehub::json_too_deep(shallow, 3));
  nlohmann::json deep = nlohmann::json::array();
  nlohmann::json* at = &deep;
  for (int i = 0; i < 10'000; ++i) {
    at->push_back(nlohmann::json::array());
    at = &(*at)[0];
  }
  CHECK(carehub::json_too_deep(deep));
  CHECK_FALSE(carehub::json_too_deep(nlohmann::json(5), 0));
}
