// Names for actor subjects: see carehub/accounts.hpp.
#include "carehub/accounts.hpp"

#include <charconv>

namespace carehub {

nlohmann::json ActorNames::operator()(const std::string& subject) {
  if (auto it = known_.find(subject); it != known_.end()) return it->second;
  nlohmann::json name;  // null unless an account is found
  constexpr std::string_view kUser = "user:";
  if (accounts_ && subject.starts_with(kUser)) {
    std::int64_t id = 0;
    const char* first = subject.data() + kUser.size();
    const char* last = subject.data() + subject.size();
    const auto [end, ec] = std::from_chars(first, last, id);
    if (ec == std::errc() && end == last && first != last) {
      if (const auto account = accounts_->find(tx_, id)) {
        if (const auto& shown = account->email ? account->email : account->username) name = *shown;
      }
    }
  }
  known_.emplace(subject, name);
  return name;
}

}  // namespace carehub
