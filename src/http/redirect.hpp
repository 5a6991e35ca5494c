// The plain-HTTP listener beside an HTTPS server (server.redirect_http_port): every request gets a
// 301 to the same host, path and query over https, and nothing else is served there.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "carehub/config.hpp"

namespace carehub {

// The https URL for a request that arrived over plain HTTP with this Host header and target, the
// HTTPS server listening on https_port; nullopt when the Host header is missing or is not a host
// name or address (the answer is then 400).
std::optional<std::string> https_location(std::string_view host_header, std::string_view target,
                                          int https_port);

// Answers one connection of the redirect listener, pointing at the HTTPS server on https_port,
// and closes it.
boost::asio::awaitable<void> serve_redirect(boost::asio::ip::tcp::socket socket,
                                            const ServerConfig& config, int https_port);

}  // namespace carehub
