// Texts shipped inside the binary, from config/texts/ at build time: advice, literals and legal
// documents per language. Keyed by the path below config/texts/ ("tracing/en.json").
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace carehub {

const std::map<std::string, std::string_view, std::less<>>& shipped_texts();

inline std::optional<std::string_view> shipped_text(std::string_view path) {
  const auto& texts = shipped_texts();
  auto it = texts.find(path);
  if (it == texts.end()) return std::nullopt;
  return it->second;
}

}  // namespace carehub
