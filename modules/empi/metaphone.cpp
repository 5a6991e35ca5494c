// Double Metaphone (Lawrence Philips), the phonetic codes the name comparisons and blocking use.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "empi/text.hpp"
#include "empi/text_detail.hpp"

namespace carehub::empi {
namespace {

using namespace detail;

// ---- Double Metaphone ----
// Rule for rule as in Philips' original C++ with Kevin Atkinson's fixes; the example words are his.

constexpr char kCedilla = '\xC7';  // stand-ins for a whole UTF-8 code point, so each letter is one
constexpr char kEnye = '\xD1';     // position as in the original's Latin-1
constexpr char kOther = '\x80';    // any other non-ASCII letter: never coded
constexpr int kPad = 5;            // the original pads with spaces to look past the end

class DoubleMetaphone {
 public:
  explicit DoubleMetaphone(std::string_view name);
  std::string primary() const { return primary_.str(); }
  std::string alternate() const { return alternate_.str(); }

 private:
  struct Code {
    char text[4];
    int size = 0;
    void append(std::string_view s) {
      for (char c : s) {
        if (size < 4) text[size++] = c;
      }
    }
    std::string str() const { return std::string(text, static_cast<std::size_t>(size)); }
  };

  char at(int i) const { return i >= 0 && i < length_ + kPad ? s_[i] : '\0'; }
  bool is_vowel(int i) const {
    return i >= 0 && i < length_ &&
           std::string_view("AEIOUY").find(s_[i]) != std::string_view::npos;
  }
  bool string_at(int start, std::initializer_list<std::string_view> options) const {
    if (start < 0) return false;  // Atkinson's fix: the original read before the string
    for (std::string_view option : options) {
      std::size_t k = 0;
      while (k < option.size() && at(start + static_cast<int>(k)) == option[k]) ++k;
      if (k == option.size()) return true;
    }
    return false;
  }
  // Adds a sound to both codes, or `main` and `alt` apart, and says where to go on. An alt of " "
  // is the original's "alternate differs but adds nothing".
  int emit(std::string_view both, int next) { return emit(both, both, next); }
  int emit(std::string_view main, std::string_view alt, int next) {
    primary_.append(main);
    alternate_.append(alt == " " ? std::string_view() : alt);
    return next;
  }
  int skip_double(int i) const { return at(i + 1) == at(i) ? i + 2 : i + 1; }

  int code_at(int i);
  int code_c(int i);
  int code_ch(int i);
  int code_g(int i);
  int code_gh(int i);
  int code_j(int i);
  int code_l(int i);
  int code_s(int i);
  int code_t(int i);
  int code_w(int i);

  Scratch<char, kShort + kPad> buffer_;
  char* s_;
  int length_ = 0;
  bool slavo_germanic_ = false;
  bool germanic_ = false;  // "van ", "von ", "sch-"
  Code primary_, alternate_;
};

DoubleMetaphone::DoubleMetaphone(std::string_view name)
    : buffer_(trim(name).size() + kPad), s_(buffer_.data()) {
  name = trim(name);
  bool gap = false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto u = static_cast<unsigned char>(name[i]);
    char c = to_upper(name[i]);
    if (is_space(c)) {
      gap = true;
      continue;
    }
    if (u >= 0x80) {
      if (u < 0xC0) continue;  // a continuation byte: its code point is already in
      const auto next = i + 1 < name.size() ? static_cast<unsigned char>(name[i + 1]) : 0;
      c = u != 0xC3                      ? kOther
          : next == 0xA7 || next == 0x87 ? kCedilla
          : next == 0xB1 || next == 0x91 ? kEnye
                                         : kOther;
    }
    if (gap) s_[length_++] = ' ';
    gap = false;
    s_[length_++] = c;
  }
  std::fill_n(s_ + length_, kPad, ' ');
  const std::string_view text(s_, static_cast<std::size_t>(length_));
  slavo_germanic_ = text.find_first_of("WK") != std::string_view::npos ||
                    text.find("CZ") != std::string_view::npos;
  germanic_ = string_at(0, {"VAN ", "VON "}) || string_at(0, {"SCH"});

  int i = string_at(0, {"GN", "KN", "PN", "WR", "PS"}) ? 1 : 0;  // silent first letter
  if (at(0) == 'X') i = emit("S", 1);                            // "Xavier"
  while ((primary_.size < 4 || alternate_.size < 4) && i < length_) i = code_at(i);
}

int DoubleMetaphone::code_at(int i) {
  const int last = length_ - 1;
  switch (at(i)) {
    case 'A':
    case 'E':
    case 'I':
    case 'O':
    case 'U':
    case 'Y': return emit(i == 0 ? "A" : "", i + 1);  // only an initial vowel is coded
    case 'B': return emit("P", skip_double(i));
    case kCedilla: return emit("S", i + 1);
    case 'C': return code_c(i);
    case 'D':
      if (string_at(i, {"DG"})) {  // "edge", "edgar"
        return string_at(i + 2, {"I", "E", "Y"}) ? emit("J", i + 3) : emit("TK", i + 2);
      }
      return emit("T", string_at(i, {"DT", "DD"}) ? i + 2 : i + 1);
    case 'F': return emit("F", skip_double(i));
    case 'G': return code_g(i);
    case 'H':  // kept only when first or after a vowel, and before a vowel
      return (i == 0 || is_vowel(i - 1)) && is_vowel(i + 1) ? emit("H", i + 2) : i + 1;
    case 'J': return code_j(i);
    case 'K': return emit("K", skip_double(i));
    case 'L': return code_l(i);
    case 'M': {  // the B is silent in "dumb", "thumb"
      const bool skip =
          (string_at(i - 1, {"UMB"}) && (i + 1 == last || string_at(i + 2, {"ER"}))) ||
          at(i + 1) == 'M';
      return emit("M", skip ? i + 2 : i + 1);
    }
    case 'N': return emit("N", skip_double(i));
    case kEnye: return emit("N", i + 1);
    case 'P':
      if (at(i + 1) == 'H') return emit("F", i + 2);
      return emit("P", string_at(i + 1, {"P", "B"}) ? i + 2 : i + 1);  // "campbell"
    case 'Q': return emit("K", skip_double(i));
    case 'R': {  // silent in French "rogier", but not in "hochmeier"
      const bool french = i == last && !slavo_germanic_ && string_at(i - 2, {"IE"}) &&
                          !string_at(i - 4, {"ME", "MA"});
      return emit(french ? "" : "R", "R", skip_double(i));
    }
    case 'S': return code_s(i);
    case 'T': return code_t(i);
    case 'V': return emit("F", skip_double(i));
    case 'W': return code_w(i);
    case 'X': {  // silent in French "breaux"
      const bool silent =
          i == last && (string_at(i - 3, {"IAU", "EAU"}) || string_at(i - 2, {"AU", "OU"}));
      return emit(silent ? "" : "KS", string_at(i + 1, {"C", "X"}) ? i + 2 : i + 1);
    }
    case 'Z':
      if (at(i + 1) == 'H') return emit("J", i + 2);  // pinyin "zhao"
      if (string_at(i + 1, {"ZO", "ZI", "ZA"}) || (slavo_germanic_ && i > 0 && at(i - 1) != 'T')) {
        return emit("S", "TS", skip_double(i));
      }
      return emit("S", skip_double(i));
    default: return i + 1;
  }
}

int DoubleMetaphone::code_c(int i) {
  if (i > 1 && !is_vowel(i - 2) && string_at(i - 1, {"ACH"}) && at(i + 2) != 'I' &&
      (at(i + 2) != 'E' || string_at(i - 2, {"BACHER", "MACHER"}))) {
    return emit("K", i + 2);  // various Germanic
  }
  if (i == 0 && string_at(i, {"CAESAR"})) return emit("S", i + 2);
  if (string_at(i, {"CHIA"})) return emit("K", i + 2);  // Italian "chianti"
  if (string_at(i, {"CH"})) return code_ch(i);
  if (string_at(i, {"CZ"}) && !string_at(i - 2, {"WICZ"}))
    return emit("S", "X", i + 2);                           // "czerny"
  if (string_at(i + 1, {"CIA"})) return emit("X", i + 3);   // "focaccia"
  if (string_at(i, {"CC"}) && !(i == 1 && at(0) == 'M')) {  // not "McClellan"
    if (!string_at(i + 2, {"I", "E", "H"}) || string_at(i + 2, {"HU"})) {
      return emit("K", i + 2);  // Pierce's rule, "bacchus"
    }
    const bool ks = (i == 1 && at(0) == 'A') || string_at(i - 1, {"UCCEE", "UCCES"});
    return emit(ks ? "KS" : "X", i + 3);  // "accident", "succeed"; Italian "bacci"
  }
  if (string_at(i, {"CK", "CG", "CQ"})) return emit("K", i + 2);
  if (string_at(i, {"CIO", "CIE", "CIA"})) return emit("S", "X", i + 2);  // Italian
  if (string_at(i, {"CI", "CE", "CY"})) return emit("S", i + 2);
  if (string_at(i + 1, {" C", " Q", " G"})) return emit("K", i + 3);  // "mac caffrey", "mac gregor"
  if (string_at(i + 1, {"C", "K", "Q"}) && !string_at(i + 1, {"CE", "CI"})) return emit("K", i + 2);
  return emit("K", i + 1);
}

int DoubleMetaphone::code_ch(int i) {
  if (i > 0 && string_at(i, {"CHAE"})) return emit("K", "X", i + 2);  // "michael"
  if (i == 0 && (string_at(1, {"HARAC", "HARIS"}) || string_at(1, {"HOR", "HYM", "HIA", "HEM"})) &&
      !string_at(0, {"CHORE"})) {
    return emit("K", i + 2);  // Greek roots: "chemistry", "chorus"
  }
  // Germanic, Greek or otherwise "kh": "architect", "orchestra", "wachtler", not "tichner".
  if (germanic_ || string_at(i - 2, {"ORCHES", "ARCHIT", "ORCHID"}) ||
      string_at(i + 2, {"T", "S"}) ||
      ((i == 0 || string_at(i - 1, {"A", "O", "U", "E"})) &&
       string_at(i + 2, {"L", "R", "N", "M", "B", "H", "F", "V", "W", " "}))) {
    return emit("K", i + 2);
  }
  if (i == 0) return emit("X", i + 2);
  return string_at(0, {"MC"}) ? emit("K", i + 2) : emit("X", "K", i + 2);  // "McHugh"
}

int DoubleMetaphone::code_g(int i) {
  if (at(i + 1) == 'H') return code_gh(i);
  if (at(i + 1) == 'N') {
    if (i == 1 && is_vowel(0) && !slavo_germanic_) return emit("KN", "N", i + 2);
    if (!string_at(i + 2, {"EY"}) && !slavo_germanic_) return emit("N", "KN", i + 2);  // "cagney"
    return emit("KN", i + 2);
  }
  if (string_at(i + 1, {"LI"}) && !slavo_germanic_) return emit("KL", "L", i + 2);  // "tagliaro"
  if (i == 0 && (at(1) == 'Y' || string_at(1, {"ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE",
                                               "EI", "ER"}))) {
    return emit("K", "J", i + 2);
  }
  if ((string_at(i + 1, {"ER"}) || at(i + 1) == 'Y') &&
      !string_at(0, {"DANGER", "RANGER", "MANGER"}) && !string_at(i - 1, {"E", "I"}) &&
      !string_at(i - 1, {"RGY", "OGY"})) {
    return emit("K", "J", i + 2);  // -ger-, -gy-
  }
  if (string_at(i + 1, {"E", "I", "Y"}) || string_at(i - 1, {"AGGI", "OGGI"})) {  // "biaggi"
    if (germanic_ || string_at(i + 1, {"ET"})) return emit("K", i + 2);
    if (string_at(i + 1, {"IER "})) return emit("J", i + 2);  // always soft in a French ending
    return emit("J", "K", i + 2);
  }
  return emit("K", skip_double(i));
}

int DoubleMetaphone::code_gh(int i) {
  if (i > 0 && !is_vowel(i - 1)) return emit("K", i + 2);
  if (i == 0) return emit(at(2) == 'I' ? "J" : "K", i + 2);  // "ghislane", "ghiradelli"
  if ((i > 1 && string_at(i - 2, {"B", "H", "D"})) ||
      (i > 2 && string_at(i - 3, {"B", "H", "D"})) || (i > 3 && string_at(i - 4, {"B", "H"}))) {
    return i + 2;  // Parker's rule: silent in "hugh", "bough", "broughton"
  }
  if (i > 2 && at(i - 1) == 'U' && string_at(i - 3, {"C", "G", "L", "R", "T"})) {
    return emit("F", i + 2);  // "laugh", "McLaughlin", "cough", "rough"
  }
  return emit(at(i - 1) == 'I' ? "" : "K", i + 2);
}

int DoubleMetaphone::code_j(int i) {
  if (string_at(i, {"JOSE"}) || string_at(0, {"SAN "})) {  // Spanish "jose", "san jacinto"
    if ((i == 0 && at(i + 4) == ' ') || string_at(0, {"SAN "})) return emit("H", i + 1);
    return emit("J", "H", i + 1);
  }
  const int next = skip_double(i);
  if (i == 0) return emit("J", "A", next);  // "Yankelovich" / "Jankelowicz"
  if (is_vowel(i - 1) && !slavo_germanic_ && (at(i + 1) == 'A' || at(i + 1) == 'O')) {
    return emit("J", "H", next);  // Spanish "bajador"
  }
  if (i == length_ - 1) return emit("J", " ", next);
  if (!string_at(i + 1, {"L", "T", "K", "S", "N", "M", "B", "Z"}) &&
      !string_at(i - 1, {"S", "K", "L"})) {
    return emit("J", next);
  }
  return next;
}

int DoubleMetaphone::code_l(int i) {
  if (at(i + 1) != 'L') return emit("L", i + 1);
  const int last = length_ - 1;
  const bool spanish =  // "cabrillo", "gallegos"
      (i == length_ - 3 && string_at(i - 1, {"ILLO", "ILLA", "ALLE"})) ||
      ((string_at(last - 1, {"AS", "OS"}) || string_at(last, {"A", "O"})) &&
       string_at(i - 1, {"ALLE"}));
  return emit("L", spanish ? " " : "L", i + 2);
}

int DoubleMetaphone::code_s(int i) {
  if (string_at(i - 1, {"ISL", "YSL"})) return i + 1;  // "island", "isle", "carlisle"
  if (i == 0 && string_at(i, {"SUGAR"})) return emit("X", "S", i + 1);
  if (string_at(i, {"SH"})) {
    return emit(string_at(i + 1, {"HEIM", "HOEK", "HOLM", "HOLZ"}) ? "S" : "X", i + 2);  // Germanic
  }
  if (string_at(i, {"SIO", "SIA"}) || string_at(i, {"SIAN"})) {  // Italian, Armenian
    return emit("S", slavo_germanic_ ? "S" : "X", i + 3);
  }
  // "smith" matches "schmidt", "snider" "schneider"; Slavic -sz-.
  if ((i == 0 && string_at(i + 1, {"M", "N", "L", "W"})) || string_at(i + 1, {"Z"})) {
    return emit("S", "X", string_at(i + 1, {"Z"}) ? i + 2 : i + 1);
  }
  if (string_at(i, {"SC"})) {
    if (at(i + 2) != 'H') return emit(string_at(i + 2, {"I", "E", "Y"}) ? "S" : "SK", i + 3);
    // Schlesinger's rule; Dutch "school", "schooner", "schermerhorn", "schenker".
    if (string_at(i + 3, {"ER", "EN"})) return emit("X", "SK", i + 3);
    if (string_at(i + 3, {"OO", "UY", "ED", "EM"})) return emit("SK", i + 3);
    if (i == 0 && !is_vowel(3) && at(3) != 'W') return emit("X", "S", i + 3);
    return emit("X", i + 3);
  }
  const bool french = i == length_ - 1 && string_at(i - 2, {"AI", "OI"});  // "resnais", "artois"
  return emit(french ? "" : "S", "S", string_at(i + 1, {"S", "Z"}) ? i + 2 : i + 1);
}

int DoubleMetaphone::code_t(int i) {
  if (string_at(i, {"TION"}) || string_at(i, {"TIA", "TCH"})) return emit("X", i + 3);
  if (string_at(i, {"TH"}) || string_at(i, {"TTH"})) {  // hard in "thomas", "thames", Germanic
    return string_at(i + 2, {"OM", "AM"}) || germanic_ ? emit("T", i + 2) : emit("0", "T", i + 2);
  }
  return emit("T", string_at(i + 1, {"T", "D"}) ? i + 2 : i + 1);
}

int DoubleMetaphone::code_w(int i) {
  if (string_at(i, {"WR"})) return emit("R", i + 2);
  if (i == 0 && (is_vowel(1) || string_at(0, {"WH"}))) {
    emit("A", is_vowel(1) ? "F" : "A", i);  // "Wasserman" matches "Vasserman", "Uomo" "Womo"
  }
  // No return above, as in the original: an initial W can still start "-witz".
  if ((i == length_ - 1 && is_vowel(i - 1)) ||
      string_at(i - 1, {"EWSKI", "EWSKY", "OWSKI", "OWSKY"}) || string_at(0, {"SCH"})) {
    return emit("", "F", i + 1);  // "Arnow" matches "Arnoff"
  }
  if (string_at(i, {"WICZ", "WITZ"})) return emit("TS", "FX", i + 4);  // Polish "filipowicz"
  return i + 1;
}

}  // namespace

std::string double_metaphone(std::string_view name) {
  return DoubleMetaphone(name).primary();
}

std::string double_metaphone_alt(std::string_view name) {
  return DoubleMetaphone(name).alternate();
}

}  // namespace carehub::empi
