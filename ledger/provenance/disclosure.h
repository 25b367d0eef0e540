// What the trade must disclose, as the trade rules check it (rules version 2):
// the System of Warranties statement on every sale of natural diamonds, the
// qualifier a lab-grown stone's description needs (US FTC Jewelry Guides,
// 16 CFR 23.12), and a coloured gemstone's treatment. One definition shared by
// the rules and the offline bundle verifier; services/web/verify.js mirrors it
// (the generated tables carry kSystemOfWarranties and the qualifiers).
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_DISCLOSURE_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_DISCLOSURE_H_

#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "proto/record.pb.h"

namespace touchstone {

// The World Diamond Council's System of Warranties statement, word for word: a
// CustodyShipped of natural diamonds carries exactly this text.
inline constexpr std::string_view kSystemOfWarranties =
    "The diamonds herein invoiced have been purchased from legitimate sources not involved in "
    "funding conflict and in compliance with United Nations Resolutions and corresponding "
    "national laws. The seller hereby guarantees that these diamonds are conflict free and "
    "confirms adherence to the WDC SoW Guidelines.";

// Words that qualify a lab-grown stone, matched case-insensitively as whole
// words in a description; "<name>-created" (a manufacturer's name) qualifies too.
// "cultured" alone does not.
std::span<const std::string_view> LabGrownQualifiers();

// True if `description` carries a lab-grown qualifier (see LabGrownQualifiers).
bool HasLabGrownQualifier(std::string_view description);

// True if a lot of `material` in carats is a diamond (natural or lab-grown),
// as opposed to a coloured gemstone.
bool IsDiamond(std::string_view material);

// True if shipping a lot with these traits needs the System of Warranties
// statement: a natural diamond (mined origin, material diamond).
bool NeedsWarranty(std::string_view material, v1::OriginClass origin);

// A coloured gemstone lot's disclosure (LotCreated.gemstone): species and
// treatment ("none" if untreated) present; INVALID_ARGUMENT otherwise. A
// diamond or metal lot must not carry one.
[[nodiscard]] absl::Status CheckGemstoneDisclosure(const v1::LotCreated& lot);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_DISCLOSURE_H_
