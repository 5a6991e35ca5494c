// People's accounts as other modules see them: who an account is and what roles it holds, and
// the one change another module may make to it (a role earned through that module's own rules,
// such as redeeming a health-security id). The auth module provides it; every call runs inside
// the caller's unit of work so the change commits or rolls back with the caller's own.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "carehub/db.hpp"

namespace carehub {

struct AccountInfo {
  std::int64_t id = 0;
  std::optional<std::string> email;
  std::optional<std::string> username;
  std::vector<std::string> roles;
  std::string language = "en";  // en or es: the language texts shown to this person use
  bool active = false;
  std::int64_t token_generation = 0;  // moves on at every revocation of the account's credentials
};

class Accounts {
 public:
  virtual ~Accounts() = default;
  virtual std::optional<AccountInfo> find(Tx& tx, std::int64_t user_id) = 0;
  // Case-insensitive.
  virtual std::optional<AccountInfo> find_by_email(Tx& tx, std::string_view email) = 0;
  // Adds a known role. Returns false when the account already held it (nothing changes). Access
  // tokens issued before are revoked once tx commits, as for any role change: the next refresh
  // carries the new role. Throws std::invalid_argument for an unknown role or account.
  virtual bool grant_role(Tx& tx, std::int64_t user_id, const std::string& role) = 0;
  // Mails an address that has no account an invitation to register with role: a single-use link
  // to the console's registration page, valid two weeks, in the message template_name (mail
  // templates) in language. Registering through it proves the address (see AddressConfirmations).
  // Nothing is mailed when outgoing mail is off; the invitation exists all the same.
  virtual void invite(Tx& tx, std::string_view email, const std::string& role,
                      const std::string& template_name, const std::string& language) = 0;
};

// What another module does once an account has proved it owns its email address (registered
// through an emailed invitation, or opened its confirmation link): the cases module turns the
// shares waiting for that address into invitations for the account. Called inside the unit of
// work of the proof, so both commit together.
class AddressConfirmations {
 public:
  virtual ~AddressConfirmations() = default;
  virtual void address_confirmed(Tx& tx, const AccountInfo& account) = 0;
};

// The names to show for the actors a history records ("user:12"), each account read once per
// answer. A user's name is their email, else their username. Other subjects (token:3, system), an
// account since deleted, or accounts being unavailable (the auth module off) have no name, and
// the subject is shown as it is.
class ActorNames {
 public:
  ActorNames(Accounts* accounts, Tx& tx) : accounts_(accounts), tx_(tx) {}
  // The name, as an API answer's actor_name: a string, or null when there is none.
  nlohmann::json operator()(const std::string& subject);

 private:
  Accounts* accounts_;
  Tx& tx_;
  std::map<std::string, nlohmann::json, std::less<>> known_;
};

}  // namespace carehub
