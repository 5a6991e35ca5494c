#include "carehub/log.hpp"
#include "carehub/tls.hpp"

namespace carehub {

ReloadableTls::ReloadableTls(TlsConfig config)
    : config_(std::move(config)),
      current_(make_tls_context(config_)),
      files_(tls_files_state(config_)),
      next_check_(std::chrono::steady_clock::now() + std::chrono::seconds(config_.reload_check_s)) {
}

std::shared_ptr<boost::asio::ssl::context> ReloadableTls::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::optional<bool> ReloadableTls::reload(const char* why, bool changed_only) {
  std::lock_guard reloading(reload_mutex_);
  const std::string files = tls_files_state(config_);
  if (changed_only && files == files_) return std::nullopt;
  files_ = files;  // a refused set is not tried again until the files change once more
  try {
    auto next = make_tls_context(reread_tls_key(config_));
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  } catch (const std::exception& e) {
    log_warn("tls_reload_refused",
             {{"listener", config_.section}, {"cause", why}, {"reason", e.what()}});
    return false;
  }
  log_info("tls_reloaded",
           {{"listener", config_.section}, {"cause", why}, {"cert_file", config_.cert_file}});
  return true;
}

std::optional<bool> ReloadableTls::check_if_due(std::chrono::steady_clock::time_point now) {
  if (config_.reload_check_s <= 0) return std::nullopt;
  {
    std::lock_guard reloading(reload_mutex_);
    if (now < next_check_) return std::nullopt;
    next_check_ = now + std::chrono::seconds(config_.reload_check_s);
  }
  return reload("files changed", true);
}

void TlsReloads::add(std::shared_ptr<ReloadableTls> tls) {
  std::lock_guard lock(mutex_);
  all_.push_back(std::move(tls));
}

std::vector<std::shared_ptr<ReloadableTls>> TlsReloads::all() const {
  std::lock_guard lock(mutex_);
  return all_;
}

}  // namespace carehub
