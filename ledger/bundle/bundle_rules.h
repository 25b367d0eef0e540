// The rules a bundle verifier enforces, by name: one vocabulary for the C++
// verifier (bundle_verify.cc, bundle_links.cc, bundle_graph.cc), the page's
// verifier (services/web/verify.js, whose `check` is the same name) and the
// conformance corpus of forged bundles (tests/conformance/), which both
// verifiers must refuse for the same rule.
//
// A C++ verification failure carries its rule as a Status payload under
// kRulePayloadUrl (the message stays for people); RuleOf reads it back.
#ifndef TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_RULES_H_
#define TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_RULES_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/cord.h"

namespace touchstone::rule {

inline constexpr std::string_view kPayloadUrl = "touchstone.v1/bundle-rule";

// The bundle names its format "touchstone-bundle/v1".
inline constexpr std::string_view kFormat = "format";
// The bundle is about the piece the verifier asked for.
inline constexpr std::string_view kPiece = "piece";
// The checkpoint is signed by the log's key (following key handovers).
inline constexpr std::string_view kCheckpoint = "checkpoint";
// Enough pinned witnesses cosigned the checkpoint, each validly.
inline constexpr std::string_view kWitnesses = "witnesses";
// The bundle's audited checkpoint (PieceBundle.audited_checkpoint) is signed
// by the log's key in force at its size, its consistency proof leads to the
// bundle's checkpoint, every pinned auditor's cosignature on it verifies and
// enough of them are there (ledger/log/audit_note.h).
inline constexpr std::string_view kAuditors = "auditors";
// Entries in strictly increasing index order, well formed, naming their index.
inline constexpr std::string_view kEntries = "entries";
// Every entry's inclusion proof leads to the checkpoint's root.
inline constexpr std::string_view kInclusion = "inclusion";
// Consecutive entries chain by their previous-leaf hash.
inline constexpr std::string_view kChain = "chain";
// Every record is canonically encoded (ledger/provenance/canonical.h).
inline constexpr std::string_view kEncoding = "encoding";
// Every record is signed by a key its signer held, unrevoked, when it was written.
inline constexpr std::string_view kSignature = "signature";
// The signer held a role that may write the record and was not suspended;
// keys, certificate statuses, piece records and error declarations only by
// whom may change them.
inline constexpr std::string_view kRoles = "roles";
// A participant, lot, certificate or piece is created once.
inline constexpr std::string_view kOnce = "once";
// The log policy in force at an entry allows its date and any import mark
// (ledger/provenance/log_policy.h: the backdating and history import rules).
inline constexpr std::string_view kTime = "time";
// Everything a record names is in the bundle, and every record is linked to the piece.
inline constexpr std::string_view kCompleteness = "completeness";
// Only a lot's holder ships, transforms or sets it, never in transit; only the addressee receives.
inline constexpr std::string_view kCustody = "custody";
// A certificate a record relies on was in force when the record says and when it was recorded.
inline constexpr std::string_view kCertificates = "certificates";
// A grading report agrees with its stone's origin class.
inline constexpr std::string_view kOrigin = "origin";
// A transformation takes its material; a piece takes graded stones and metal by weight.
inline constexpr std::string_view kMaterial = "material";
// Every claim the piece makes follows from its inputs: the legacy claims
// (ledger/provenance/claims.h; refused under the trade rules) and the material
// claims (ledger/provenance/material_trace.h CheckMaterialClaims), also after a
// stone replacement under the trade rules.
inline constexpr std::string_view kClaims = "claims";

// The trade rules (LogPolicy.rules_version 2, ledger/provenance/log_policy.h).
// Under them a recycled lot enters citing a certificate of a registered scheme
// whose kind backs recycled material (ledger/provenance/schemes.h BacksRecycled),
// and a certificate with a document names its hash algorithm "sha-256" and its
// media type: both are broken as kCertificates.

// A scheme is registered once, by the operator, naming a certifier as its
// issuer, with a valid name and a kind; under the trade rules a certificate is
// signed by its scheme's registered issuer and is of a kind that scheme may
// issue (CheckSchemeMayIssue). A certificate whose scheme no earlier record of
// the bundle registers breaks kCompleteness.
inline constexpr std::string_view kScheme = "scheme";
// Stone parcels (ledger/provenance/parcels.h): a new parcel is consistent
// (CheckNewParcel; carats, fineness 10000); every draw from a parcel, replayed
// in index order from its creation (DrawFromParcel), states the true
// remainder, so a missing, misstated or excess draw does not add up; a
// non-parcel input states no draw; parcel outputs come only from parcel draws
// split or merged stone for stone, or from cutting rough; a piece takes a
// parcel whole (its whole remaining count, some weight left).
inline constexpr std::string_view kParcel = "parcel";
// Mass-balance accounts (ledger/provenance/mass_balance.h): an account is
// opened once with a site, a material, the recycled attribute, a period, and a
// certificate of a chain-of-custody scheme about its owner or its site; only
// its owner books and allocates, within its period; its records, replayed
// from the opening (ApplyCredit), are numbered 1..k with none missing, each
// states the true balance, and no allocation spends more than the balance; a
// booked lot is certified recycled material of the account's material, not a
// parcel, booked once and for at most its fine weight; an allocation goes to a
// lot of the account's material made at the account's site within its
// period, once, for at most its fine weight.
inline constexpr std::string_view kMassBalance = "mass-balance";
// Natural diamonds carry the trade's paperwork (ledger/provenance/disclosure.h):
// natural rough enters citing a Kimberley Process certificate that covers its
// weight, every shipment of natural diamonds carries the System of Warranties
// statement word for word, and no other shipment carries one.
inline constexpr std::string_view kWarranty = "warranty";
// A piece's hallmark is a fineness mark (HallmarkFinenessPtt, fineness.h), the
// piece has metal, and the mark is no finer than its lowest metal fineness.
inline constexpr std::string_view kHallmark = "hallmark";
// A piece with a lab-grown stone says so in its description
// (HasLabGrownQualifier); a coloured gemstone lot discloses its species and
// treatment (CheckGemstoneDisclosure).
inline constexpr std::string_view kDisclosure = "disclosure";

// Owners who hold their own keys (ledger/provenance/owner_signature.h): every
// owner-only record (no signer, an empty entry signature) carries a valid
// owner signature, and only an owner key or a participant signs what it may
// (the owner key the sale, transfers and key replacements make current; the
// recovery key, recovery agent and insurer the owner's terms name); a
// participant's record carries an owner signature only if it is an heirloom
// intake or a repair; the piece's ownership records chain by prev_index with
// none missing; a piece reported lost or stolen is not transferred; a sold
// piece's jeweler records only repairs.
inline constexpr std::string_view kOwner = "owner";
// The owner's material (ledger/provenance/heirloom.h): an heirloom intake is
// well formed and co-signed by its owner key, which (for a repurposed piece)
// was that piece's owner then; the owner's fine weight follows every
// transformation (CombineHeirloomInputs / CheckHeirloomOutputs) and the
// piece's heirloom claim is what its lineage gives (ComputeHeirloomClaim /
// CheckHeirloomClaim).
inline constexpr std::string_view kHeirloom = "heirloom";

// Committed fields (ledger/provenance/commitments.h; issue 16): every opening
// the bundle carries (PieceBundle.openings) is for a sealed entry of the
// bundle, once, and matches its commitment (OpenRecord); its values are then
// the record's. A sealed record without an opening is checked for everything
// but what reads its committed fields, which the report lists as vouched.
inline constexpr std::string_view kSealed = "sealed";

// `s` with its rule attached (OK stays OK).
[[nodiscard]] inline absl::Status Tag(std::string_view rule, absl::Status s) {
  if (!s.ok()) {
    s.SetPayload(absl::string_view(kPayloadUrl.data(), kPayloadUrl.size()),
                 absl::Cord(absl::string_view(rule.data(), rule.size())));
  }
  return s;
}

// The rule a verification failure broke; "" if none is attached.
inline std::string RuleOf(const absl::Status& s) {
  auto p = s.GetPayload(absl::string_view(kPayloadUrl.data(), kPayloadUrl.size()));
  return p ? std::string(*p) : std::string();
}

}  // namespace touchstone::rule

#endif  // TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_RULES_H_
