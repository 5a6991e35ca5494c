// The messages carehub sends, in English and Spanish: a subject and a short plain text with one
// link. None names a patient, a case or a diagnosis: whoever reads a mailbox over the
// recipient's shoulder learns only that carehub wrote.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace carehub::mail {

struct Rendered {
  std::string subject;
  std::string body;  // plain text, LF line ends
};

// The parameters a template needs; nullopt for an unknown template.
std::optional<std::vector<std::string>> template_params(const std::string& name);

// The template in the language (en or es; anything else: en), its {parameters} replaced.
Rendered render(const std::string& name, const std::string& language,
                const std::map<std::string, std::string>& params);

// The RFC 5322 message: From, To, Subject (RFC 2047 encoded when not ASCII), Date, Message-ID,
// MIME-Version and a UTF-8 text/plain body in base64 (no 8BITMIME needed), CRLF line ends.
std::string compose(const std::string& from, const std::string& to, const Rendered& rendered,
                    const std::string& message_id, std::int64_t now_ms);

// Standard base64 (RFC 4648), padded: bodies, encoded words and AUTH.
std::string base64(std::string_view bytes);

// The bare address in "Name <address>" (or the text itself).
std::string bare_address(const std::string& mailbox);

}  // namespace carehub::mail
