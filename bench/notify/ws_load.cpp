// Load client for bench/notify: holds N WebSocket connections to carehub's notification stream
// (one per user, each with that user's access token), then publishes through the diag route at a
// fixed rate to random users, and measures, for every notification received, the time from the
// publisher's send (a timestamp carried in the notification's data) to its receipt. Prints one
// JSON line. Built by run.sh with g++ against Boost's headers (Beast and Asio header-only here).
//
//   ws_load PORT TOKENS_FILE RATE SECONDS [PUBLISHERS]
//   TOKENS_FILE: "user_id token" per line; one connection per line.
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::system_clock;

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Stats {
  std::mutex mutex;
  std::vector<double> latencies_ms;
  std::atomic<long> received{0}, open{0}, failed{0}, closed_early{0};
};

// Extracts the number after "\"t\":" in the message (the publisher's microsecond timestamp).
std::int64_t sent_at(const std::string& m) {
  const auto at = m.find("\"t\":");
  if (at == std::string::npos) return 0;
  return std::strtoll(m.c_str() + at + 4, nullptr, 10);
}

asio::awaitable<void> hold(tcp::endpoint ep, std::string token, Stats& stats,
                           std::atomic<bool>& stopping) {
  websocket::stream<beast::tcp_stream> ws(co_await asio::this_coro::executor);
  try {
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(60));
    co_await beast::get_lowest_layer(ws).async_connect(ep, asio::use_awaitable);
    beast::get_lowest_layer(ws).expires_never();
    ws.set_option(websocket::stream_base::decorator([token](websocket::request_type& r) {
      r.set(http::field::authorization, "Bearer " + token);
    }));
    co_await ws.async_handshake("127.0.0.1", "/api/v1/notifications/ws", asio::use_awaitable);
  } catch (const std::exception&) {
    ++stats.failed;
    co_return;
  }
  ++stats.open;
  beast::flat_buffer buffer;
  for (;;) {
    boost::system::error_code ec;
    co_await ws.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!stopping) ++stats.closed_early;
      break;
    }
    const std::string m = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    const auto t = sent_at(m);
    if (t > 0) {
      std::lock_guard lock(stats.mutex);
      stats.latencies_ms.push_back(static_cast<double>(now_us() - t) / 1000.0);
    }
    ++stats.received;
  }
  --stats.open;
}

// One keep-alive connection publishing its share of the rate.
void publish(tcp::endpoint ep, const std::vector<std::int64_t>& users, double rate, int seconds,
             int seed, std::atomic<long>& sent, std::atomic<long>& errors) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  const auto reconnect = [&] {
    boost::system::error_code ignored;
    stream.socket().close(ignored);
    stream.connect(ep);
    stream.socket().set_option(tcp::no_delay(true));
    buffer.clear();
  };
  stream.connect(ep);
  stream.socket().set_option(tcp::no_delay(true));
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::uniform_int_distribution<std::size_t> pick(0, users.size() - 1);
  const auto start = std::chrono::steady_clock::now();
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  for (long i = 0;; ++i) {
    const auto due =
        start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval * i);
    if (due - start >= std::chrono::seconds(seconds)) break;
    std::this_thread::sleep_until(due);
    http::request<http::string_body> req{http::verb::post, "/api/v1/diag/notify", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = "{\"user_id\":" + std::to_string(users[pick(rng)]) +
                 ",\"type\":\"bench\",\"title\":\"t\",\"body\":\"b\",\"data\":{\"t\":" +
                 std::to_string(now_us()) + "}}";
    req.prepare_payload();
    http::response<http::string_body> res;
    try {
      http::write(stream, req);
      http::read(stream, buffer, res);
    } catch (const std::exception&) {
      ++errors;  // the connection dropped: count it and go on with a new one
      reconnect();
      continue;
    }
    if (res.result_int() == 201) {
      ++sent;
    } else {
      ++errors;
    }
    // The server ends keep-alive after server.max_requests_per_connection requests.
    if (!res.keep_alive()) reconnect();
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: ws_load PORT TOKENS_FILE RATE SECONDS [PUBLISHERS]\n";
    return 2;
  }
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(std::stoi(argv[1])));
  std::ifstream in(argv[2]);
  std::vector<std::pair<std::int64_t, std::string>> tokens;
  for (std::int64_t id; in >> id;) {
    std::string token;
    in >> token;
    tokens.emplace_back(id, token);
  }
  const double rate = std::stod(argv[3]);
  const int seconds = std::stoi(argv[4]);
  const int publishers = argc > 5 ? std::stoi(argv[5]) : 4;

  Stats stats;
  std::atomic<bool> stopping{false};
  asio::io_context ioc(1);
  auto guard = asio::make_work_guard(ioc);
  std::thread io([&ioc] { ioc.run(); });
  const auto ramp_start = std::chrono::steady_clock::now();
  // Connections opened in waves, so the server's accept queue is not flooded.
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    asio::co_spawn(ioc, hold(ep, tokens[i].second, stats, stopping), asio::detached);
    if (i % 200 == 199) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  while (stats.open + stats.failed < static_cast<long>(tokens.size()) &&
         std::chrono::steady_clock::now() - ramp_start < std::chrono::seconds(120)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double ramp_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - ramp_start).count();
  const long held = stats.open;
  std::cout << "{\"phase\":\"held\",\"connections\":" << held << ",\"failed\":" << stats.failed
            << ",\"ramp_seconds\":" << ramp_s << "}" << std::endl;
  // Let the caller read the server's memory with every connection open.
  std::string go;
  std::getline(std::cin, go);

  std::vector<std::int64_t> users;
  for (const auto& [id, t] : tokens) users.push_back(id);
  std::atomic<long> sent{0}, errors{0};
  std::vector<std::thread> pubs;
  for (int p = 0; p < publishers; ++p) {
    pubs.emplace_back(publish, ep, std::cref(users), rate / publishers, seconds, p + 1,
                      std::ref(sent), std::ref(errors));
  }
  for (auto& t : pubs) t.join();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // stragglers
  stopping = true;
  std::vector<double> lat;
  {
    std::lock_guard lock(stats.mutex);
    lat = stats.latencies_ms;
  }
  const double p50 = percentile(lat, 50), p99 = percentile(lat, 99),
               max = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end());
  std::cout << "{\"phase\":\"done\",\"connections_held\":" << stats.open
            << ",\"closed_early\":" << stats.closed_early << ",\"published\":" << sent
            << ",\"publish_errors\":" << errors << ",\"received\":" << stats.received
            << ",\"seconds\":" << seconds
            << ",\"delivered_per_s\":" << static_cast<double>(stats.received) / seconds
            << ",\"latency_ms_p50\":" << p50 << ",\"latency_ms_p99\":" << p99
            << ",\"latency_ms_max\":" << max << "}" << std::endl;
  guard.reset();
  ioc.stop();
  io.join();
  return 0;
}
