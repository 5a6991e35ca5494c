#include "mail/templates.hpp"

#include <openssl/evp.h>

#include <cstdint>
#include <ctime>
#include <stdexcept>

namespace carehub::mail {
namespace {

struct Template {
  std::vector<std::string> params;
  Rendered en, es;
};

const std::map<std::string, Template>& templates() {
  static const std::map<std::string, Template> all = {
      {"password_reset",
       {{"link"},
        {"Reset your carehub password",
         "Someone, perhaps you, asked to reset the password of this address's carehub "
         "account.\n\nTo choose a new password, open this link within an hour:\n{link}\n\nIf "
         "you did not ask, ignore this message: your password stays as it is.\n"},
        {"Restablezca su contraseña de carehub",
         "Alguien, quizá usted, ha pedido restablecer la contraseña de la cuenta de carehub de "
         "esta dirección.\n\nPara elegir una contraseña nueva, abra este enlace antes de una "
         "hora:\n{link}\n\nSi no lo ha pedido, ignore este mensaje: su contraseña no cambia.\n"}}},
      {"verify_email",
       {{"link"},
        {"Confirm your email address for carehub",
         "Welcome to carehub.\n\nTo confirm that this address is yours and finish creating "
         "your account, open this link:\n{link}\n\nIf you did not create an account, ignore "
         "this message.\n"},
        {"Confirme su dirección de correo en carehub",
         "Le damos la bienvenida a carehub.\n\nPara confirmar que esta dirección es suya y "
         "terminar de crear su cuenta, abra este enlace:\n{link}\n\nSi no ha creado una "
         "cuenta, ignore este mensaje.\n"}}},
      {"notification",
       {{"link"},
        {"You have a new notification in carehub",
         "Something new is waiting for you in carehub.\n\nTo read it, sign in and open your "
         "notifications:\n{link}\n\nTo stop these messages, turn email off for this kind of "
         "notification on that page.\n"},
        {"Tiene una notificación nueva en carehub",
         "Le espera algo nuevo en carehub.\n\nPara leerlo, inicie sesión y abra sus "
         "notificaciones:\n{link}\n\nPara dejar de recibir estos mensajes, desactive el "
         "correo para este tipo de notificación en esa página.\n"}}},
      {"test",
       {{},
        {"carehub test message",
         "This is a test message from carehub: mail from this server reaches this address.\n"},
        {"Mensaje de prueba de carehub",
         "Este es un mensaje de prueba de carehub: el correo de este servidor llega a esta "
         "dirección.\n"}}},
      {"case_invitation",
       {{"link"},
        {"You have been invited to carehub",
         "A carehub user has shared information with you as a physician.\n\nTo see it, create "
         "your account from this link:\n{link}\n\nIf you do not expect this, ignore this "
         "message.\n"},
        {"Le han invitado a carehub",
         "Un usuario de carehub ha compartido información con usted como médico.\n\nPara "
         "verla, cree su cuenta desde este enlace:\n{link}\n\nSi no lo esperaba, ignore este "
         "mensaje.\n"}}},
  };
  return all;
}

std::string substitute(std::string text, const std::map<std::string, std::string>& params) {
  for (const auto& [name, value] : params) {
    const std::string mark = "{" + name + "}";
    for (auto at = text.find(mark); at != std::string::npos;
         at = text.find(mark, at + value.size()))
      text.replace(at, mark.size(), value);
  }
  return text;
}

bool ascii(const std::string& s) {
  for (const unsigned char c : s)
    if (c >= 0x80 || c == '\r' || c == '\n') return false;
  return true;
}

// A header value: as it is when ASCII, else an RFC 2047 encoded word.
std::string header_text(const std::string& s) {
  return ascii(s) ? s : "=?UTF-8?B?" + base64(s) + "?=";
}

// Refuses what would end a header early (a CR or LF in an address is an injection attempt).
const std::string& header_safe(const std::string& s) {
  if (s.find_first_of("\r\n") != std::string::npos)
    throw std::invalid_argument("a mail header value holds a line break");
  return s;
}

}  // namespace

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::vector<std::string>> template_params(const std::string& name) {
  const auto t = templates().find(name);
  if (t == templates().end()) return std::nullopt;
  return t->second.params;
}

Rendered render(const std::string& name, const std::string& language,
                const std::map<std::string, std::string>& params) {
  const auto t = templates().find(name);
  if (t == templates().end()) throw std::invalid_argument("no mail template " + name);
  const Rendered& r = language == "es" ? t->second.es : t->second.en;
  return {substitute(r.subject, params), substitute(r.body, params)};
}

std::string bare_address(const std::string& mailbox) {
  const auto open = mailbox.rfind('<');
  const auto close = mailbox.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open)
    return mailbox.substr(open + 1, close - open - 1);
  return mailbox;
}

std::string compose(const std::string& from, const std::string& to, const Rendered& rendered,
                    const std::string& message_id, std::int64_t now_ms) {
  char date[64];
  const std::time_t seconds = static_cast<std::time_t>(now_ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  std::string body;
  for (const char c : rendered.body) {
    if (c == '\n') body += '\r';
    body += c;
  }
  const std::string encoded = base64(body);
  std::string out;
  out += "From: " + header_safe(from) + "\r\n";
  out += "To: " + header_safe(to) + "\r\n";
  out += "Subject: " + header_text(header_safe(rendered.subject)) + "\r\n";
  out += "Date: " + std::string(date) + "\r\n";
  out += "Message-ID: <" + header_safe(message_id) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "\r\n";
  for (std::size_t at = 0; at < encoded.size(); at += 76) out += encoded.substr(at, 76) + "\r\n";
  return out;
}

}  // namespace carehub::mail
