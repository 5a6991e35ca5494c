// The auth store's users on both backends: case-insensitive sign-in names, refusals as values,
// the admin listing with filters and paging, changes, and the failed-login lockout.
#include <algorithm>
#include <catch2/catch.hpp>

#include "contract/auth_store_support.hpp"

using namespace carehub;
using namespace carehub::auth;
using namespace carehub::test;

namespace {

NewUser by_email(std::string email, std::vector<std::string> roles = {"patient"}) {
  NewUser nu;
  nu.email = std::move(email);
  nu.roles = std::move(roles);
  return nu;
}

std::vector<std::string> logins(const UserPage& page) {
  std::vector<std::string> out;
  for (const auto& u : page.users) out.push_back(u.email ? *u.email : *u.username);
  return out;
}

}  // namespace

TEST_CASE("auth store: users are found by email or username in any case", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);

  NewUser ana = by_email("Ana.Garcia@Clinic.Example", {"physician", "admin"});
  ana.password_hash = "$argon2id$stand-in";
  ana.first_name = "Ana";
  ana.last_name = "Garcia";
  ana.language = "es";
  auto created = f.tx([&](Tx& tx) { return f.store.create_user(tx, ana); });
  REQUIRE(created.created());
  const User& u = *created.user;
  CHECK(u.id > 0);
  CHECK(u.email == "Ana.Garcia@Clinic.Example");  // spelling kept as given
  CHECK_FALSE(u.username);
  CHECK(u.password_hash == "$argon2id$stand-in");
  CHECK(u.roles == std::vector<std::string>{"physician", "admin"});
  CHECK(u.language == "es");
  CHECK(u.status == "active");
  CHECK(u.token_generation == 0);
  CHECK(u.created_at_ms == f.clock.now_ms());
  CHECK(u.updated_at_ms == f.clock.now_ms());
  CHECK_FALSE(u.last_login_ms);

  NewUser app;
  app.username = "TraceUser42";
  app.roles = {"user"};
  auto app_user = f.tx([&](Tx& tx) { return f.store.create_user(tx, app); });
  REQUIRE(app_user.created());
  CHECK_FALSE(app_user.user->email);
  CHECK_FALSE(app_user.user->password_hash);  // signs in elsewhere
  CHECK(app_user.user->language == "en");

  f.tx([&](Tx& tx) {
    for (const char* login :
         {"ana.garcia@clinic.example", "ANA.GARCIA@CLINIC.EXAMPLE", "Ana.Garcia@Clinic.Example"}) {
      auto found = f.store.find_by_login(tx, login);
      REQUIRE(found);
      CHECK(found->id == u.id);
    }
    auto by_name = f.store.find_by_login(tx, "traceuser42");
    REQUIRE(by_name);
    CHECK(by_name->id == app_user.user->id);
    CHECK(by_name->username == "TraceUser42");
    CHECK_FALSE(f.store.find_by_login(tx, "nobody@clinic.example"));
    CHECK_FALSE(f.store.find_by_login(tx, "ana.garcia@clinic.exampl"));
    CHECK_FALSE(f.store.find_by_login(tx, ""));
    auto by_id = f.store.find_user(tx, u.id);
    REQUIRE(by_id);
    CHECK(by_id->email == u.email);
    CHECK(by_id->roles == u.roles);
    CHECK_FALSE(f.store.find_user(tx, u.id + 1000));
  });
}

TEST_CASE("auth store: a taken email or username is refused as a value", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  f.user("house@princeton.example");
  NewUser named;
  named.username = "wilson";
  REQUIRE(f.tx([&](Tx& tx) { return f.store.create_user(tx, named); }).created());

  // The refusal leaves the unit of work usable: what follows in it still commits.
  f.tx([&](Tx& tx) {
    auto dup = f.store.create_user(tx, by_email("HOUSE@Princeton.Example"));
    CHECK(dup.status == CreateUserResult::Status::kEmailTaken);
    CHECK(dup.field == "email");
    CHECK_FALSE(dup.user);
    CHECK(dup.problem.find("INSERT") == std::string::npos);
    NewUser again;
    again.username = "Wilson";
    auto taken = f.store.create_user(tx, again);
    CHECK(taken.status == CreateUserResult::Status::kUsernameTaken);
    CHECK(taken.field == "username");
    CHECK(f.store.create_user(tx, by_email("cuddy@princeton.example")).created());
  });
  CHECK(f.count("users") == 3);
}

TEST_CASE("auth store: invalid users are refused and nothing is stored", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  auto refused_field = [&](NewUser nu) {
    auto r = f.tx([&](Tx& tx) { return f.store.create_user(tx, nu); });
    CHECK(r.status == CreateUserResult::Status::kInvalid);
    CHECK_FALSE(r.problem.empty());
    return r.field;
  };
  CHECK(refused_field(by_email("a@b.example", {"patient", "superuser"})) == "roles");
  NewUser french = by_email("a@b.example");
  french.language = "fr";
  CHECK(refused_field(french) == "language");
  NewUser odd_status = by_email("a@b.example");
  odd_status.status = "deleted";
  CHECK(refused_field(odd_status) == "status");
  CHECK(refused_field(NewUser{}) == "email");
  CHECK(refused_field(by_email("no-at-sign")) == "email");
  CHECK(refused_field(by_email("two words@b.example")) == "email");
  NewUser at_name;
  at_name.username = "someone@b.example";  // would collide with emails
  CHECK(refused_field(at_name) == "username");
  CHECK(f.count("users") == 0);
}

TEST_CASE("auth store: listing filters, pages and counts users", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  for (int i = 0; i < 12; ++i) f.user("patient" + std::to_string(i) + "@clinic.example");
  f.user("doc1@clinic.example", {"physician"});
  f.user("doc2@clinic.example", {"physician", "admin"});
  const auto off = f.user("50%_off@shop.example", {"member"});
  f.user("5000-offers@shop.example", {"member"});
  f.user("50xoff@shop.example", {"member"});
  NewUser house = by_email("gh@clinic.example", {"physician"});
  house.first_name = "Gregory";
  house.last_name = "House";
  f.tx([&](Tx& tx) { REQUIRE(f.store.create_user(tx, house).created()); });
  f.tx([&](Tx& tx) { f.store.update_user(tx, off.id, UserPatch{.status = "disabled"}); });

  f.tx([&](Tx& tx) {
    auto all = f.store.list_users(tx, {});
    CHECK(all.total == 18);
    CHECK(all.users.size() == 18);

    UserFilter physicians{.role = "physician"};
    auto docs = f.store.list_users(tx, physicians);
    CHECK(docs.total == 3);
    CHECK(logins(docs) == std::vector<std::string>{"doc1@clinic.example", "doc2@clinic.example",
                                                   "gh@clinic.example"});

    auto disabled = f.store.list_users(tx, UserFilter{.status = "disabled"});
    CHECK(logins(disabled) == std::vector<std::string>{"50%_off@shop.example"});

    // % and _ in a search are literal characters, not wildcards.
    auto literal = f.store.list_users(tx, UserFilter{.query = "50%_OFF"});
    CHECK(logins(literal) == std::vector<std::string>{"50%_off@shop.example"});
    CHECK(f.store.list_users(tx, UserFilter{.query = "_"}).total == 1);
    CHECK(f.store.list_users(tx, UserFilter{.query = "%"}).total == 1);

    auto by_name = f.store.list_users(tx, UserFilter{.query = "HOUSE"});
    CHECK(logins(by_name) == std::vector<std::string>{"gh@clinic.example"});
    auto combined = f.store.list_users(tx, UserFilter{.role = "member", .query = "shop"});
    CHECK(combined.total == 3);

    auto page = f.store.list_users(tx, UserFilter{.role = "patient", .limit = 5, .offset = 10});
    CHECK(page.total == 12);
    CHECK(logins(page) ==
          std::vector<std::string>{"patient10@clinic.example", "patient11@clinic.example"});
    auto past_end = f.store.list_users(tx, UserFilter{.limit = 5, .offset = 100});
    CHECK(past_end.total == 18);
    CHECK(past_end.users.empty());
    CHECK(f.store.list_users(tx, UserFilter{.limit = 0}).users.size() == 1);  // clamped to 1
    CHECK(f.store.list_users(tx, UserFilter{.role = "nobody"}).total == 0);
  });
}

TEST_CASE("auth store: users are changed field by field", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  const auto u = f.user("nurse@clinic.example", {"medical"});
  f.clock.advance(5000);

  UserPatch names{.first_name = "Carla", .last_name = "Espinosa", .language = "es"};
  auto changed = f.tx([&](Tx& tx) { return f.store.update_user(tx, u.id, names); });
  REQUIRE(changed);
  CHECK(changed->first_name == "Carla");
  CHECK(changed->last_name == "Espinosa");
  CHECK(changed->language == "es");
  CHECK(changed->roles == std::vector<std::string>{"medical"});  // untouched
  CHECK(changed->updated_at_ms == u.created_at_ms + 5000);
  CHECK(changed->created_at_ms == u.created_at_ms);

  UserPatch more{.roles = std::vector<std::string>{"medical", "admin", "medical"},
                 .status = "disabled",
                 .password_hash = "$argon2id$new"};
  auto again = f.tx([&](Tx& tx) { return f.store.update_user(tx, u.id, more); });
  REQUIRE(again);
  CHECK(again->roles == std::vector<std::string>{"medical", "admin"});
  CHECK(again->status == "disabled");
  CHECK(again->password_hash == "$argon2id$new");
  CHECK(again->first_name == "Carla");
  auto reread = f.tx([&](Tx& tx) { return f.store.find_user(tx, u.id); });
  CHECK(reread->status == "disabled");

  CHECK_FALSE(f.tx([&](Tx& tx) { return f.store.update_user(tx, u.id + 99, names); }));
  UserPatch bad{.roles = std::vector<std::string>{"root"}};
  CHECK(patch_problem(bad));
  CHECK(patch_problem(UserPatch{.language = "de"}));
  CHECK(patch_problem(UserPatch{.status = "gone"}));
  CHECK_FALSE(patch_problem(names));
  CHECK_THROWS_AS(f.tx([&](Tx& tx) { return f.store.update_user(tx, u.id, bad); }),
                  std::invalid_argument);
  CHECK(f.tx([&](Tx& tx) { return f.store.find_user(tx, u.id); })->roles ==
        std::vector<std::string>{"medical", "admin"});
}

TEST_CASE("auth store: count_admins counts active admins only", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  auto admins = [&] { return f.tx([&](Tx& tx) { return f.store.count_admins(tx); }); };
  CHECK(admins() == 0);
  const auto a = f.user("a@clinic.example", {"admin"});
  const auto b = f.user("b@clinic.example", {"physician", "admin"});
  f.user("c@clinic.example", {"physician"});
  CHECK(admins() == 2);
  f.tx([&](Tx& tx) { f.store.update_user(tx, a.id, UserPatch{.status = "disabled"}); });
  CHECK(admins() == 1);
  f.tx([&](Tx& tx) {
    f.store.update_user(tx, b.id, UserPatch{.roles = std::vector<std::string>{"physician"}});
  });
  CHECK(admins() == 0);
}

TEST_CASE("auth store: failed sign-ins count per login and address, and per login in a window",
          "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  const std::string key = "k1", other = "k2";
  const std::int64_t t0 = f.clock.now_ms();
  auto fail = [&](const std::string& k, const std::string& address) {
    return f.tx([&](Tx& tx) { return f.store.add_login_failure(tx, k, address, t0); });
  };
  CHECK(fail(key, "10.0.0.1") == 1);
  CHECK(fail(key, "10.0.0.1") == 2);
  CHECK(fail(key, "10.0.0.2") == 1);  // another address counts apart
  CHECK(fail(other, "10.0.0.1") == 1);
  f.tx([&](Tx& tx) { f.store.hold_login_at_address(tx, key, "10.0.0.1", t0 + 5000); });
  auto hold = f.tx([&](Tx& tx) { return f.store.login_hold(tx, key, "10.0.0.1"); });
  CHECK(hold.address_until_ms == t0 + 5000);
  CHECK(hold.anywhere_until_ms == 0);
  CHECK(f.tx([&](Tx& tx) { return f.store.login_hold(tx, key, "10.0.0.2"); }).address_until_ms ==
        0);
  CHECK(f.tx([&](Tx& tx) { return f.store.failing_addresses(tx, key, t0); }) == 2);
  f.tx([&](Tx& tx) { f.store.clear_login_failures(tx, key, "10.0.0.1"); });
  CHECK(fail(key, "10.0.0.1") == 1);  // counting starts over after a success

  constexpr std::int64_t kWindow = 60'000;
  auto ceiling = [&](std::int64_t at) {
    return f.tx([&](Tx& tx) { return f.store.add_ceiling_failure(tx, key, at, kWindow); });
  };
  CHECK(ceiling(t0).failures == 1);
  CHECK(ceiling(t0 + 1000).failures == 2);
  f.tx([&](Tx& tx) { f.store.mark_ceiling(tx, key, true, t0 + 3000); });
  auto third = ceiling(t0 + kWindow - 1);
  CHECK(third.failures == 3);
  CHECK(third.alerted);
  CHECK(f.tx([&](Tx& tx) { return f.store.login_hold(tx, key, "10.9.9.9"); }).anywhere_until_ms ==
        t0 + 3000);
  auto next_window = ceiling(t0 + kWindow);  // the window ended: a new count, a new alert
  CHECK(next_window.failures == 1);
  CHECK_FALSE(next_window.alerted);
}

TEST_CASE("auth store: concurrent failures are all counted", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  const std::int64_t now = f.clock.now_ms();
  // Four clients fail three times each, from one address and across addresses: every failure
  // counts once, in a row and in the window (the upserts take the row lock in turn).
  auto counts = race<int>(4, [&] {
    int last = 0;
    for (int i = 0; i < 3; ++i) {
      last = f.tx([&](Tx& tx) {
        f.store.add_ceiling_failure(tx, "key", now, 60'000);
        return f.store.add_login_failure(tx, "key", "10.0.0.1", now);
      });
    }
    return last;
  });
  CHECK(*std::max_element(counts.begin(), counts.end()) == 12);
  CHECK(f.tx([&](Tx& tx) {
           return f.store.add_ceiling_failure(tx, "key", now, 60'000);
         }).failures == 13);
}