// Text that people type (names, titles, comments, notes) is checked before it is stored: a
// control character in a last name is a terminal escape, a bell or a forged line in whatever
// admin listing, export or log viewer shows it later (issue 17, finding 7), and bytes that are not
// UTF-8 are mangled on their way out as JSON. Control characters are C0 (U+0000-U+001F), DEL
// (U+007F) and C1 (U+0080-U+009F: some terminals take U+009B as an escape too).
//
// The problems name what is wrong and where (a code point, a 1-based byte position), never the
// text itself: it may be a patient's name, and messages reach logs and job records.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace carehub {

enum class TextKind {
  kLine,   // one line (names, identifiers, titles): no control character at all, not even TAB
  kLines,  // free text over several lines (notes, comments): TAB, LF and CR LF are allowed
};

// Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text);

// What is wrong with text for kind, as the end of a sentence whose subject is the field
// ("must not contain control characters (U+001B at byte 4)"), or nullopt when nothing is.
std::optional<std::string> text_problem(std::string_view text, TextKind kind = TextKind::kLine);

// Throws ApiError(kValidationFailed, "<field> <problem>") when text_problem finds one.
void require_text(std::string_view field, std::string_view text, TextKind kind = TextKind::kLine);

// An email address as accounts and invitations take it: name@domain, at most 254 bytes (the
// longest SMTP carries), no space or control character (a CR LF would end an SMTP command);
// what is wrong as a sentence whose subject is the field, or nullopt.
inline constexpr std::size_t kMaxEmailBytes = 254;
std::optional<std::string> email_problem(std::string_view email);

// ASCII letters lower-cased (addresses and tags compare so; anything else is kept as it is).
std::string ascii_lower(std::string_view text);

// A string (checked as kind) or object key (as kLine) anywhere in value with a problem, as a
// sentence whose subject is its path below value: ".notes[2].text must not contain ...", or
// " must ..." for value itself; nullopt when there is none. Iterative: any depth is safe.
std::optional<std::string> json_text_problem(const nlohmann::json& value, TextKind kind);

}  // namespace carehub
