// The customer page's language from Accept-Language (see page_language.h).
#include "services/page_language.h"

#include <cctype>
#include <optional>
#include <string>
#include <vector>

namespace touchstone {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Strip(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// `s` split at every `sep` (empty pieces kept).
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (size_t at = s.find(sep); at != std::string_view::npos; at = s.find(sep)) {
    out.push_back(s.substr(0, at));
    s.remove_prefix(at + 1);
  }
  out.push_back(s);
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A q-value (RFC 9110 section 12.4.2): "0", "0.5", "0.125", "1", "1.000", else nullopt.
std::optional<double> ParseQ(std::string_view v) {
  if (v.empty() || v.size() > 5 || (v[0] != '0' && v[0] != '1')) return std::nullopt;
  if (v.size() == 1) return v[0] == '1' ? 1.0 : 0.0;
  if (v[1] != '.') return std::nullopt;
  double q = v[0] == '1' ? 1.0 : 0.0, scale = 0.1;
  for (char c : v.substr(2)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (v[0] == '1' && c != '0') return std::nullopt;
    q += (c - '0') * scale;
    scale /= 10;
  }
  return q;
}

bool Listed(const std::vector<std::string_view>& list, std::string_view language) {
  for (std::string_view l : list) {
    if (l == language) return true;
  }
  return false;
}

}  // namespace

std::string_view PageLanguageOfTag(std::string_view tag) {
  tag = Strip(tag);
  if (tag.empty() || tag.size() > 35) return "";
  for (char c : tag) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return "";
  }
  const std::string lower = Lower(tag);
  const std::vector<std::string_view> subtags = Split(lower, '-');
  if (subtags[0] == "zh") {
    for (size_t i = 1; i < subtags.size(); ++i) {
      const std::string_view s = subtags[i];
      if (s == "hant" || s == "tw" || s == "hk" || s == "mo") return "";  // Traditional
    }
    return "zh-Hans";
  }
  for (std::string_view language : kPageLanguages) {
    if (Lower(language) == lower || Lower(language) == subtags[0]) return language;
  }
  return "";
}

std::string_view NegotiatePageLanguage(std::string_view accept_language) {
  std::string_view best;
  double best_q = 0;
  bool wildcard = false;
  double wildcard_q = 0;
  std::vector<std::string_view> refused;  // q=0: not served for a wildcard
  std::vector<std::string_view> named;    // named with q>0: a wildcard means the others
  for (std::string_view range : Split(accept_language, ',')) {
    const std::vector<std::string_view> params = Split(range, ';');
    const std::string_view tag = Strip(params[0]);
    if (tag.empty()) continue;
    std::optional<double> q = 1.0;
    for (size_t i = 1; i < params.size(); ++i) {
      const std::string_view p = Strip(params[i]);
      if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') q = ParseQ(p.substr(2));
    }
    if (!q) continue;  // a malformed q: the range is skipped
    if (tag == "*") {
      if (!wildcard) wildcard_q = *q;
      wildcard = true;
      continue;
    }
    const std::string_view language = PageLanguageOfTag(tag);
    if (language.empty()) continue;
    if (*q == 0) {
      refused.push_back(language);
      continue;
    }
    named.push_back(language);
    if (*q > best_q) {
      best = language;
      best_q = *q;
    }
  }
  if (wildcard && wildcard_q > best_q) {
    for (std::string_view language : kPageLanguages) {
      if (!Listed(refused, language) && !Listed(named, language)) return language;
    }
  }
  return best.empty() ? kPageLanguages[0] : best;
}

std::string_view ChoosePageLanguage(std::string_view lang_param, std::string_view accept_language) {
  if (!lang_param.empty()) {
    const std::string_view language = PageLanguageOfTag(lang_param);
    if (!language.empty()) return language;
  }
  return NegotiatePageLanguage(accept_language);
}

}  // namespace touchstone
