// Medical cases end to end against the real binary: the access matrix (owner patient; invited
// physician before and after accepting and after revocation; another patient; another physician;
// admin; anonymous) over every cases route; sharing rules (patient to patient refused, oneself,
// twice, a deleted case; a recipient re-sharing needs the owner's approval); the recipient reading
// the owner's current data; documents round-trip byte-identical with Range and ETag; signed links
// that expire, and stop on revocation; personal data kept apart from medical data; literals and
// legal documents; audit; notifications. A 100 MB document with bounded server memory. On SQLite
// and PostgreSQL.
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>
#include <thread>

#include "carehub/blob.hpp"
#include "carehub/config.hpp"
#include "carehub/hash.hpp"
#include "support/signed_in_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

struct People {
  std::string admin, pat, pat2, doc, doc2, doc3;
  std::int64_t pat_id = 0, doc_id = 0;
};

People people(HttpClient& http) {
  People p;
  p.admin = login(http, kAdmin);
  p.pat_id = add_user(http, p.admin, "pat@clinic.example", {"patient"});
  add_user(http, p.admin, "pat2@clinic.example", {"patient"});
  p.doc_id = add_user(http, p.admin, "doc@clinic.example", {"physician"});
  add_user(http, p.admin, "doc2@clinic.example", {"physician"});
  add_user(http, p.admin, "doc3@clinic.example", {"physician"});
  p.pat = login(http, "pat@clinic.example");
  p.pat2 = login(http, "pat2@clinic.example");
  p.doc = login(http, "doc@clinic.example");
  p.doc2 = login(http, "doc2@clinic.example");
  p.doc3 = login(http, "doc3@clinic.example");
  return p;
}

std::string all_bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + 3) % 256);
  return s;
}

std::int64_t count(carehub::Database& db, const std::string& sql, const carehub::Params& p = {}) {
  return db.transact([&](carehub::Tx& tx) { return tx.query_one(sql, p)->integer(0); },
                     carehub::TxMode::kRead);
}

std::vector<std::string> notification_types(HttpClient& http, const std::string& token) {
  std::vector<std::string> out;
  const auto inbox = http.get("/api/v1/notifications", bearer(token)).json();
  for (const auto& n : inbox["notifications"]) out.push_back(n["type"]);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Every cases route for one caller (token empty: anonymous), expecting `reads` from the routes an
// accepted recipient may use and `writes` from the owner's own (none of which an expected status
// lets through: the owner is not walked here, so nothing is changed).
void check_routes(HttpClient& http, const std::string& base, const std::string& doc,
                  const std::string& share, const std::string& token, int reads, int writes,
                  const std::string& who) {
  const HttpHeaders auth = token.empty() ? HttpHeaders{} : bearer(token);
  const auto json = with(auth, "Content-Type", "application/json");
  struct Call {
    std::string method, target, body;
    bool read;
  };
  const std::vector<Call> calls = {
      {"GET", base, "", true},
      {"GET", base + "/groups/phenotype", "", true},
      {"GET", base + "/documents", "", true},
      {"GET", base + "/documents/" + doc, "", true},
      {"POST", base + "/documents/" + doc + "/link", "{}", true},
      {"PATCH", base, R"({"patient":{"name":"X"}})", false},
      {"DELETE", base, "", false},
      {"PUT", base + "/groups/notes", R"({"data":[]})", false},
      {"POST", base + "/documents?name=x.txt", "x", false},
      {"DELETE", base + "/documents/" + doc, "", false},
      {"GET", base + "/shares", "", false},
      {"POST", base + "/shares/" + share + "/approve", "{}", false},
      {"DELETE", base + "/shares/" + share, "", false},
  };
  for (const auto& c : calls) {
    const bool creates = c.method == "POST" && c.read;  // a link: 201 when allowed
    const int want = c.read ? (creates && reads == 200 ? 201 : reads) : writes;
    const auto r = http.request(c.method, c.target, json, c.body);
    INFO(who << ": " << c.method << " " << c.target << " -> " << r.summary());
    CHECK(r.status == want);
  }
  if (reads != 200) {  // a caller without access cannot share the case on either
    const auto r =
        http.request("POST", base + "/shares", json, R"({"email":"doc3@clinic.example"})");
    INFO(who << ": POST " << base << "/shares -> " << r.summary());
    CHECK(r.status == writes);
  }
}

void run_cases_flow(ServerOptions options) {
  options.extra.merge_patch({{"cases", {{"link_ttl_s", 2}}}});
  auto server = started_server(std::move(options));
  auto http = server->client();
  auto db = open_test_database(server->database_url());
  const auto p = people(http);

  // Create: patient identity validated; the case is private.
  CHECK(http.post_json("/api/v1/cases",
                       {{"patient", {{"name", "Ana"}, {"birth_date", "04/02/2010"}}}},
                       bearer(p.pat))
            .status == 422);
  CHECK(http.post_json("/api/v1/cases", {{"patient", {{"name", "Ana"}}}}, bearer(p.admin)).status ==
        403);
  CHECK(http.post_json("/api/v1/cases", {{"patient", {{"name", "Ana"}}}}).status == 401);
  auto created = http.post_json(
      "/api/v1/cases",
      {{"patient", {{"name", "Ana Ruiz"}, {"birth_date", "2010-04-02"}, {"gender", "female"}}}},
      bearer(p.pat));
  REQUIRE(created.status == 201);
  const std::string id = created.json()["id"];
  const std::string base = "/api/v1/cases/" + id;
  CHECK(created.json()["status"] == "private");
  CHECK(created.json()["role"] == "owner");
  CHECK(created.json()["patient"]["name"] == "Ana Ruiz");

  // Resource groups: validated, versioned.
  auto g = http.put_json(base + "/groups/phenotype",
                         {{"data", {{"terms", {{{"id", "HP:0001250"}, {"name", "Seizure"}}}}}}},
                         bearer(p.pat));
  REQUIRE(g.status == 200);
  CHECK(g.json()["version"] == 1);
  CHECK(http.put_json(base + "/groups/phenotype", {{"data", {{"terms", {{{"id", "seizure"}}}}}}},
                      bearer(p.pat))
            .status == 422);
  CHECK(http.put_json(base + "/groups/phenotype",
                      {{"data", {{"terms", nlohmann::json::array()}}}, {"version", 7}},
                      bearer(p.pat))
            .status == 409);
  CHECK(http.put_json(base + "/groups/xrays", {{"data", nlohmann::json::array()}}, bearer(p.pat))
            .status == 404);
  CHECK(http.get(base + "/groups/notes", bearer(p.pat)).json()["data"] == nlohmann::json::array());

  // Before any share: nobody else sees it.
  for (const auto& other : {p.doc, p.doc2, p.pat2}) {
    CHECK(http.get(base, bearer(other)).status == 404);
    CHECK(http.get(base + "/groups/phenotype", bearer(other)).status == 404);
    CHECK(http.get(base + "/documents", bearer(other)).status == 404);
  }
  CHECK(http.get(base, bearer(p.admin)).status == 403);
  CHECK(http.get(base).status == 401);

  // Sharing rules.
  auto refused =
      http.post_json(base + "/shares", {{"email", "pat2@clinic.example"}}, bearer(p.pat));
  CHECK(refused.status == 422);
  CHECK(refused.json()["error"]["message"].get<std::string>().find("patient") != std::string::npos);
  auto self = http.post_json(base + "/shares", {{"email", "pat@clinic.example"}}, bearer(p.pat));
  CHECK(self.status == 422);
  CHECK(self.json()["error"]["message"] == "You cannot share a case with yourself.");
  // Errors people read come from the literals, in the language they ask for.
  auto self_es = http.request("POST", base + "/shares",
                              with(with(bearer(p.pat), "Content-Type", "application/json"),
                                   "Accept-Language", "es-ES,es;q=0.9,en;q=0.5"),
                              R"({"email":"pat@clinic.example"})");
  CHECK(self_es.status == 422);
  CHECK(self_es.json()["error"]["message"] == "No puede compartir un caso consigo mismo.");
  // An address with no account is invited to register; the share waits for it
  // (invitations_test.cpp follows it to the end).
  auto invited =
      http.post_json(base + "/shares", {{"email", "nobody@clinic.example"}}, bearer(p.pat));
  CHECK(invited.status == 201);
  CHECK(invited.json()["status"] == "invited");
  CHECK(
      http.post_json(base + "/shares", {{"email", "doc@clinic.example"}}, bearer(p.doc2)).status ==
      404);
  auto shared = http.post_json(base + "/shares", {{"email", "doc@clinic.example"}}, bearer(p.pat));
  REQUIRE(shared.status == 201);
  const std::string share_id = shared.json()["id"];
  CHECK(shared.json()["status"] == "pending");
  CHECK(http.post_json(base + "/shares", {{"email", "doc@clinic.example"}}, bearer(p.pat)).status ==
        409);
  CHECK(http.get(base, bearer(p.pat)).json()["status"] == "pending_shared");

  // Invited, not accepted: still nothing; the invitation is in the inbox.
  CHECK(http.get(base, bearer(p.doc)).status == 404);
  CHECK(http.get(base + "/documents", bearer(p.doc)).status == 404);
  CHECK(contains(notification_types(http, p.doc), "cases.invitation"));
  check_routes(http, base, "1", share_id, p.doc, 404, 404, "invited physician");

  auto invitations = http.get("/api/v1/cases/shares", bearer(p.doc)).json()["shares"];
  REQUIRE(invitations.size() == 1);
  CHECK(invitations[0]["id"] == share_id);
  CHECK(http.post_json("/api/v1/cases/shares/" + share_id + "/accept", nlohmann::json::object(),
                       bearer(p.doc2))
            .status == 404);
  auto accepted = http.post_json("/api/v1/cases/shares/" + share_id + "/accept",
                                 nlohmann::json::object(), bearer(p.doc));
  REQUIRE(accepted.status == 200);
  CHECK(http.post_json("/api/v1/cases/shares/" + share_id + "/accept", nlohmann::json::object(),
                       bearer(p.doc))
            .status == 409);
  CHECK(contains(notification_types(http, p.pat), "cases.accepted"));
  CHECK(http.get(base, bearer(p.pat)).json()["status"] == "shared");

  // The recipient reads the owner's current data, and writes nothing.
  auto seen = http.get(base, bearer(p.doc));
  REQUIRE(seen.status == 200);
  CHECK(seen.json()["role"] == "recipient");
  CHECK(seen.json()["patient"]["name"] == "Ana Ruiz");
  REQUIRE(http.put_json(base + "/groups/phenotype",
                        {{"data", {{"terms", {{{"id", "HP:0002069"}}}}}}, {"version", 1}},
                        bearer(p.pat))
              .status == 200);
  CHECK(http.get(base + "/groups/phenotype", bearer(p.doc)).json()["data"]["terms"][0]["id"] ==
        "HP:0002069");
  CHECK(http.put_json(base + "/groups/notes", {{"data", nlohmann::json::array()}}, bearer(p.doc))
            .status == 403);
  CHECK(http.request("PATCH", base, with(bearer(p.doc), "Content-Type", "application/json"),
                     R"({"patient":{"name":"X"}})")
            .status == 403);
  CHECK(http.request("DELETE", base, bearer(p.doc)).status == 403);
  CHECK(http.get(base + "/shares", bearer(p.doc)).status == 403);
  CHECK(http.get("/api/v1/cases", bearer(p.doc)).json()["cases"].size() == 1);
  CHECK(http.get(base, bearer(p.doc2)).status == 404);
  CHECK(http.get(base, bearer(p.pat2)).status == 404);

  // Documents: multipart and raw, byte-identical back; Range; ETag.
  const std::string bytes = all_bytes(300000);
  const std::string boundary = "carehub-test-boundary";
  const std::string form = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"MRI "
                           "report.pdf\"\r\nContent-Type: application/pdf\r\n\r\n" +
                           bytes + "\r\n--" + boundary + "--\r\n";
  auto up = http.request(
      "POST", base + "/documents",
      with(bearer(p.pat), "Content-Type", "multipart/form-data; boundary=" + boundary), form);
  REQUIRE(up.status == 201);
  const std::string doc1 = up.json()["id"];
  CHECK(up.json()["name"] == "MRI report.pdf");
  CHECK(up.json()["size"] == bytes.size());
  CHECK(up.json()["sha256"] == carehub::sha256_hex(bytes));
  auto raw =
      http.request("POST", base + "/documents?name=genome.vcf",
                   with(bearer(p.pat), "Content-Type", "text/plain"), "##fileformat=VCFv4.2\n");
  REQUIRE(raw.status == 201);
  CHECK(http.request("POST", base + "/documents", with(bearer(p.pat), "Content-Type", "text/plain"),
                     "x")
            .status == 422);
  CHECK(http.request("POST", base + "/documents?name=n",
                     with(bearer(p.doc), "Content-Type", "text/plain"), "x")
            .status == 403);
  CHECK(contains(notification_types(http, p.doc), "cases.document"));
  auto listed = http.get(base + "/documents", bearer(p.doc));
  REQUIRE(listed.status == 200);
  CHECK(listed.json()["documents"].size() == 2);
  auto got = http.get(base + "/documents/" + doc1, bearer(p.doc));
  REQUIRE(got.status == 200);
  CHECK(got.body == bytes);
  CHECK(got.header("content-type") == "application/pdf");
  CHECK(got.header("content-disposition")->find("attachment") != std::string::npos);
  const auto etag = *got.header("etag");
  CHECK(etag == "\"" + carehub::sha256_hex(bytes) + "\"");
  auto part = http.get(base + "/documents/" + doc1, with(bearer(p.doc), "Range", "bytes=10-19"));
  CHECK(part.status == 206);
  CHECK(part.body == bytes.substr(10, 10));
  CHECK(part.header("content-range") == "bytes 10-19/" + std::to_string(bytes.size()));
  CHECK(http.get(base + "/documents/" + doc1, with(bearer(p.doc), "Range", "bytes=-5")).body ==
        bytes.substr(bytes.size() - 5));
  CHECK(http.get(base + "/documents/" + doc1, with(bearer(p.doc), "Range", "bytes=999999999-"))
            .status == 416);
  CHECK(http.get(base + "/documents/" + doc1, with(bearer(p.doc), "If-None-Match", etag)).status ==
        304);
  CHECK(http.get(base + "/documents/" + doc1, bearer(p.doc2)).status == 404);

  // The matrix over every route: accepted recipient, other people, admin, anonymous.
  check_routes(http, base, doc1, share_id, p.doc, 200, 403, "accepted physician");
  check_routes(http, base, doc1, share_id, p.doc2, 404, 404, "another physician");
  check_routes(http, base, doc1, share_id, p.pat2, 404, 404, "another patient");
  check_routes(http, base, doc1, share_id, p.admin, 403, 403, "admin");
  check_routes(http, base, doc1, share_id, "", 401, 401, "anonymous");

  // Signed links: no session needed; forged 403; expired 410.
  auto link = http.post_json(base + "/documents/" + doc1 + "/link", nlohmann::json::object(),
                             bearer(p.pat));
  REQUIRE(link.status == 201);
  const std::string url = link.json()["url"];
  auto anon = server->client();
  auto via_link = anon.get(url);
  REQUIRE(via_link.status == 200);
  CHECK(via_link.body == bytes);
  std::string forged = url;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  CHECK(anon.get(forged).status == 403);
  std::string other_doc = url;
  other_doc.replace(other_doc.find("/documents/" + doc1), ("/documents/" + doc1).size(),
                    "/documents/" + std::string(raw.json()["id"]));
  CHECK(anon.get(other_doc).status == 403);
  auto doc_link = http.post_json(base + "/documents/" + doc1 + "/link", nlohmann::json::object(),
                                 bearer(p.doc));
  REQUIRE(doc_link.status == 201);
  std::this_thread::sleep_for(2500ms);
  CHECK(anon.get(url).status == 410);

  // A recipient re-sharing needs the owner's approval.
  auto reshare =
      http.post_json(base + "/shares", {{"email", "doc3@clinic.example"}}, bearer(p.doc));
  REQUIRE(reshare.status == 201);
  CHECK(reshare.json()["status"] == "awaiting_owner");
  const std::string reshare_id = reshare.json()["id"];
  CHECK(contains(notification_types(http, p.pat), "cases.approval"));
  CHECK(http.post_json("/api/v1/cases/shares/" + reshare_id + "/accept", nlohmann::json::object(),
                       bearer(p.doc3))
            .status == 409);
  CHECK(http.post_json(base + "/shares/" + reshare_id + "/approve", nlohmann::json::object(),
                       bearer(p.doc))
            .status == 403);
  REQUIRE(http.post_json(base + "/shares/" + reshare_id + "/approve", nlohmann::json::object(),
                         bearer(p.pat))
              .status == 200);
  REQUIRE(http.post_json("/api/v1/cases/shares/" + reshare_id + "/accept", nlohmann::json::object(),
                         bearer(p.doc3))
              .status == 200);
  CHECK(http.get(base, bearer(p.doc3)).status == 200);
  auto shares = http.get(base + "/shares", bearer(p.pat)).json()["shares"];
  CHECK(shares.size() == 3);  // the physician, the re-share and the invited address

  // Revocation ends access at once: reads, documents and the recipient's link.
  auto fresh_link = http.post_json(base + "/documents/" + doc1 + "/link", nlohmann::json::object(),
                                   bearer(p.doc));
  REQUIRE(fresh_link.status == 201);
  REQUIRE(anon.get(fresh_link.json()["url"].get<std::string>()).status == 200);
  REQUIRE(http.request("DELETE", base + "/shares/" + share_id, bearer(p.pat)).status == 204);
  CHECK(http.get(base, bearer(p.doc)).status == 404);
  CHECK(http.get(base + "/documents/" + doc1, bearer(p.doc)).status == 404);
  CHECK(anon.get(fresh_link.json()["url"].get<std::string>()).status == 404);
  CHECK(contains(notification_types(http, p.doc), "cases.revoked"));
  check_routes(http, base, doc1, share_id, p.doc, 404, 404, "revoked physician");

  CHECK(http.request("DELETE", base + "/shares/" + share_id, bearer(p.pat)).status == 409);
  CHECK(http.get(base, bearer(p.doc3)).status == 200);  // the other share goes on

  // Deleting a document ends its links.
  auto short_lived = http.request("POST", base + "/documents?name=tmp.txt",
                                  with(bearer(p.pat), "Content-Type", "text/plain"), "temporary");
  REQUIRE(short_lived.status == 201);
  const std::string tmp_doc = short_lived.json()["id"];
  auto tmp_link = http.post_json(base + "/documents/" + tmp_doc + "/link", nlohmann::json::object(),
                                 bearer(p.pat));
  REQUIRE(anon.get(tmp_link.json()["url"].get<std::string>()).status == 200);
  REQUIRE(http.request("DELETE", base + "/documents/" + tmp_doc, bearer(p.pat)).status == 204);
  CHECK(anon.get(tmp_link.json()["url"].get<std::string>()).status == 404);

  // A blob a crash left without its row (written, then no commit) is swept once an hour old;
  // the documents' own blobs stay.
  {
    auto blobs =
        carehub::open_blob_store(carehub::BlobConfig{"filesystem", server->dir() + "/blobs"});
    std::istringstream orphan_bytes("left behind");
    const std::string orphan = "cases/" + std::string(64, 'a') + "/" + id + "/orphan";
    blobs->put(orphan, orphan_bytes);
    std::filesystem::last_write_time(*blobs->local_path(orphan),
                                     std::filesystem::file_time_type::clock::now() - 2h);
    REQUIRE(http.post_json("/api/v1/diag/jobs", {{"type", "cases.sweep_orphans"},
                                                 {"payload", {{"min_age_ms", 3600000}}}})
                .status == 202);
    CHECK(eventually([&] { return !blobs->exists(orphan); }, 10s));
    CHECK(http.get(base + "/documents/" + doc1, bearer(p.pat)).status == 200);
  }

  // Personal data apart from medical data: the medical tables name nobody.
  CHECK(count(*db, "SELECT COUNT(*) FROM case_identities WHERE patient_name = 'Ana Ruiz'") == 1);
  CHECK(count(*db, "SELECT COUNT(*) FROM cases WHERE subject = $1 OR subject = $2",
              {std::to_string(p.pat_id), "user:" + std::to_string(p.pat_id)}) == 0);
  CHECK(count(*db, "SELECT COUNT(*) FROM case_groups WHERE data LIKE '%Ana%'") == 0);
  CHECK(count(*db, "SELECT COUNT(*) FROM cases WHERE length(subject) = 64") >= 1);
  // Audited: reads, downloads (through the link too), share changes.
  CHECK(count(*db,
              "SELECT COUNT(*) FROM audit_events WHERE action = 'case.read' AND "
              "resource_id = $1 AND actor = $2",
              {id, "user:" + std::to_string(p.doc_id)}) >= 1);
  CHECK(count(*db, "SELECT COUNT(*) FROM audit_events WHERE action = 'case.document.download'") >=
        3);
  CHECK(count(*db, "SELECT COUNT(*) FROM audit_events WHERE action LIKE 'case.share.%'") >= 6);

  // Delete: documents and shares go; sharing it is refused; the owner still sees it deleted.
  const auto blobs_before = count(*db, "SELECT COUNT(*) FROM case_documents");
  CHECK(blobs_before == 2);
  REQUIRE(http.request("DELETE", base, bearer(p.pat)).status == 204);
  CHECK(http.get(base, bearer(p.pat)).json()["status"] == "deleted");
  CHECK(http.get(base, bearer(p.doc3)).status == 404);
  CHECK(count(*db, "SELECT COUNT(*) FROM case_documents") == 0);
  auto deleted_share =
      http.post_json(base + "/shares", {{"email", "doc2@clinic.example"}}, bearer(p.pat));
  CHECK(deleted_share.status == 409);
  CHECK(deleted_share.json()["error"]["message"] == "A deleted case cannot be shared.");
  CHECK(http.get(base + "/documents", bearer(p.pat)).status == 404);

  // Physician to physician: a physician's own case shared with another physician.
  auto own = http.post_json("/api/v1/cases", {{"patient", {{"name", "Luis"}}}}, bearer(p.doc2));
  REQUIRE(own.status == 201);
  CHECK(http.post_json("/api/v1/cases/" + own.json()["id"].get<std::string>() + "/shares",
                       {{"email", "doc3@clinic.example"}}, bearer(p.doc2))
            .status == 201);

  // Literals and legal documents: public reads, admin-only writes.
  auto en = http.get("/api/v1/i18n/literals?lang=en");
  REQUIRE(en.status == 200);
  auto es = http.get("/api/v1/i18n/literals?lang=es");
  REQUIRE(es.status == 200);
  CHECK(en.json()["literals"].size() == es.json()["literals"].size());
  CHECK(en.json()["literals"]["notification.invitation.title"] !=
        es.json()["literals"]["notification.invitation.title"]);
  CHECK(http.get("/api/v1/i18n/literals?lang=fr").status == 400);
  const nlohmann::json change = {{"lang", "es"}, {"literals", {{"app.welcome", "Bienvenida"}}}};
  CHECK(http.put_json("/api/v1/i18n/literals", change).status == 401);
  CHECK(http.put_json("/api/v1/i18n/literals", change, bearer(p.pat)).status == 403);
  REQUIRE(http.put_json("/api/v1/i18n/literals", change, bearer(p.admin)).status == 200);
  CHECK(http.get("/api/v1/i18n/literals?lang=es").json()["literals"]["app.welcome"] ==
        "Bienvenida");
  auto privacy = http.get("/api/v1/i18n/documents/privacy?lang=es");
  REQUIRE(privacy.status == 200);
  CHECK(privacy.header("content-type")->find("text/markdown") == 0);
  CHECK(privacy.body.find("Política de privacidad") != std::string::npos);
  CHECK(http.get("/api/v1/i18n/documents/terms?lang=en").status == 200);
  CHECK(http.get("/api/v1/i18n/documents/cookies?lang=en").status == 404);
}

}  // namespace

TEST_CASE("cases: access matrix, sharing, documents, links, literals, on SQLite", "[e2e][cases]") {
  run_cases_flow({});
}

TEST_CASE("cases: the same on PostgreSQL", "[e2e][cases]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_cases_flow(options);
}

TEST_CASE("cases: a 100 MB document round-trips byte-identical with bounded server memory",
          "[e2e][cases]") {
  auto server = started_server({});
  auto http = server->client(60s);
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "big@clinic.example", {"patient"});
  const auto pat = login(http, "big@clinic.example");
  const std::string id =
      http.post_json("/api/v1/cases", {{"patient", {{"name", "B"}}}}, bearer(pat)).json()["id"];
  const std::string body = all_bytes(100 * 1024 * 1024);
  const pid_t pid = server->process().pid();
  const long before = peak_rss_kib(pid);  // sanitizer builds start large
  auto up = http.request("POST", "/api/v1/cases/" + id + "/documents?name=scan.bin",
                         with(bearer(pat), "Content-Type", "application/octet-stream"), body);
  REQUIRE(up.status == 201);
  CHECK(up.json()["sha256"] == carehub::sha256_hex(body));
  auto down = http.get("/api/v1/cases/" + id + "/documents/" + up.json()["id"].get<std::string>(),
                       bearer(pat));
  REQUIRE(down.status == 200);
  CHECK(down.body.size() == body.size());
  CHECK(down.body == body);
  const long peak = peak_rss_kib(pid);
  INFO("peak RSS before " << before << " KiB, after " << peak << " KiB");
  CHECK(peak - before < 48 * 1024);  // far below the 100 MB that went through
}
