// The customer page's language: which of the page's translations
// (services/web/i18n/*.json) to serve for a request's Accept-Language header
// (RFC 9110 section 12.5.4) or its ?lang= choice. A pure function of its
// inputs: no HTTP library, no I/O.
#ifndef TOUCHSTONE_SERVICES_PAGE_LANGUAGE_H_
#define TOUCHSTONE_SERVICES_PAGE_LANGUAGE_H_

#include <array>
#include <string_view>

namespace touchstone {

// The languages the page is translated into, as BCP 47 tags and as the names
// of their files in services/web/i18n/ (the first is the reference and the
// fallback). tests/i18n_keys_check.py checks this list against the files and
// against services/web/i18n.js.
inline constexpr std::array<std::string_view, 7> kPageLanguages = {"en", "fr", "de",     "it",
                                                                   "es", "ja", "zh-Hans"};

// The page language a single language tag asks for, or "" if none: matched
// case-insensitively on the whole tag, then on its primary subtag (fr-CH ->
// fr). Chinese is Simplified for zh, zh-Hans* and the regions that write it
// (CN, SG, MY); zh-Hant and zh-TW, zh-HK, zh-MO get no match rather than the
// other script.
std::string_view PageLanguageOfTag(std::string_view tag);

// The page language for an Accept-Language header value: the supported
// language with the highest q-value, the header's order breaking ties; a
// range with q=0 is refused, even when a wildcard would allow it; "*" stands
// for any language not named otherwise. Malformed ranges are skipped. English
// if nothing matches (or the header is empty).
std::string_view NegotiatePageLanguage(std::string_view accept_language);

// The page language of a request: its ?lang= choice if that names a page
// language (the page's switcher sets it), else NegotiatePageLanguage.
std::string_view ChoosePageLanguage(std::string_view lang_param, std::string_view accept_language);

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_PAGE_LANGUAGE_H_
