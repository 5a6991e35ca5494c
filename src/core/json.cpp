#include "carehub/json.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace carehub {
namespace {

using json = nlohmann::json;

// A SAX handler that builds the document like nlohmann's own DOM parser and stops at the first
// container past the depth limit, before anything deeper is read.
class LimitedSax {
 public:
  LimitedSax(json& root, int max_depth) : dom_(root, /*allow_exceptions=*/false), max_(max_depth) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return dom_.number_float(v, s);
  }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool key(json::string_t& v) { return dom_.key(v); }
  bool start_object(std::size_t n) { return enter() && dom_.start_object(n); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& e) {
    // The library's own message quotes the offending token: it is not used.
    // 406 is its "number overflow" (a number beyond a double's range).
    problem_ = e.id == 406 ? "a number is too large" : "the document is not valid JSON";
    position_ = position;
    return false;
  }

  const std::string& problem() const { return problem_; }
  std::size_t position() const { return position_; }

 private:
  bool enter() {
    if (++depth_ <= max_) return true;
    problem_ = "JSON nesting is deeper than " + std::to_string(max_) + " levels";
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  int max_;
  int depth_ = 0;
  std::string problem_;
  std::size_t position_ = 0;
};

}  // namespace

Result<json> parse_json(std::string_view text, JsonLimits limits) {
  json root;
  LimitedSax sax(root, limits.max_depth);
  const bool ok = json::sax_parse(text, &sax, json::input_format_t::json, /*strict=*/true,
                                  limits.allow_comments);
  if (ok) return Result<json>::ok(std::move(root));
  if (sax.problem().empty()) return Result<json>::fail("the document is not valid JSON");
  if (sax.position() == 0) return Result<json>::fail(sax.problem());
  return Result<json>::fail(sax.problem() + " (at byte " + std::to_string(sax.position()) + ")");
}

json parse_stored_json(std::string_view text, std::string_view what, int max_depth) {
  auto parsed = parse_json(text, {.max_depth = max_depth});
  if (!parsed) throw std::runtime_error("stored " + std::string(what) + ": " + parsed.error());
  return std::move(parsed).value();
}

bool json_too_deep(const json& value, int max_depth) {
  std::vector<std::pair<const json*, int>> todo{{&value, 0}};
  while (!todo.empty()) {
    auto [v, depth] = todo.back();
    todo.pop_back();
    if (!v->is_structured()) continue;
    if (depth + 1 > max_depth) return true;
    for (const auto& child : *v) todo.emplace_back(&child, depth + 1);
  }
  return false;
}

}  // namespace carehub
