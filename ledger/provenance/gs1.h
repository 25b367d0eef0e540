// GS1 identification of a piece: the GTIN (Global Trade Item Number) with its
// check digit, the serial of GS1 Application Identifier (21), and the GS1
// Digital Link URI path that carries both ("/01/<gtin>/21/<serial>", GS1
// Digital Link standard 1.2, section 4). Storage-free; thread-safe (pure).
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_GS1_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_GS1_H_

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace touchstone {

// The GTIN-14 form of a GTIN-8, -12, -13 or -14 (leading zeros added), after
// checking its digits and its GS1 check digit (the last digit: mod 10 of the
// others weighted 3,1,3,... from the right). INVALID_ARGUMENT, saying why, otherwise.
[[nodiscard]] absl::StatusOr<std::string> Gtin14(std::string_view gtin);

// True if `gtin` is already a GTIN-14 with a valid check digit: what a record holds.
bool IsCanonicalGtin14(std::string_view gtin);

// OK if `serial` is 1 to 20 characters of AI (21)'s set (GS1 General
// Specifications, figure 7.11-1: A-Z a-z 0-9 and ! " % & ' ( ) * + , - . / : ; < = > ? _),
// INVALID_ARGUMENT naming the first character outside it otherwise.
[[nodiscard]] absl::Status CheckGs1Serial(std::string_view serial);

// The GTIN-14 and serial of a GS1 Digital Link URI: "https://<host>/01/<gtin>/21/<serial>"
// (any scheme and host, any path before "/01/", a query or fragment ignored; the
// serial percent-decoded). INVALID_ARGUMENT if it carries no GTIN and serial or
// either is malformed.
[[nodiscard]] absl::StatusOr<std::pair<std::string, std::string>> ParseDigitalLink(
    std::string_view uri);

// "/01/<gtin14>/21/<serial percent-encoded>": the path a Digital Link URI of the
// piece ends with (the HTTP port resolves it; services/http_server.cc).
std::string DigitalLinkPath(std::string_view gtin14, std::string_view serial);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_GS1_H_
