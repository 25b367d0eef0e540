// Offline verification of a piece's provenance bundle (proto/bundle.proto):
// what a customer runs with nothing but the log's verifier key.
//
// VerifyPieceBundle checks, in this order, and stops at the first failure
// (each failure carries the rule it broke, ledger/bundle/bundle_rules.h; the page's
// verifier, services/web/verify.js, makes the same checks in the same order):
//  1. the format string is "touchstone-bundle/v1", and the bundle is about
//     `expected_piece` when one is given;
//  2. the checkpoint is a note signed by `log_key`, or by the key that the
//     bundle's checkpoint key handovers lead to from it (ledger/provenance/key_handover.h;
//     a bundle holds every handover below its checkpoint's size), every
//     cosignature by one of `witnesses` valid, and at least `quorum` of them
//     there (c2sp.org/tlog-cosignature), counted by distinct key (one key under
//     two names is one witness);
//  2b. auditors (bundle_rules.h kAuditors; ledger/log/audit_note.h): a bundle's
//     audited checkpoint, if it carries one, is a checkpoint of the same log
//     at a size no larger than the bundle's, signed by the log's key in force
//     at its size, and its consistency proof leads from it to the bundle's
//     checkpoint; the pinned auditors' cosignature lines on it verify, and at
//     least `auditors.quorum` of them are there (distinct keys); with
//     `auditors.required`, a bundle without one is refused. The auditors who
//     cosigned and the size are reported (BundleReport::auditors,
//     audited_size): what they vouch for (facts the bundle cannot show, e.g.
//     the mass balance of a sealed record) covers entries below that size;
//  3. entries: indices strictly increase; each tlog_proof parses, holds the
//     bundle's checkpoint byte for byte and the entry's index, and proves the
//     entry bytes are in the log; the bytes decode, name the same index, chain to
//     an adjacent predecessor, and hold a canonically encoded record
//     (ledger/provenance/canonical.h);
//  4. signatures: replaying the bundle's own genesis / ParticipantRegistered /
//     KeyAdded / KeyRevoked / RoleGranted / suspension records in index order,
//     each record is signed by a key of its signer added before it and not
//     revoked before it, by a signer not suspended, holding a role that may
//     write it; the signature is in the form the log's policy in force at the
//     entry sets, for the checkpoint's origin (ledger/provenance/record.h; the policy from
//     the bundle's genesis and LogPolicy entries: a bundle holds every
//     LogPolicy entry below its checkpoint's size);
//  4b. times (ledger/provenance/log_policy.h): no record is dated further before its
//     recording than the policy in force allows, and only allowed imports of
//     history are marked as such;
//  5. the graph: the piece's PieceRegistered is there; every lot the piece, a
//     StoneReplaced or a transformation names has its creating record; every
//     certificate cited and every stone's grading report is there, in force at
//     the citing record's event time and, under a policy and unless the record
//     is an import, when it was recorded; every record
//     is linked to the piece (an unlinked record means a linking one is missing);
//     custody passes from custodian to custodian as the records say;
//  6. origin classes are re-derived through the transformations (ledger/provenance/origin.h)
//     and every claim the piece asserts must follow from them: each lot's trace
//     (ledger/provenance/material_trace.h) is rebuilt, and the piece's material
//     claims are checked against ComputePieceClaims;
//  7. under the trade rules (ledger/provenance/log_policy.h TradeRules of the
//     entry's policy; bundle_rules.h names each rule): a certificate's scheme is
//     registered earlier in the bundle and its issuer signs it; recycled lots
//     enter certified by a scheme that backs recycled material; natural rough
//     enters with a Kimberley Process certificate and every shipment of natural
//     diamonds carries the System of Warranties statement; parcels add up over
//     every draw from their creation (parcels.h); mass-balance accounts replay
//     from their opening over records 1..k with none missing (mass_balance.h);
//     a piece takes parcels whole, its hallmark is no finer than its metal and a
//     lab-grown piece says so (fineness.h, disclosure.h). Scheme registrations,
//     accounts and material claims are checked under every version (their
//     records and fields are new); the rest only under the trade rules.
//  8. owners and heirlooms (bundle_rules.h kOwner, kHeirloom; issue 15): a
//     record an owner key signs alone has an empty entry signature and a valid
//     owner signature (ledger/provenance/owner_signature.h, Ed25519 or a
//     passkey) by the key that may sign it, replayed from the sale naming the
//     buyer's key through acceptances, transfers, reports and key
//     replacements (the owner's terms name the recovery key, recovery agent
//     and insurer); every ownership record names the piece's newest one
//     (prev_index), so one missing from the middle of the chain is seen; no
//     transfer while reported lost or stolen; an heirloom intake is co-signed
//     by its owner key, which owned the piece it repurposes then (the bundle
//     holds that piece's registration and ownership records); the owner's
//     fine weight follows every transformation and the piece's heirloom claim
//     is what its lineage gives (ledger/provenance/heirloom.h).
//  3b. openings (issue 16; ledger/provenance/commitments.h): every opening
//     the bundle carries is for a sealed entry of the bundle, in increasing
//     index order, each once, and matches its commitment (OpenRecord); from
//     then on the opened record is the one checked (the signature stays over
//     the entry's public bytes). A sealed record without an opening is
//     checked for all the rest (its signature, inclusion, roles, custody
//     order, origin classes, certificates, claims), but no check reads its
//     committed fields as zeros: each check that needs one (a lot's weight,
//     a shipment's addressee, a booking's fine weight, a piece's composition
//     by weight ...) is not done and is named in BundleReport::vouched
//     instead: the ledger checked it on the opened record, and auditors who
//     read openings can re-check it (rule kSealed for a bad opening).
// What the trade rules' replay cannot see: a lot's remaining balance (a bundle
// holds only the transformations that lead to the piece), so a booking is
// checked against the booked lot's fine weight as made, not its remainder;
// report and inscription numbers unique per laboratory, which needs the whole
// log.
// Errors (the message names the entry index and what is wrong):
//   INVALID_ARGUMENT    format, malformed proof, entries out of order, bad quorum
//   PERMISSION_DENIED   checkpoint or record signature, revoked key, role, witnesses
//   DATA_LOSS           an entry's bytes or proof do not match the signed log
//   FAILED_PRECONDITION the graph is incomplete or a provenance or time rule is broken
//
// What it cannot see: a record that nothing else in the bundle refers to (a
// certificate's status change, a piece's lifecycle event, a key revocation) can
// be left out of a bundle without a trace (so can the newest ownership
// record of a piece: the report shows the owner "as of the bundle"); the bundle format carries no
// commitment to the set of records about an object. Such statuses are reported
// "as of the bundle". A LogPolicy entry left out makes the verifier check the
// entries after it under the policy before it: origin-bound signatures then
// fail (so leaving out the first policy cannot pass), and a later change of
// the bound or of imports is not seen.
#ifndef TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_VERIFY_H_
#define TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_VERIFY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/hash.h"
#include "ledger/log/note.h"
#include "ledger/provenance/material_trace.h"
#include "proto/bundle.pb.h"
#include "proto/record.pb.h"

namespace touchstone {

// The format string of a bundle (PieceBundle.format), which the builder writes
// and the verifier requires.
inline constexpr char kBundleFormat[] = "touchstone-bundle/v1";

// One record of the bundle as a customer reads it. Value type.
struct TimelineEntry {
  uint64_t index = 0;
  int64_t event_time_micros = 0;
  // When the log recorded it (the entry's recorded_at: server time).
  int64_t recorded_at_micros = 0;
  // Set when the event time is far before the recording: "recorded 40 days
  // after its event time (an import of history)"; empty otherwise.
  std::string recorded_late;
  std::string signer;       // participant id
  std::string signer_name;  // legal name, as registered in the bundle
  std::string kind;         // the record's body field, e.g. "lot_created"
  // Who did what, where, with which certificate, in plain English.
  std::string description;
  // Each certificate the record relies on, its status then (at the record's
  // event time) and now: "d1-report-2 (grading-report): valid then; revoked now (entry 45)".
  std::vector<std::string> certificates;
  // Error declarations marking this record wrong:
  // "declared wrong by entry 48: <reason>; entry 47 replaces it".
  std::vector<std::string> declared_wrong;
  // Set when the record is signed with a key someone else (the operator) added
  // for its signer: "signed with key K, which 'op' added for 'x' at entry N".
  std::string key_added_by_other;
};

// A material claim the piece registered, verified against the records, as a
// customer reads it. Value type.
struct MaterialClaimLine {
  v1::MaterialClaim claim;
  // MaterialClaimText (ledger/provenance/material_trace.h): "recycled gold,
  // segregated, 100% (scs-recycled)"; a mass-balance claim names its account's
  // site and period: "gold 62% recycled, mass balance, site S, 2026-10-01 to
  // 2027-01-01 (rjc-coc)".
  std::string text;
};

// The piece's owner as the bundle's ownership records make it: a key, never a
// name (ledger/provenance/owner_signature.h). Value type.
struct OwnerLine {
  std::string key_id;           // OwnerKeyId
  std::string kind;             // "ed25519" or "passkey"
  bool accepted = false;        // the key took ownership (OwnershipAccepted)
  std::string status;           // "lost", "stolen" or "none"
  std::string recovery_key_id;  // the owner's terms; each empty if not set
  std::string recovery_agent;   // participant id
  std::string insurer;          // participant id
  uint64_t since_index = 0;     // the piece's newest ownership record
};

// An heirloom intake (HeirloomReceived) of the bundle: the owner's old
// jewelry as received. Value type.
struct IntakeStory {
  std::string intake_id;
  uint64_t index = 0;
  std::string jeweler;  // participant id of the signer
  std::string description;
  std::vector<std::string> photo_sha256_hex;
  int64_t gross_weight_mg = 0;
  int64_t metal_mg = 0;
  std::string material;
  int32_t fineness_ptt = 0;
  std::string assay_method;  // "fire assay", "XRF"
  std::string owner_key_id;
  std::string lot_id;
  std::string repurposed_piece_id;           // empty if none
  std::string repurposed_piece_description;  // as that piece's registration says
};

// A check the verifier could not do alone, because it reads a committed field
// of a sealed record the bundle carries no opening for: the ledger checked it
// on the opened record and an auditor with openings vouches for it. Value type.
struct VouchedFact {
  uint64_t index = 0;  // the entry whose check was not done
  std::string kind;    // its record kind, e.g. "transformation"
  // Which check, in words: "the owner's material through transformation 't1'",
  // "shipment 's1' is addressed to its receiver 'jeweler'"; a check made at
  // one entry on values another sealed entry hides names that entry
  // ("... (sealed at entry 17)").
  std::string what;
  bool operator==(const VouchedFact&) const = default;
};

// What a verified bundle shows. Value type.
struct BundleReport {
  std::string piece_id;
  std::string piece_description;
  std::string jeweler;              // participant id of the piece's registrant
  std::vector<std::string> stones;  // stone lots set in the piece now
  std::string origin;               // the checkpoint's
  uint64_t tree_size = 0;
  Hash root{};
  std::string log_key_name;
  // The key that signed the checkpoint: the key given, or the one the bundle's
  // checkpoint key handovers lead to from it (ledger/provenance/key_handover.h).
  std::string checkpoint_key;
  size_t witness_cosignatures = 0;         // verified, when a quorum was asked for
  std::vector<v1::Claim> asserted_claims;  // as registered
  std::vector<v1::Claim> derived_claims;   // from the records, after any stone replacement
  // The piece's material claims as registered (each holds: the verifier
  // refuses one the records do not support), in the order registered.
  std::vector<MaterialClaimLine> material_claims;
  // What the piece is made of, from the records (ComputePieceClaims): each
  // metal's weight and share of the metal (an alloy's other metals as its
  // records state them), then each stone material's weight and count.
  std::vector<MaterialShare> composition;
  std::vector<TimelineEntry> timeline;  // one entry per record, in index order
  // Certificates relied on that are suspended or revoked now, records declared wrong.
  std::vector<std::string> warnings;
  // Owners (set once a sale named the buyer's key): the owner now.
  std::optional<OwnerLine> owner;
  // Set if an heirloom intake closed this piece (it was repurposed).
  uint64_t repurposed_index = 0;
  std::string repurposed_intake;
  // The owner's material in the piece (checked against its lineage;
  // owner_key_id empty if none) and its words (HeirloomClaimText).
  v1::HeirloomClaim heirloom;
  std::string heirloom_text;
  // Every heirloom intake of the bundle, in index order.
  std::vector<IntakeStory> intakes;
  // Openings the bundle carries that verified (entry indices, increasing).
  std::vector<uint64_t> opened;
  // Entries that are sealed and not opened by the bundle (increasing).
  std::vector<uint64_t> sealed;
  // What this verifier did not check alone (see VouchedFact), in the order
  // the replay met it; empty when every record is public or opened.
  std::vector<VouchedFact> vouched;
  // The pinned auditors whose cosignature on the bundle's audited checkpoint
  // verified (one name per key, in the order pinned), and that checkpoint's
  // size: they re-checked every rule of entries [0, audited_size) on opened
  // records (AuditorsText, ledger/log/audit_note.h). Empty / 0: none.
  std::vector<std::string> auditors;
  uint64_t audited_size = 0;
};

// The auditor keys a verifier pins (step 2b). Value type.
struct AuditorPins {
  // cosignature/v1 verifier keys of the auditors trusted. Default: none.
  std::vector<NoteVerifier> keys;
  // How many of them (distinct keys) must have cosigned the audited
  // checkpoint. 0 = all of them. Default: 0.
  size_t quorum = 0;
  // Refuse a bundle that carries no audited checkpoint; otherwise such a
  // bundle verifies with no auditors reported. Default: false.
  bool required = false;
};

// Verifies `bundle` offline. See the file comment for the checks and errors.
// Certificate statuses "now" use the local clock and every status record in the bundle.
[[nodiscard]] absl::StatusOr<BundleReport> VerifyPieceBundle(
    const v1::PieceBundle& bundle, const NoteVerifier& log_key,
    const std::vector<NoteVerifier>& witnesses = {}, size_t quorum = 0,
    std::string_view expected_piece = {}, const AuditorPins& auditors = {});

// The bundle's checkpoint, verified with `log_key` or with the key that the
// bundle's checkpoint key handover entries lead to from it (step 2 above,
// without witnesses), and that key. Errors as VerifyCheckpointWithHandovers
// (ledger/provenance/key_handover.h).
[[nodiscard]] absl::StatusOr<std::pair<Checkpoint, NoteVerifier>> VerifyBundleCheckpoint(
    const v1::PieceBundle& bundle, const NoteVerifier& log_key);

// "recycled metal", "lab-grown diamonds", "natural diamonds", "certified chain".
std::string ClaimText(v1::Claim claim);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_VERIFY_H_
