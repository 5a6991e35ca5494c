#include "tracing/states.hpp"

#include <fmt/format.h>

#include "carehub/config.hpp"

namespace carehub::tracing {

nlohmann::json States::defaults() {
  return nlohmann::json::array({
      {{"id", 1}, {"name", "Healthy"}, {"severity", 0}, {"contact_discovery", false}},
      {{"id", 2}, {"name", "At risk"}, {"severity", 1}, {"contact_discovery", false}},
      {{"id", 3}, {"name", "Infected"}, {"severity", 2}, {"contact_discovery", true}},
      {{"id", 4}, {"name", "Recovered"}, {"severity", 0}, {"contact_discovery", false}},
  });
}

States States::from_config(const nlohmann::json& list) {
  States out;
  std::size_t index = 0;
  for (const auto& entry : list) {
    const auto where = fmt::format("config: tracing.states[{}]", index++);
    if (!entry.is_object()) throw ConfigError(where + " must be an object");
    State s;
    if (!entry.contains("id") || !entry["id"].is_number_integer() || entry["id"].get<int>() <= 0)
      throw ConfigError(where + ".id must be a positive integer");
    if (!entry.contains("name") || !entry["name"].is_string() ||
        entry["name"].get<std::string>().empty())
      throw ConfigError(where + ".name must be a non-empty string");
    if (!entry.contains("severity") || !entry["severity"].is_number_integer() ||
        entry["severity"].get<int>() < 0)
      throw ConfigError(where + ".severity must be an integer >= 0");
    if (entry.contains("contact_discovery") && !entry["contact_discovery"].is_boolean())
      throw ConfigError(where + ".contact_discovery must be true or false");
    for (const auto& [key, value] : entry.items()) {
      if (key != "id" && key != "name" && key != "severity" && key != "contact_discovery")
        throw ConfigError(where + " has an unknown key '" + key + "'");
    }
    s.id = entry["id"];
    s.name = entry["name"];
    s.severity = entry["severity"];
    s.contact_discovery = entry.value("contact_discovery", false);
    if (out.find(s.id)) throw ConfigError(fmt::format("{}: id {} appears twice", where, s.id));
    out.states_.push_back(std::move(s));
  }
  if (out.states_.empty()) throw ConfigError("config: tracing.states must list at least one state");
  return out;
}

const State* States::find(int id) const {
  for (const auto& s : states_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

nlohmann::json state_json(const State& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"severity", s.severity},
          {"contact_discovery", s.contact_discovery}};
}

nlohmann::json States::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : states_) out.push_back(state_json(s));
  return out;
}

}  // namespace carehub::tracing
