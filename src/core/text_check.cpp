#include "carehub/text_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "carehub/error.hpp"

namespace carehub {
namespace {

struct CodePoint {
  std::uint32_t value = 0;
  std::size_t length = 0;  // 0: the bytes at that position are not well-formed UTF-8
};

CodePoint decode(std::string_view s, std::size_t i) {
  static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return {c, 1};
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if ((c & 0xe0) == 0xc0) {
    n = 1, cp = c & 0x1fu;
  } else if ((c & 0xf0) == 0xe0) {
    n = 2, cp = c & 0x0fu;
  } else if ((c & 0xf8) == 0xf0) {
    n = 3, cp = c & 0x07u;
  } else {
    return {};
  }
  if (s.size() - i <= n) return {};
  for (std::size_t k = 1; k <= n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return {};
    cp = (cp << 6) | (b & 0x3fu);
  }
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return {};
  return {cp, n + 1};
}

bool is_control(std::uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

// A line break or tab in text over several lines. A CR on its own is refused: it returns a
// terminal's cursor to the line start, so what follows hides what came before.
bool allowed_in_lines(std::string_view s, std::size_t i, std::uint32_t cp) {
  return cp == '\t' || cp == '\n' || (cp == '\r' && i + 1 < s.size() && s[i + 1] == '\n');
}

}  // namespace

bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto cp = decode(text, i);
    if (cp.length == 0) return false;
    i += cp.length;
  }
  return true;
}

std::optional<std::string> text_problem(std::string_view text, TextKind kind) {
  for (std::size_t i = 0; i < text.size();) {
    const auto cp = decode(text, i);
    if (cp.length == 0)
      return fmt::format("must be UTF-8 text (a malformed byte at byte {})", i + 1);
    if (is_control(cp.value) &&
        !(kind == TextKind::kLines && allowed_in_lines(text, i, cp.value))) {
      return fmt::format("must not contain control characters (U+{:04X} at byte {}{})", cp.value,
                         i + 1, kind == TextKind::kLines ? "; line breaks are LF or CR LF" : "");
    }
    i += cp.length;
  }
  return std::nullopt;
}

void require_text(std::string_view field, std::string_view text, TextKind kind) {
  if (auto problem = text_problem(text, kind))
    throw ApiError(ErrorCode::kValidationFailed, fmt::format("{} {}", field, *problem));
}

std::optional<std::string> json_text_problem(const nlohmann::json& value, TextKind kind) {
  // Every node visited is kept with its parent, so a path is only spelled out for a problem.
  struct Node {
    const nlohmann::json* value;
    std::size_t parent;      // index in nodes; SIZE_MAX for the root
    const std::string* key;  // in an object; else index in an array
    std::size_t index;
  };
  std::vector<Node> nodes = {{&value, SIZE_MAX, nullptr, 0}};
  const auto path_of = [&nodes](std::size_t at) {
    std::vector<std::string> parts;
    for (; nodes[at].parent != SIZE_MAX; at = nodes[at].parent) {
      parts.push_back(nodes[at].key ? "." + *nodes[at].key : fmt::format("[{}]", nodes[at].index));
    }
    std::string path;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) path += *it;
    return path;
  };
  for (std::size_t at = 0; at < nodes.size(); ++at) {
    const nlohmann::json& node = *nodes[at].value;
    if (node.is_string()) {
      if (auto problem = text_problem(node.get_ref<const std::string&>(), kind))
        return path_of(at) + " " + *problem;
    } else if (node.is_object()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (auto problem = text_problem(it.key(), TextKind::kLine))
          return path_of(at) + " has a key that " + *problem;
        nodes.push_back({&it.value(), at, &it.key(), 0});
      }
    } else if (node.is_array()) {
      for (std::size_t i = 0; i < node.size(); ++i) nodes.push_back({&node[i], at, nullptr, i});
    }
  }
  return std::nullopt;
}

std::optional<std::string> email_problem(std::string_view email) {
  const auto at = email.find('@');
  const bool space_or_control = std::any_of(email.begin(), email.end(),
                                            [](unsigned char c) { return c <= 0x20 || c == 0x7F; });
  if (email.empty() || email.size() > kMaxEmailBytes || at == 0 || at == std::string_view::npos ||
      at + 1 == email.size() || space_or_control || text_problem(email)) {
    return "email must look like name@domain (no spaces, at most 254 bytes)";
  }
  return std::nullopt;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace carehub
