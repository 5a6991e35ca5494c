// What the dicom route tables share: who may call them, URLs in answers, the sender of an upload,
// the media ranges a client accepts.
#include <cctype>
#include <limits>

#include "carehub/error.hpp"
#include "carehub/hash.hpp"
#include "dicom/routes.hpp"

namespace carehub::dicom {
namespace {

std::string trim(std::string_view s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) return {};
  return std::string(s.substr(a, s.find_last_not_of(" \t") - a + 1));
}

}  // namespace

std::string lower(std::string_view in) {
  std::string s(in);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<MediaRange> accept_ranges(const Request& req) {
  std::vector<MediaRange> out;
  const std::string header(req.header("accept").value_or("*/*"));
  std::size_t start = 0;
  while (start <= header.size()) {
    const auto comma = header.find(',', start);
    const std::string item =
        header.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    MediaRange range;
    std::size_t at = 0;
    bool first = true;
    while (at <= item.size()) {
      const auto semi = item.find(';', at);
      const std::string piece =
          trim(item.substr(at, semi == std::string::npos ? std::string::npos : semi - at));
      if (first) {
        range.type = lower(piece);
        first = false;
      } else if (const auto eq = piece.find('='); eq != std::string::npos) {
        std::string value = trim(piece.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
          value = value.substr(1, value.size() - 2);
        range.params.emplace_back(lower(trim(piece.substr(0, eq))), value);
      }
      if (semi == std::string::npos) break;
      at = semi + 1;
    }
    if (!range.type.empty()) out.push_back(std::move(range));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (out.empty()) out.push_back({"*/*", {}});
  return out;
}

Access dicom_write_access() {
  return Access::roles({"physician", "admin"}).or_scopes({"dicom:write"});
}

Access dicom_read_access() {
  return Access::roles({"physician", "admin"}).or_scopes({"dicom:read", "dicom:write"});
}

Scope scope_of(const Request& req) {
  Scope s;
  for (const auto& [name, value] : req.params) {
    if (name == "study") s.study = value;
    if (name == "series") s.series = value;
    if (name == "sop") s.sop = value;
  }
  return s;
}

std::string stored_file_path(DicomContext& ctx, const std::string& blob_key) {
  auto path = ctx.blobs.local_path(blob_key);
  if (!path) throw std::runtime_error("the blob store keeps no local file for " + blob_key);
  return *path;
}

std::vector<int> frame_numbers(const std::string& list, std::size_t max) {
  std::vector<int> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto comma = list.find(',', start);
    const std::string item =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    // A frame number is an IS (a 32-bit signed integer): beyond that it names no frame.
    const auto number = parse_positive_id(item, "frame number");
    if (number > std::numeric_limits<int>::max())
      throw ApiError(ErrorCode::kBadRequest, "frame numbers go from 1 to 2147483647");
    out.push_back(static_cast<int>(number));
    if (out.size() > max) throw ApiError(ErrorCode::kBadRequest, "too many frames asked for");
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Response multipart_of(const std::vector<std::string>& values, const std::string& part_type,
                      const std::string& part_content_type) {
  const std::string b = "carehub-" + random_hex(12);
  auto body = std::make_shared<PiecesBody>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    body->add_text((i ? "\r\n--" : "--") + b + "\r\nContent-Type: " + part_content_type +
                   "\r\nContent-Length: " + std::to_string(values[i].size()) + "\r\n\r\n");
    body->add_text(values[i]);
  }
  body->add_text("\r\n--" + b + "--\r\n");
  return Response::streamed(std::move(body),
                            "multipart/related; type=\"" + part_type + "\"; boundary=" + b);
}

std::string base_url(const Request& req, const DicomContext& ctx) {
  if (!ctx.public_base_url.empty()) return ctx.public_base_url;
  const auto host = req.header("host");
  // A Host that could break out of a URL is not echoed.
  if (!host || host->empty() || host->find_first_of("/\\\"<> ") != std::string_view::npos)
    return "";
  return "http://" + std::string(*host);
}

IngestSource source_of(const Request& req) {
  IngestSource s;
  s.actor = req.principal ? req.principal->subject : "anonymous";
  s.patient_scope = s.actor;
  s.request_id = req.request_id;
  s.client_address = req.client_address;
  return s;
}

void audit_read(DicomContext& ctx, const Request& req, const std::string& action,
                const std::string& resource, nlohmann::json detail) {
  AuditEvent e = AuditLog::from_request(req, action, "dicom_study", resource);
  e.detail = std::move(detail);
  ctx.audit.record(std::move(e));
}

}  // namespace carehub::dicom
