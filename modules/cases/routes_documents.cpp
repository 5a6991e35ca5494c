// A case's documents: uploaded by its owner (multipart, or a raw body with ?name=), streamed to
// disk and into the owner's private blob namespace (cases/{subject}/{case}/...), listed and
// downloaded (Range, ETag) by the owner and accepted recipients, and reachable for five minutes
// through a signed link that needs no session and stops working on expiry, on revocation of the
// share and on deletion. With ?disposition=inline a picture or a PDF is shown rather than saved:
// a picture in the console's sandboxed frame, a PDF in a tab of its own.
#include <fmt/format.h>

#include <fstream>

#include "carehub/download.hpp"
#include "carehub/error.hpp"
#include "carehub/hash.hpp"
#include "carehub/multipart.hpp"
#include "carehub/text_check.hpp"
#include "cases/service.hpp"

namespace carehub::cases {
namespace {

nlohmann::json document_json(const DocumentRow& d) {
  return {{"id", std::to_string(d.id)},
          {"case_id", std::to_string(d.case_id)},
          {"name", d.name},
          {"content_type", d.content_type},
          {"size", d.size},
          {"sha256", d.sha256},
          {"created_at", format_rfc3339_ms(d.created_at_ms)}};
}

void check_name(const std::string& name) {
  if (name.empty() || name.size() > 255)
    throw ApiError(ErrorCode::kValidationFailed, "the document's name must be 1 to 255 bytes");
  require_text("the document's name", name);  // from a form or a query: UTF-8 is checked too
}

std::string media_type_or_default(std::string_view type) {
  std::string t(type);
  if (t.empty() || t.size() > 200 ||
      std::any_of(t.begin(), t.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
    return "application/octet-stream";
  return t;
}

struct Upload {
  std::shared_ptr<SpooledBody> file;
  std::string name, content_type;
};

// The uploaded document: the "file" part (or the first part with a filename) of a multipart
// form, or the whole body with ?name=.
Upload upload_of(Request& req, CasesService& svc) {
  const auto& settings = svc.settings();
  if (!req.spooled) throw ApiError(ErrorCode::kValidationFailed, "the request has no body");
  const auto content_type = std::string(req.header("content-type").value_or(""));
  Upload up;
  if (auto mp = parse_multipart_content_type(content_type)) {
    std::optional<MultipartPart> file;
    std::string name_field;
    try {
      for (auto& part : scan_multipart(req.spooled->path(), mp->boundary, 16)) {
        if (!file && (part.name == "file" || part.filename)) {
          file = std::move(part);
        } else if (part.name == "name" && part.length <= 255) {
          std::ifstream in(req.spooled->path(), std::ios::binary);
          in.seekg(static_cast<std::streamoff>(part.offset));
          name_field.resize(part.length);
          in.read(name_field.data(), static_cast<std::streamsize>(part.length));
          name_field.resize(static_cast<std::size_t>(in.gcount()));
        }
      }
    } catch (const MultipartError& e) {
      throw ApiError(ErrorCode::kBadRequest, std::string("multipart body: ") + e.what());
    }
    if (!file) throw ApiError(ErrorCode::kValidationFailed, "the form has no 'file' part");
    if (file->length > settings.max_document_bytes) {
      throw ApiError(ErrorCode::kPayloadTooLarge,
                     fmt::format("{} ({} bytes)", svc.say(req, "error.document.too_large"),
                                 settings.max_document_bytes));
    }
    up.name = !name_field.empty() ? name_field : file->filename.value_or("");
    up.content_type = media_type_or_default(file->content_type);
    up.file =
        SpooledBody::copy_of(req.spooled->path(), file->offset, file->length, settings.upload_dir);
  } else {
    up.name = req.query_param("name").value_or("");
    if (up.name.empty())
      throw ApiError(ErrorCode::kValidationFailed,
                     "send a multipart form with a 'file' part, or the raw body with ?name=");
    up.content_type = media_type_or_default(content_type);
    up.file = req.spooled;
  }
  check_name(up.name);
  return up;
}

// What the console shows inline: pictures and PDFs a browser displays itself.
bool previewable(const std::string& type) {
  static const std::vector<std::string> kTypes = {"application/pdf", "image/png", "image/jpeg",
                                                  "image/gif", "image/webp"};
  return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}

// A signed link's answer as a preview (?disposition=inline) is framed only by the console's own
// pages, and still runs no script and loads nothing else.
void allow_console_frame(Response& r) {
  r.with_header("Content-Security-Policy",
                "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                "frame-ancestors 'self'")
      .with_header("X-Frame-Options", "SAMEORIGIN");
}

}  // namespace

void register_document_routes(Router& r, CasesService& svc) {
  RouteOptions upload_options;
  upload_options.spool_body = true;
  upload_options.body_limit = svc.settings().max_document_bytes + 64 * 1024;  // multipart framing
  r.add(
      Method::kPost, "/api/v1/cases/{id}/documents", case_access(),
      [&svc](Request& req) {
        const auto me = svc.caller(req);
        const auto id = path_id(req, "id", "case id");
        // Who may upload is checked before the bytes are copied anywhere.
        const auto owner = svc.db().transact(
            [&](Tx& tx) { return svc.access(tx, id, me, true).row.subject; }, TxMode::kRead);
        auto up = upload_of(req, svc);
        const auto key = fmt::format("cases/{}/{}/{}", owner, id, random_hex(16));
        const auto sha = up.file->sha256();
        const auto size = up.file->size();
        const auto path = up.file->release();
        svc.blobs().adopt(key, path, sha);
        try {
          auto doc = svc.db().transact([&](Tx& tx) {
            svc.access(tx, id, me, true);
            DocumentRow d{0,
                          id,
                          up.name,
                          up.content_type,
                          static_cast<std::int64_t>(size),
                          sha,
                          key,
                          svc.clock().now_ms()};
            d.id = svc.store().add_document(tx, d);
            svc.store().touch_case(tx, id, std::nullopt, d.created_at_ms);
            for (const auto& s : svc.store().shares_of_case(tx, id)) {
              if (s.status == "accepted")
                svc.notify(
                    tx, s.recipient_user_id, "document",
                    {{"case_id", std::to_string(id)}, {"document_id", std::to_string(d.id)}});
            }
            auto e =
                AuditLog::from_request(req, "case.document.upload", "case", std::to_string(id));
            e.detail = {{"document_id", d.id}, {"size", size}};
            svc.audit().record(tx, e);
            return d;
          });
          return Response::json(document_json(doc), 201);
        } catch (...) {
          svc.blobs().remove(key);  // never stored: nothing may point at it
          throw;
        }
      },
      upload_options);

  r.add(Method::kGet, "/api/v1/cases/{id}/documents", case_access(), [&svc](Request& req) {
    const auto me = svc.caller(req);
    const auto id = path_id(req, "id", "case id");
    return Response::json(svc.db().transact([&](Tx& tx) {
      svc.access(tx, id, me, false);
      nlohmann::json list = nlohmann::json::array();
      for (const auto& d : svc.store().documents(tx, id)) list.push_back(document_json(d));
      svc.audit().record(
          tx, AuditLog::from_request(req, "case.document.list", "case", std::to_string(id)));
      return nlohmann::json{{"documents", list}};
    }));
  });

  r.add(Method::kGet, "/api/v1/cases/{id}/documents/{doc}", case_access(), [&svc](Request& req) {
    const auto me = svc.caller(req);
    const auto id = path_id(req, "id", "case id");
    const auto doc_id = path_id(req, "doc", "document id");
    const auto doc = svc.db().transact([&](Tx& tx) {
      svc.access(tx, id, me, false);
      auto d = svc.store().document(tx, id, doc_id);
      if (!d) throw ApiError(ErrorCode::kNotFound, fmt::format("no document {}", doc_id));
      auto e = AuditLog::from_request(req, "case.document.download", "case", std::to_string(id));
      e.detail = {{"document_id", doc_id}};
      svc.audit().record(tx, e);
      return *d;
    });
    return download_response(req, svc.blobs(),
                             Download{doc.blob_key, static_cast<std::uint64_t>(doc.size),
                                      doc.sha256, doc.content_type, doc.name});
  });

  r.add(Method::kDelete, "/api/v1/cases/{id}/documents/{doc}", case_access(), [&svc](Request& req) {
    const auto me = svc.caller(req);
    const auto id = path_id(req, "id", "case id");
    const auto doc_id = path_id(req, "doc", "document id");
    const auto key = svc.db().transact([&](Tx& tx) {
      svc.access(tx, id, me, true);
      auto d = svc.store().document(tx, id, doc_id);
      if (!d) throw ApiError(ErrorCode::kNotFound, fmt::format("no document {}", doc_id));
      svc.store().delete_document(tx, doc_id);
      svc.store().touch_case(tx, id, std::nullopt, svc.clock().now_ms());
      auto e = AuditLog::from_request(req, "case.document.delete", "case", std::to_string(id));
      e.detail = {{"document_id", doc_id}};
      svc.audit().record(tx, e);
      return d->blob_key;
    });
    svc.blobs().remove(key);
    return Response::no_content();
  });

  r.add(Method::kPost, "/api/v1/cases/{id}/documents/{doc}/link", case_access(),
        [&svc](Request& req) {
          const auto link = svc.issue_link(req, svc.caller(req), path_id(req, "id", "case id"),
                                           path_id(req, "doc", "document id"));
          return Response::json(
              {{"url", link.url}, {"expires_at", format_rfc3339_ms(link.expires_ms)}}, 201);
        });

  // The signed link: no session; links.cpp checks what it says and who signed it.
  r.add(Method::kGet, "/api/v1/cases/{id}/documents/{doc}/content", Access::open(),
        [&svc](Request& req) {
          auto doc =
              svc.open_link(req, path_id(req, "id", "case id"), path_id(req, "doc", "document id"));
          doc.show_inline =
              req.query_param("disposition") == "inline" && previewable(doc.content_type);
          auto r = download_response(req, svc.blobs(), doc);
          if (doc.show_inline) allow_console_frame(r);
          return r;
        });
}

}  // namespace carehub::cases
