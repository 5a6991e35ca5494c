// The states a user can be in (from config), each with a severity and whether entering it starts
// contact discovery. Defaults as COVID Resistance: Healthy, At risk, Infected, Recovered.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace carehub::tracing {

struct State {
  int id = 0;
  std::string name;
  int severity = 0;
  bool contact_discovery = false;
};

class States {
 public:
  // From tracing.states (a list of {id, name, severity, contact_discovery}); throws ConfigError
  // naming the entry that is wrong.
  static States from_config(const nlohmann::json& list);
  static nlohmann::json defaults();

  const State* find(int id) const;
  const std::vector<State>& all() const { return states_; }
  nlohmann::json to_json() const;

 private:
  std::vector<State> states_;
};

nlohmann::json state_json(const State& state);

}  // namespace carehub::tracing
