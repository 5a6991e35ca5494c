#include "diag/module.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "carehub/error.hpp"
#include "carehub/hash.hpp"
#include "carehub/notifications.hpp"

namespace carehub::diag {
namespace {

constexpr std::int64_t kMaxSleepMs = 60000;
constexpr std::size_t kUploadLimit = 8 << 20;
constexpr std::int64_t kStepMs = 100;

std::int64_t to_int(std::string_view text, std::string_view what) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || p != text.data() + text.size()) {
    throw ApiError(ErrorCode::kBadRequest, std::string(what) + " must be an integer");
  }
  return n;
}

std::int64_t sleep_ms_from(const nlohmann::json& value, std::string_view what) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
      value.get<std::int64_t>() > kMaxSleepMs) {
    throw ApiError(ErrorCode::kValidationFailed,
                   std::string(what) + " must be an integer from 0 to 60000");
  }
  return value.get<std::int64_t>();
}

nlohmann::json run_sleep_job(JobContext& job) {
  const auto ms = job.payload().value("ms", std::int64_t{0});
  const auto fail_times = job.payload().value("fail_times", 0);
  for (std::int64_t done = 0; done < ms; done += kStepMs) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(kStepMs, ms - done)));
    if (!job.progress(100.0 * static_cast<double>(done + kStepMs) / static_cast<double>(ms))) {
      throw std::runtime_error("diag.sleep stopped: cancelled or lease lost");
    }
  }
  if (job.attempt() <= fail_times) {
    throw std::runtime_error("diag.sleep planned failure on attempt " +
                             std::to_string(job.attempt()));
  }
  return {{"slept_ms", ms}};
}

// `bytes` bytes of a repeating pattern (byte i is 'a' + i % 26), of known size or not, failing
// with an error after fail_at bytes when that is given: the core's streamed bodies under test.
class PatternBody : public BodySource {
 public:
  PatternBody(std::int64_t bytes, bool sized, std::int64_t fail_at)
      : bytes_(bytes), sized_(sized), fail_at_(fail_at) {}
  std::optional<std::uint64_t> size() const override {
    if (!sized_) return std::nullopt;
    return static_cast<std::uint64_t>(bytes_);
  }
  std::size_t read(char* buffer, std::size_t capacity) override {
    if (fail_at_ >= 0 && next_ >= fail_at_) throw std::runtime_error("diag stream planned failure");
    std::int64_t end = std::min<std::int64_t>(bytes_, next_ + static_cast<std::int64_t>(capacity));
    if (fail_at_ >= 0) end = std::min(end, fail_at_);
    const auto n = static_cast<std::size_t>(end - next_);
    for (std::size_t i = 0; i < n; ++i) buffer[i] = static_cast<char>('a' + (next_ + i) % 26);
    next_ = end;
    return n;
  }

 private:
  std::int64_t bytes_, next_ = 0;
  bool sized_;
  std::int64_t fail_at_;
};

}  // namespace

void DiagModule::add_config_schema(ConfigSchema& schema) const {
  schema.section("diag").boolean("enabled", false, "diagnostic routes for tests and benchmarks");
}

void DiagModule::start(ModuleContext& ctx) {
  ctx.job_handlers.add("diag.sleep", run_sleep_job);
  if (!ctx.config.section("diag")["enabled"].get<bool>()) return;
  auto& r = ctx.router;
  Database& db = ctx.db;
  JobQueue& jobs = ctx.jobs;
  const Clock& clock = ctx.clock;

  r.add(Method::kPost, "/api/v1/diag/echo", Access::open(), [](Request& req) {
    return Response::json({{"echo", req.json_body()}});
  });

  r.add(Method::kGet, "/api/v1/diag/sleep", Access::open(), [](Request& req) {
    auto ms = to_int(req.query_param("ms").value_or("0"), "ms");
    if (ms < 0 || ms > kMaxSleepMs)
      throw ApiError(ErrorCode::kValidationFailed, "ms must be from 0 to 60000");
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return Response::json({{"slept_ms", ms}});
  });

  r.add(Method::kGet, "/api/v1/diag/stream", Access::open(), [](Request& req) {
    const auto bytes = to_int(req.query_param("bytes").value_or("0"), "bytes");
    const auto fail_at = to_int(req.query_param("fail_at").value_or("-1"), "fail_at");
    if (bytes < 0 || bytes > (std::int64_t{1} << 32))
      throw ApiError(ErrorCode::kValidationFailed, "bytes must be from 0 to 2^32");
    const bool sized = req.query_param("sized").value_or("1") != "0";
    return Response::streamed(std::make_shared<PatternBody>(bytes, sized, fail_at),
                              "application/octet-stream");
  });

  r.add(Method::kPut, "/api/v1/diag/rows/{id}", Access::open(), [&db, &clock](Request& req) {
    auto id = to_int(req.param("id"), "id");
    auto body = req.json_body();
    if (!body.is_object() || !body.contains("value") || !body["value"].is_string()) {
      throw ApiError(ErrorCode::kValidationFailed, "body must be an object with a string 'value'");
    }
    std::string value = body["value"];
    db.transact([&](Tx& tx) {
      tx.exec(
          "INSERT INTO diag_rows (id, value, updated_at_ms) VALUES ($1, $2, $3) "
          "ON CONFLICT (id) DO UPDATE SET value = excluded.value, updated_at_ms = "
          "excluded.updated_at_ms",
          {id, value, clock.now_ms()});
    });
    return Response::json({{"id", id}, {"value", value}});
  });

  r.add(Method::kGet, "/api/v1/diag/rows/{id}", Access::open(), [&db](Request& req) {
    auto id = to_int(req.param("id"), "id");
    auto row = db.transact(
        [&](Tx& tx) { return tx.query_one("SELECT id, value FROM diag_rows WHERE id = $1", {id}); },
        TxMode::kRead);
    if (!row) throw ApiError(ErrorCode::kNotFound, "no row " + std::to_string(id));
    return Response::json({{"id", row->integer(0)}, {"value", row->text(1)}});
  });

  r.add(Method::kPost, "/api/v1/diag/upload", Access::open(),
        [](Request& req) {
          return Response::json({{"bytes", req.body.size()}, {"sha256", sha256_hex(req.body)}});
        },
        {.body_limit = kUploadLimit, .inline_handler = false});

  // The same through a spooled body: the server writes it to server.upload_dir, never to memory.
  r.add(Method::kPost, "/api/v1/diag/upload-spooled", Access::open(),
        [](Request& req) {
          std::ifstream in(req.spooled->path(), std::ios::binary);
          Sha256 h;
          std::vector<char> buf(1 << 16);
          std::uint64_t bytes = 0;
          while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
            h.update(buf.data(), static_cast<std::size_t>(in.gcount()));
            bytes += static_cast<std::uint64_t>(in.gcount());
          }
          return Response::json(
              {{"bytes", bytes}, {"sha256", h.hex()}, {"spooled_size", req.spooled->size()}});
        },
        {.body_limit = std::size_t{8} << 30, .inline_handler = false, .spool_body = true});

  // Publishes a notification through the core's publisher (tests and benchmarks of streams and
  // pushes): {user_id, type, title, body, data?}; 503 when no notify module is loaded.
  Services& services = ctx.services;
  r.add(Method::kPost, "/api/v1/diag/notify", Access::open(), [&db, &services](Request& req) {
    const auto body = req.json_object();
    NotificationPublisher* publisher = services.notifications.get();
    if (!publisher) throw ApiError(ErrorCode::kUnavailable, "no notify module is loaded");
    Notification n;
    try {
      n.user_id = body.at("user_id").get<std::int64_t>();
      n.type = body.at("type").get<std::string>();
      n.title = body.at("title").get<std::string>();
      n.body = body.at("body").get<std::string>();
      n.data = body.value("data", nlohmann::json::object());
    } catch (const nlohmann::json::exception&) {
      throw ApiError(ErrorCode::kValidationFailed,
                     "send {user_id: integer, type, title, body: strings, data?: object}");
    }
    const auto id = db.transact([&](Tx& tx) { return publisher->publish(tx, n); });
    return Response::json({{"id", std::to_string(id)}}, 201);
  });

  r.add(Method::kPost, "/api/v1/diag/jobs", Access::open(), [&jobs](Request& req) {
    auto body = req.json_body();
    if (!body.is_object())
      throw ApiError(ErrorCode::kValidationFailed, "body must be a JSON object");
    JobSpec spec;
    if (body.contains("type")) {
      // Any module's job, as its scheduler or another job would enqueue it: tests run a handler
      // again (is it idempotent?) or now (a retention purge) without waiting for its schedule.
      if (!body["type"].is_string() || !body.value("payload", nlohmann::json::object()).is_object())
        throw ApiError(ErrorCode::kValidationFailed, "type must be a string, payload an object");
      spec.type = body["type"].get<std::string>();
      spec.queue = body.value("queue", std::string("default"));
      spec.payload = body.value("payload", nlohmann::json::object());
    } else {
      spec.type = "diag.sleep";
      spec.queue = "diag";
      spec.payload = {
          {"ms", sleep_ms_from(body.value("ms", nlohmann::json(0)), "ms")},
          {"fail_times", sleep_ms_from(body.value("fail_times", nlohmann::json(0)), "fail_times")}};
    }
    if (body.contains("idempotency_key")) {
      if (!body["idempotency_key"].is_string()) {
        throw ApiError(ErrorCode::kValidationFailed, "idempotency_key must be a string");
      }
      spec.idempotency_key = body["idempotency_key"].get<std::string>();
    }
    return Response::json({{"id", jobs.enqueue(spec)}}, 202);
  });
}

}  // namespace carehub::diag
