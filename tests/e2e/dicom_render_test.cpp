// WADO-RS rendered resources and thumbnails in the real binary: every pydicom test file with
// pixel data, in each transfer syntax it comes in, rendered by carehub and compared with the
// same frame rendered by tests/e2e/dicom/dicom_tool.py from pydicom's decoded pixels (numpy,
// Pillow, GDCM); the query parameters; what is refused; thumbnails cached in the blob store and
// removed with their study, on SQLite and PostgreSQL.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "carehub/hash.hpp"
#include "e2e/dicom_support.hpp"

using namespace carehub::test;
using namespace carehub::test::dicom;

namespace {

nlohmann::json render_set(const std::string& dir) {
  const auto r = dicom_tool({"render-set", dir});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

// A server with the DICOM listener, an admin, a writer's and a reader's API tokens, and the
// render set (dicom_tool.py render-set) made in its folder.
struct Imaging {
  explicit Imaging(ServerOptions options = {})
      : server(dicom_server(std::move(options))),
        http(server->client(std::chrono::seconds(30))),
        admin(login(http, kAdmin)),
        writer(api_token(http, admin, {"dicom:write"})),
        reader(api_token(http, admin, {"dicom:read"})),
        made(render_set(server->dir() + "/render-set")) {
    for (const auto& m : made) by_source[m["source"]] = m;
  }
  std::unique_ptr<ServerUnderTest> server;
  HttpClient http;
  std::string admin, writer, reader;
  nlohmann::json made;
  std::map<std::string, nlohmann::json> by_source;
};

std::string instance_path(const nlohmann::json& m) {
  return "/dicom-web/studies/" + m["study_uid"].get<std::string>() + "/series/" +
         m["series_uid"].get<std::string>() + "/instances/" + m["sop_uid"].get<std::string>();
}

HttpHeaders with_accept(const std::string& token, const std::string& accept) {
  auto h = bearer(token);
  h.emplace_back("Accept", accept);
  return h;
}

// dicom_tool.py compare of a rendered picture against pydicom's frame.
nlohmann::json compare(const ServerUnderTest& server, const nlohmann::json& m, int frame,
                       const std::string& image, const std::vector<std::string>& window = {}) {
  const std::string path = server.dir() + "/rendered-" + carehub::random_hex(4);
  write_file(path, image);
  std::vector<std::string> args = {"compare", m["file"], std::to_string(frame), path};
  args.insert(args.end(), window.begin(), window.end());
  const auto r = dicom_tool(args);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

const std::string kCorruptCodestream = "JPEG2000-embedded-sequence-delimiter.dcm";
// Their SOP Class UID is encoded as UN: carehub refuses them (see dicom_test.cpp).
const std::set<std::string> kRefusedAtUpload = {"rtdose_rle.dcm", "rtdose_rle_1frame.dcm"};

bool lossy(const std::string& syntax) {
  return syntax == "1.2.840.10008.1.2.4.50" || syntax == "1.2.840.10008.1.2.4.51" ||
         syntax == "1.2.840.10008.1.2.4.91";
}

std::size_t files_under(const std::string& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    n += it->is_regular_file() ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("dicom rendered: every pydicom image, each transfer syntax, as pydicom renders it",
          "[e2e][dicom]") {
  Imaging im;
  REQUIRE(im.made.size() >= 40);
  std::set<std::string> syntaxes;
  for (const auto& m : im.made) {
    const std::string source = m["source"], syntax = m["transfer_syntax"];
    INFO(source << " (" << syntax << ", " << m["photometric"] << ")");
    auto stored = post_instance(im.http, im.writer, read_file(m["file"]));
    INFO(stored.summary());
    if (kRefusedAtUpload.contains(source)) {
      CHECK(stored.status == 400);
      continue;
    }
    REQUIRE(stored.status == 200);
    const int frames = m["frames"];
    for (int frame : std::set<int>{1, frames}) {
      INFO("frame " << frame);
      const std::string target =
          instance_path(m) + (frames > 1 ? "/frames/" + std::to_string(frame) : "") + "/rendered";
      auto r = im.http.get(target, with_accept(im.reader, "image/png"));
      INFO(r.status << " " << (r.status == 200 ? "" : r.body));
      if (source == kCorruptCodestream) {
        // The file tests parsers: bytes of a sequence delimiter overwrite its codestream's image
        // size (SIZ). OpenJPEG refuses it, and carehub says why.
        CHECK(r.status == 400);
        CHECK(r.body.find("Invalid number of tiles") != std::string::npos);
        continue;
      }
      REQUIRE(r.status == 200);
      CHECK(r.header("content-type") == "image/png");
      CHECK(r.header("cache-control") == "no-store");
      const auto diff = compare(*im.server, m, frame, r.body);
      INFO(diff.dump());
      REQUIRE_FALSE(diff["mad"].is_null());  // the same size
      // Lossless data decodes to the same numbers; the windowing's rounding may differ by one
      // (DCMTK rounds a linear window's ends its own way: about half of CT_small's pixels).
      // Lossy codestreams decode slightly differently in different decoders.
      CHECK(diff["mad"].get<double>() <= (lossy(syntax) ? 2.0 : 1.0));
      CHECK(diff["max"].get<double>() <= (lossy(syntax) ? 48.0 : 1.0));
    }
    syntaxes.insert(syntax);
  }
  // Uncompressed (implicit, explicit little and big endian), deflated, RLE, JPEG baseline,
  // extended and lossless, JPEG-LS, JPEG 2000.
  CHECK(syntaxes.size() >= 10);

  // JPEG is the default; its own compression costs a little more.
  const auto& ct = *std::find_if(im.made.begin(), im.made.end(),
                                 [](const auto& m) { return m["source"] == "CT_small.dcm"; });
  auto jpeg = im.http.get(instance_path(ct) + "/rendered", bearer(im.reader));
  REQUIRE(jpeg.status == 200);
  CHECK(jpeg.header("content-type") == "image/jpeg");
  REQUIRE(jpeg.body.size() > 2);
  CHECK(jpeg.body.substr(0, 2) == "\xFF\xD8");
  CHECK(compare(*im.server, ct, 1, jpeg.body)["mad"].get<double>() <= 4.0);

  // Every rendering is read access to a patient's images: audited.
  auto db = open_test_database(im.server->database_url());
  std::int64_t audited = 0;
  db->transact([&](carehub::Tx& tx) {
    audited = tx.query_one("SELECT COUNT(*) FROM audit_events WHERE action = 'dicom.rendered'")
                  ->integer(0);
  });
  CHECK(audited >= static_cast<std::int64_t>(im.made.size()));
}

TEST_CASE("dicom rendered: window, viewport, quality, Accept, and what is refused",
          "[e2e][dicom]") {
  Imaging im;
  for (const char* name :
       {"CT_small.dcm", "CT_small_monochrome1.dcm", "rtdose.dcm", "MR_small.dcm"})
    REQUIRE(post_instance(im.http, im.writer, read_file(im.by_source.at(name)["file"])).status ==
            200);
  const auto& ct = im.by_source.at("CT_small.dcm");
  const std::string ct_path = instance_path(ct);

  // A window of one's own: as DICOM's linear function gives it, and not the default picture.
  auto own = im.http.get(ct_path + "/rendered?window=100,300", with_accept(im.reader, "image/png"));
  REQUIRE(own.status == 200);
  auto diff = compare(*im.server, ct, 1, own.body, {"100", "300"});
  CHECK(diff["mad"].get<double>() <= 0.5);
  auto plain = im.http.get(ct_path + "/rendered", with_accept(im.reader, "image/png"));
  REQUIRE(plain.status == 200);
  CHECK(compare(*im.server, ct, 1, plain.body, {"100", "300"})["mad"].get<double>() > 5.0);
  // linear-exact and sigmoid draw other pictures of the same window.
  for (const char* fn : {"linear-exact", "sigmoid"}) {
    auto r = im.http.get(ct_path + "/rendered?window=100,300," + fn,
                         with_accept(im.reader, "image/png"));
    INFO(fn << ": " << r.summary().substr(0, 200));
    REQUIRE(r.status == 200);
    CHECK(r.body != own.body);
  }

  // MONOCHROME1: low values are white. The same pixels as CT_small, so the picture is its
  // negative.
  const auto& inverted = im.by_source.at("CT_small_monochrome1.dcm");
  auto negative =
      im.http.get(instance_path(inverted) + "/rendered", with_accept(im.reader, "image/png"));
  REQUIRE(negative.status == 200);
  CHECK(compare(*im.server, inverted, 1, negative.body)["mad"].get<double>() <= 0.5);
  CHECK(compare(*im.server, ct, 1, negative.body)["mad"].get<double>() > 50.0);

  // A viewport: fitted within it, the aspect kept.
  auto small =
      im.http.get(ct_path + "/rendered?viewport=64,64", with_accept(im.reader, "image/png"));
  REQUIRE(small.status == 200);
  diff = compare(*im.server, ct, 1, small.body);
  CHECK(diff["width"] == 64);
  CHECK(diff["height"] == 64);
  auto narrow =
      im.http.get(ct_path + "/rendered?viewport=50,100", with_accept(im.reader, "image/png"));
  diff = compare(*im.server, ct, 1, narrow.body);
  CHECK(diff["width"] == 50);
  CHECK(diff["height"] == 50);

  // Quality: a lower one is smaller.
  auto q90 = im.http.get(ct_path + "/rendered?quality=90", with_accept(im.reader, "image/jpeg"));
  auto q10 = im.http.get(ct_path + "/rendered?quality=10", with_accept(im.reader, "image/jpeg"));
  REQUIRE(q90.status == 200);
  REQUIRE(q10.status == 200);
  CHECK(q10.body.size() < q90.body.size());
  // The accept query parameter, as browsers cannot set Accept on an <img>.
  auto by_query = im.http.get(ct_path + "/rendered?accept=image/png", bearer(im.reader));
  CHECK(by_query.header("content-type") == "image/png");

  // Multi-frame: each frame its own picture; several frames, several parts.
  const auto& dose = im.by_source.at("rtdose.dcm");
  auto f1 =
      im.http.get(instance_path(dose) + "/frames/1/rendered", with_accept(im.reader, "image/png"));
  auto f15 =
      im.http.get(instance_path(dose) + "/frames/15/rendered", with_accept(im.reader, "image/png"));
  REQUIRE(f1.status == 200);
  REQUIRE(f15.status == 200);
  CHECK(f1.body != f15.body);
  auto both = im.http.get(instance_path(dose) + "/frames/1,15/rendered",
                          with_accept(im.reader, "multipart/related; type=\"image/png\""));
  REQUIRE(both.status == 200);
  const auto parts = multipart_parts(both);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].content_type == "image/png");
  CHECK(parts[0].body == f1.body);
  CHECK(parts[1].body == f15.body);
  // A study's rendered answer: one picture per instance.
  auto study = im.http.get("/dicom-web/studies/" + ct["study_uid"].get<std::string>() + "/rendered",
                           bearer(im.reader));
  REQUIRE(study.status == 200);
  CHECK(multipart_parts(study).size() == 1);

  // Refused, saying why, and nothing changes.
  const auto refused = [&](const std::string& target, int status, const std::string& words,
                           const std::string& accept = "image/png") {
    auto r = im.http.get(target, with_accept(im.reader, accept));
    INFO(target << ": " << r.summary().substr(0, 300));
    CHECK(r.status == status);
    if (r.status >= 400)
      CHECK(r.json()["error"]["message"].get<std::string>().find(words) != std::string::npos);
  };
  refused(ct_path + "/rendered?window=abc,10", 400, "center and width must be numbers");
  refused(ct_path + "/rendered?window=40,0", 400, "width must be >= 1");
  refused(ct_path + "/rendered?window=40,400,cubic", 400, "linear, linear-exact or sigmoid");
  refused(ct_path + "/rendered?viewport=0,10", 400, "from 1 to 4096");
  refused(ct_path + "/rendered?viewport=10,10,0,0,5,5", 400, "vw,vh");
  refused(ct_path + "/rendered?quality=0", 400, "quality");
  refused(ct_path + "/rendered?annotation=patient", 400,
          "unsupported query parameter 'annotation'");
  refused(ct_path + "/rendered", 406, "image/jpeg or image/png", "image/gif");
  refused(ct_path + "/frames/2/rendered", 400, "frame 2 does not exist (the instance has 1)");
  refused(ct_path + "/frames/0/rendered", 400, "frame number");
  refused(instance_path(dose) + "/frames/16/rendered", 400, "frame 16 does not exist");
  refused("/dicom-web/studies/1.2.3/series/4.5.6/instances/7.8.9/rendered", 404, "no such");
  refused(ct_path + "/thumbnail?window=40,400", 400, "supported: viewport, accept");
  CHECK(im.http.get(ct_path + "/rendered").status == 401);
  // An instance without pixel data (a structured report).
  const std::string sr = read_file(kTestFiles + "/test-SR.dcm");
  REQUIRE(post_instance(im.http, im.writer, sr).status == 200);
  const auto [sop, study_uid] = uids_of(kTestFiles + "/test-SR.dcm");
  auto series = im.http.get("/dicom-web/studies/" + study_uid + "/series", bearer(im.reader));
  REQUIRE(series.status == 200);
  const std::string series_uid = series.json()[0]["0020000E"]["Value"][0];
  refused("/dicom-web/studies/" + study_uid + "/series/" + series_uid + "/instances/" + sop +
              "/rendered",
          400, "no pixel data");
}

namespace {

void run_thumbnail_flow(ServerOptions options) {
  Imaging im(std::move(options));
  const auto& liver = im.by_source.at("liver_1frame.dcm");
  const auto& rgb = im.by_source.at("SC_rgb_rle_2frame.dcm");
  for (const auto* m : {&liver, &rgb})
    REQUIRE(post_instance(im.http, im.writer, read_file((*m)["file"])).status == 200);
  const std::string thumbs = im.server->dir() + "/blobs/dicom-thumbnails";
  CHECK(files_under(thumbs) == 0);

  // A 512x512 image's thumbnail fits within 256x256; the first look draws and keeps it.
  const std::string study = "/dicom-web/studies/" + liver["study_uid"].get<std::string>();
  auto first = im.http.get(study + "/thumbnail", with_accept(im.reader, "image/png"));
  INFO(first.summary().substr(0, 300));
  REQUIRE(first.status == 200);
  CHECK(first.header("content-type") == "image/png");
  auto diff = compare(*im.server, liver, 1, first.body);
  CHECK(diff["width"] == 256);
  CHECK(diff["height"] == 256);
  CHECK(files_under(thumbs) == 1);
  // The next look reads what was kept: the same bytes, nothing new drawn.
  auto again =
      im.http.get(study + "/series/" + liver["series_uid"].get<std::string>() + "/thumbnail",
                  with_accept(im.reader, "image/png"));
  REQUIRE(again.status == 200);
  CHECK(again.body == first.body);
  CHECK(files_under(thumbs) == 1);
  // Another size or format is another thumbnail; a multi-frame instance shows a frame.
  auto jpeg = im.http.get(instance_path(liver) + "/thumbnail?viewport=64,64", bearer(im.reader));
  REQUIRE(jpeg.status == 200);
  CHECK(jpeg.header("content-type") == "image/jpeg");
  CHECK(compare(*im.server, liver, 1, jpeg.body)["width"] == 64);
  auto colour = im.http.get(instance_path(rgb) + "/thumbnail", with_accept(im.reader, "image/png"));
  REQUIRE(colour.status == 200);
  CHECK(compare(*im.server, rgb, 1, colour.body)["width"] == 100);  // a thumbnail is never enlarged
  CHECK(files_under(thumbs) == 3);

  // Deleting a study removes its thumbnails with its files.
  auto deleted = im.http.request(
      "DELETE", "/api/v1/dicom/studies/" + liver["study_uid"].get<std::string>(), bearer(im.admin));
  REQUIRE(deleted.status == 200);
  CHECK(files_under(thumbs) == 1);
  CHECK(im.http.get(study + "/thumbnail", bearer(im.reader)).status == 404);

  auto db = open_test_database(im.server->database_url());
  std::int64_t audited = 0;
  db->transact([&](carehub::Tx& tx) {
    audited = tx.query_one("SELECT COUNT(*) FROM audit_events WHERE action = 'dicom.thumbnail'")
                  ->integer(0);
  });
  CHECK(audited == 4);
}

}  // namespace

TEST_CASE("dicom thumbnails: drawn once, kept in the blob store, removed with the study, on SQLite",
          "[e2e][dicom]") {
  run_thumbnail_flow({});
}

TEST_CASE(
    "dicom thumbnails: drawn once, kept in the blob store, removed with the study, on PostgreSQL",
    "[e2e][dicom]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_thumbnail_flow(options);
}

namespace {

bool lossless(const std::string& syntax) {
  return !lossy(syntax) && syntax != "1.2.840.10008.1.2.4.81";  // JPEG-LS near-lossless
}

std::string octet_frames = "multipart/related; type=\"application/octet-stream\"";

}  // namespace

TEST_CASE("dicom transcoding: frames of any transfer syntax decoded as pydicom decodes them",
          "[e2e][dicom]") {
  Imaging im;
  int compressed = 0;
  for (const auto& m : im.made) {
    const std::string source = m["source"], syntax = m["transfer_syntax"];
    INFO(source << " (" << syntax << ", " << m["photometric"] << ")");
    if (kRefusedAtUpload.contains(source)) continue;
    REQUIRE(post_instance(im.http, im.writer, read_file(m["file"])).status == 200);
    const int frames = m["frames"];
    for (int frame : std::set<int>{1, frames}) {
      INFO("frame " << frame);
      auto r = im.http.get(instance_path(m) + "/frames/" + std::to_string(frame),
                           with_accept(im.reader, octet_frames));
      INFO(r.status << " " << (r.status == 200 ? "" : r.body));
      if (source == kCorruptCodestream) {
        CHECK(r.status == 400);
        CHECK(r.body.find("Invalid number of tiles") != std::string::npos);
        continue;
      }
      if (m["photometric"] == "YBR_FULL_422" && syntax == "1.2.840.10008.1.2.1") {
        // Uncompressed 4:2:2 keeps two bytes a pixel, which pydicom expands to three; carehub
        // cuts frames as Rows x Columns x Samples and refuses this one rather than cut it wrong.
        CHECK(r.status == 400);
        continue;
      }
      REQUIRE(r.status == 200);
      const auto parts = multipart_parts(r);
      REQUIRE(parts.size() == 1);
      CHECK(parts[0].content_type.find("transfer-syntax=1.2.840.10008.1.2.1") != std::string::npos);
      const std::string expected_path = im.server->dir() + "/frame-" + carehub::random_hex(4);
      const auto made_frame =
          dicom_tool({"frame-pixels", m["file"], std::to_string(frame), expected_path});
      REQUIRE(made_frame.exit_code == 0);
      const std::string expected = read_file(expected_path);
      REQUIRE(parts[0].body.size() == expected.size());
      if (lossless(syntax)) CHECK(parts[0].body == expected);
    }
    compressed += syntax.rfind("1.2.840.10008.1.2.4.", 0) == 0 || syntax == "1.2.840.10008.1.2.5";
  }
  CHECK(compressed >= 30);
}

TEST_CASE("dicom transcoding: instances as Explicit VR Little Endian when asked, else as stored",
          "[e2e][dicom]") {
  Imaging im;
  const std::string explicit_le = "1.2.840.10008.1.2.1";
  const auto blobs_before = [&] { return files_under(im.server->dir() + "/blobs/dicom"); };
  for (const auto& m : im.made) {
    if (!kRefusedAtUpload.contains(m["source"].get<std::string>()))
      REQUIRE(post_instance(im.http, im.writer, read_file(m["file"])).status == 200);
  }
  const auto stored_files = blobs_before();
  for (const auto& m : im.made) {
    const std::string source = m["source"], syntax = m["transfer_syntax"];
    INFO(source << " (" << syntax << ")");
    if (kRefusedAtUpload.contains(source)) continue;
    const std::string original = read_file(m["file"]);
    // As stored: byte for byte, whatever the transfer syntax.
    auto as_stored = im.http.get(instance_path(m),
                                 with_accept(im.reader, "application/dicom; transfer-syntax=*"));
    REQUIRE(as_stored.status == 200);
    CHECK(as_stored.body == original);
    // As Explicit VR Little Endian: the same data set, its pixels decoded.
    auto r =
        im.http.get(instance_path(m), with_accept(im.reader,
                                                  "multipart/related; type=\"application/dicom\"; "
                                                  "transfer-syntax=" +
                                                      explicit_le));
    INFO(r.status << " " << (r.status == 200 ? "" : r.body));
    if (source == kCorruptCodestream) {  // OpenJPEG refuses its codestream: 406 saying why
      CHECK(r.status == 406);
      CHECK(r.body.find("Invalid number of tiles") != std::string::npos);
      continue;
    }
    REQUIRE(r.status == 200);
    const auto parts = multipart_parts(r);
    REQUIRE(parts.size() == 1);
    CHECK(parts[0].content_type == "application/dicom; transfer-syntax=" + explicit_le);
    if (syntax == explicit_le) {
      CHECK(parts[0].body == original);  // nothing to do: the stored bytes
      continue;
    }
    const std::string copy = im.server->dir() + "/transcoded-" + carehub::random_hex(4) + ".dcm";
    write_file(copy, parts[0].body);
    const auto compared = dicom_tool({"same-image", m["file"], copy});
    INFO(describe(compared));
    REQUIRE(compared.exit_code == 0);
    const auto result = nlohmann::json::parse(compared.out);
    CHECK(result["transfer_syntax"] == explicit_le);
    CHECK(result["differing"].empty());
    REQUIRE_FALSE(result["max_diff"].is_null());
    if (lossless(syntax))
      CHECK(result["pixels_equal"] == true);
    else
      CHECK(result["mad"].get<double>() <= 2.0);
  }
  // A single instance asked for as application/dicom.
  const auto& rle = *std::find_if(im.made.begin(), im.made.end(),
                                  [](const auto& m) { return m["source"] == "MR_small_RLE.dcm"; });
  auto single =
      im.http.get(instance_path(rle),
                  with_accept(im.reader, "application/dicom; transfer-syntax=" + explicit_le));
  REQUIRE(single.status == 200);
  CHECK(single.header("content-type") == "application/dicom");
  CHECK(single.body != read_file(rle["file"]));
  // Another transfer syntax is not im.made: 406 saying what can be had.
  auto jpeg = im.http.get(
      instance_path(rle),
      with_accept(im.reader, "application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50"));
  CHECK(jpeg.status == 406);
  CHECK(jpeg.json()["error"]["message"].get<std::string>().find("Explicit VR Little Endian") !=
        std::string::npos);
  // Nothing stored changed; no scratch file outlived its answer.
  CHECK(blobs_before() == stored_files);
  CHECK(files_under(im.server->dir() + "/data/uploads") == 0);
}
