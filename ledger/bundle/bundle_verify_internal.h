// What the bundle verifier's stages share (bundle_verify.cc: proofs and
// signatures; bundle_links.cc: what is linked to the piece; bundle_graph.cc:
// the provenance graph replayed; bundle_trade.cc: the trade rules' schemes,
// lot entries, parcels, warranties and mass-balance accounts;
// bundle_piece.cc: the piece's inputs and claims; bundle_owners.cc: the
// owners' records; bundle_heirloom.cc: heirloom intakes and the owner's
// material; bundle_timeline.cc: the readable timeline). Not part of the
// public API.
#ifndef TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_VERIFY_INTERNAL_H_
#define TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_VERIFY_INTERNAL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/keys.h"
#include "ledger/provenance/mass_balance.h"
#include "ledger/provenance/material_trace.h"
#include "ledger/provenance/parcels.h"
#include "proto/record.pb.h"
#include "proto/state.pb.h"

namespace touchstone::bundle {

// One proven entry of the bundle, decoded.
struct Item {
  uint64_t index = 0;
  EntryView view;  // points into the bundle
  v1::Record record;
  // The raw public key this record's signature was found valid under by the
  // parallel pre-check (PreverifySignatures), if any. Only a speed-up: the
  // signer checks still decide which key must have signed.
  std::optional<std::string> valid_under_key;
  // The log's policy in force at this entry (ledger/provenance/log_policy.h), as the
  // bundle's policy entries set it (AssignPolicies): points into this item's
  // record or an earlier item's; nullptr before the log's first policy.
  const v1::LogPolicy* policy = nullptr;
  // The record is sealed (Record.sealed); `opened`: the bundle carried its
  // opening, which verified, and `record` holds the opened values.
  bool sealed = false;
  bool opened = false;
  // True if the record's committed fields are hidden: every check that reads
  // one is vouched for instead (bundle_sealed.cc).
  bool Hidden() const { return sealed && !opened; }
};

// Step 2b (bundle_verify.h; bundle_auditors.cc): the bundle's audited
// checkpoint against `cp` (the bundle's verified checkpoint), the log key
// the verifier holds and the pinned auditors; fills report->auditors and
// audited_size. Errors tagged rule::kAuditors.
[[nodiscard]] absl::Status CheckAuditedCheckpoint(const v1::PieceBundle& bundle,
                                                  const NoteVerifier& log_key, const Checkpoint& cp,
                                                  const AuditorPins& pins, BundleReport* report);
// Checks every opening of `bundle` against its entry in `items` (index
// order), and puts the opened values in the item's record: FAILED_PRECONDITION
// tagged rule::kSealed for an opening out of order, twice, for an index that is
// not a sealed entry of the bundle, or that does not match its commitment
// (bundle_sealed.cc). Marks every sealed item.
[[nodiscard]] absl::Status ApplyOpenings(const v1::PieceBundle& bundle, std::vector<Item>& items);

// Sets each item's policy from the policies the items carry, in index order
// (bundle_times.cc). The items must not be moved afterwards.
void AssignPolicies(std::vector<Item>& items);

// The log policy's time rules for every item (ledger/provenance/log_policy.h): the
// history import and backdating rules (bundle_times.cc). FAILED_PRECONDITION
// naming the first entry that breaks one. The certificate part is checked with
// the graph (bundle_graph.cc).
[[nodiscard]] absl::Status CheckTimes(const std::vector<Item>& items);

// For the timeline: "recorded 45 days after its event time (an import of
// history)" if the item is an import or was recorded more than the policy's
// bound (or, before any policy, the default bound) after its event time;
// empty otherwise (bundle_times.cc).
std::string RecordedLate(const Item& item);

// The signature message of `item` for the log `origin`, in the form its policy sets.
std::string SigningMessage(const Item& item, std::string_view origin);

// Verifies every item's signature (in the form its policy sets, for the log
// `origin`), on all cores, under the key of the bundle whose fingerprint the
// record names (if the bundle holds one), and records the key in
// valid_under_key when the signature is valid.
void PreverifySignatures(std::vector<Item>& items, std::string_view origin);

// "lot_created", "transformation", ...
std::string KindOf(const v1::Record& r);
// The participant a genesis or participant record is about; null for other records.
const std::string* ParticipantTarget(const v1::Record& r);
// "entry 17 (lot_created)"
std::string Where(const Item& item);

// A participant as the bundle's own participant records make it.
struct Participant {
  struct Key {
    PublicKey key;
    uint64_t added_index = 0;
    int64_t added_micros = 0;
    std::optional<uint64_t> revoked_index;
    // Who added the key, when not the participant itself (the operator, by
    // KeyAdded): records signed with it are the participant's only on the
    // operator's word. Empty for keys the participant registered or added.
    std::string added_by;
  };
  std::string legal_name;
  std::vector<v1::Identifier> identifiers;
  std::set<v1::Role> roles;
  std::map<std::string, Key> keys;  // by key id (PublicKey::Fingerprint)
  bool suspended = false;
  uint64_t registered_index = 0;
};
using Participants = std::map<std::string, Participant>;

// Replays the participant records and checks every record's signature (for
// the log `origin`, in the form its policy sets), signer and role
// (bundle_verify.cc). `items` are in index order.
[[nodiscard]] absl::StatusOr<Participants> CheckSigners(const std::vector<Item>& items,
                                                        std::string_view origin);

// What is linked to the piece: records, and the objects they name with the
// first record that named each.
struct Links {
  std::set<uint64_t> records;
  // The piece, and every piece an heirloom intake of the bundle repurposed:
  // the bundle tells their registration and ownership story.
  std::set<std::string> pieces;
  std::map<std::string, uint64_t> lots, certificates, accounts;
  std::set<std::string> participants, schemes;
};

// A record of the piece (its registration, lifecycle, a stone replacement or
// an ownership record).
bool AboutPiece(const v1::Record& r, const std::string& piece_id);
// The piece a registration, lifecycle, stone replacement or ownership record
// is about; null for any other record.
const std::string* PieceOf(const v1::Record& r);
// True for OwnershipAccepted, OwnershipTransferred, OwnerReport, OwnerKeyReplaced.
bool IsOwnerRecord(const v1::Record& r);
// True for a record an owner key signs alone: no signer and no key id.
bool OwnerOnly(const v1::Record& r);

// Links every record to the piece and checks that everything linked records
// name is in the bundle (bundle_links.cc). FAILED_PRECONDITION naming what is
// missing, or the first record not linked to the piece.
[[nodiscard]] absl::StatusOr<Links> CheckComplete(const std::string& piece_id,
                                                  const std::vector<Item>& items,
                                                  const Participants& participants);

// Lot::in_transit_to of a lot shipped by a sealed shipment (its addressee,
// to_participant, is committed): whoever receives it under the shipment's id
// is taken on the ledger's word (vouched for).
inline constexpr std::string_view kSealedAddressee = "(its sealed addressee)";

// A lot as derived from the bundle's records.
struct Lot {
  // Material, unit, fineness (ptt), origin class, certified, stone origin,
  // graded, parcel, site, natural chain, mass-balance credit, sources and
  // alloy, as the ledger's rules keep them (ledger/provenance/material_trace.h).
  LotTrace trace;
  std::string form;
  int32_t fineness_ppt = 0;  // as stated in the legacy form (0: stated in ptt)
  int64_t quantity = 0;      // when made
  int64_t created_micros = 0;
  ParcelBalance parcel;        // a parcel (trace.stones > 0): what the bundle's draws leave
  std::string grading_report;  // certificate id, for a graded stone
  std::string custodian, in_transit_to, shipment_id;
  uint64_t created_index = 0;
  uint64_t shipped_at = 0;  // the entry of its shipment in transit
  // What the bundle's transformations and piece took of it (a lot carrying an
  // owner's material is taken whole: ledger/provenance/heirloom.h).
  int64_t taken = 0;
  // Nonzero: the entry (sealed, not opened) whose hidden values its quantity,
  // parcel count and balance and site are; checks reading them are vouched.
  uint64_t sealed_at = 0;
  // Nonzero: the sealed entry that its shares by weight (alloy, allocated
  // credit, owner's fine weight) rest on, itself or through its inputs.
  uint64_t shares_from = 0;
  // The owner's material in it (LotState 37..40).
  int64_t heirloom_fine = 0;
  std::string heirloom_owner;                 // owner key id
  std::vector<std::string> heirloom_intakes;  // sorted
  bool heirloom_mixed = false;
};

// A piece's ownership as its records, replayed in index order, make it
// (bundle_owners.cc; the ledger's rules_owners.cc).
struct OwnedPiece {
  const v1::PieceRegistered* registered = nullptr;  // points into an Item
  std::string jeweler;
  std::vector<std::string> stones;  // set in it now, and its parcel lots
  bool keyed = false;               // a sale named the buyer's key
  v1::OwnerKey owner;
  bool accepted = false;
  v1::OwnerTerms terms;
  uint64_t owner_index = 0;                             // its newest ownership record
  v1::PieceEvent status = v1::PIECE_EVENT_UNSPECIFIED;  // LOST, STOLEN or UNSPECIFIED
  uint64_t repurposed_index = 0;
  std::string repurposed_intake;
};

// An heirloom intake of the bundle.
struct Intake {
  const v1::HeirloomReceived* received = nullptr;  // points into an Item
  uint64_t index = 0;
  std::string jeweler;
};

// A registered scheme (SchemeRegistered), as the bundle registers it.
struct Scheme {
  std::string issuer;
  v1::SchemeKind kind = v1::SCHEME_KIND_UNSPECIFIED;
  std::string display_name;
  uint64_t index = 0;
};

// A mass-balance account, replayed from the bundle's records of it.
struct Account {
  const v1::CreditAccountOpened* opened = nullptr;  // points into an Item
  std::string owner;
  std::string scheme;  // its certificate's
  CreditBook book;
  uint64_t opened_index = 0;
  // Nonzero: a record of the account at this entry was sealed and not
  // opened, so its balance from there on is vouched for, not replayed.
  uint64_t sealed_at = 0;
};

// Stones a piece takes, as its claims count them.
struct PieceStone {
  std::string lot_id;
  int64_t weight = 0;  // thousandths of a carat
  int64_t stones = 0;
};

// A certificate relied on by a record, and its status at the record's event time.
struct CertificateUse {
  std::string certificate_id;
  std::string status_then;
};

// What the graph stage derives.
struct Graph {
  const v1::PieceRegistered* piece = nullptr;  // points into an Item
  uint64_t piece_index = 0;
  std::string jeweler;
  std::vector<std::string> stones;  // set in the piece now
  std::set<v1::Claim> asserted, derived;
  std::map<std::string, Lot> lots;
  std::map<std::string, v1::CertificateState> certificates;  // with every status change
  std::map<std::string, const v1::CertificateIssued*> issued;
  std::map<uint64_t, std::vector<CertificateUse>> uses;  // by record index
  std::map<std::string, Scheme> schemes;
  std::map<std::string, Account> accounts;
  std::vector<PieceStone> parcel_stones;  // whole parcels the piece took
  std::vector<std::string> metal;         // lots of the piece's metal inputs
  // What the piece's inputs support now (after any stone replacement).
  PieceClaims claims;
  // The pieces whose story the bundle tells (Links::pieces), by id.
  std::map<std::string, OwnedPiece> owned;
  std::map<std::string, Intake> intakes;  // by intake id
  // The owner's material in the piece, as its lineage gives it (checked
  // against its registration's claim); owner_key_id empty if none.
  v1::HeirloomClaim heirloom;
  // Nonzero: the sealed entry the piece's weights rest on (its own hidden
  // registration, or a lot's hidden weight or shares): its composition by
  // weight and weight-based claims are vouched for.
  uint64_t weights_from = 0;
  // Checks not done for hidden committed fields (BundleReport::vouched).
  std::vector<VouchedFact> vouched;
};

// Adds the check `what` of `item` to g.vouched (once) (bundle_sealed.cc).
void Vouch(Graph& g, const Item& item, std::string what);
// " (sealed at entry N)", or "" if `index` is `item`'s own.
std::string SealedAt(const Item& item, uint64_t index);

// FAILED_PRECONDITION "<label> rule: entry N (kind) <what>", tagged with `rule`
// (bundle_rules.h).
[[nodiscard]] absl::Status Broken(const Item& item, std::string_view rule, std::string_view label,
                                  std::string_view what);
// `s` (not OK) with "entry N (kind): " before its message, tagged with `rule`.
[[nodiscard]] absl::Status Refused(const Item& item, std::string_view rule, const absl::Status& s);
// The lot `id`; FAILED_PRECONDITION (completeness) if no earlier record created it.
[[nodiscard]] absl::StatusOr<Lot*> GetLot(Graph& g, const Item& item, const std::string& id);
// OK if the item's signer holds lot `id` and it is not in transit (custody).
[[nodiscard]] absl::Status Hold(const Item& item, const std::string& id, const Lot& lot);
// Each certificate was issued earlier in the bundle and in force when the
// record says and when it was recorded (completeness, certificates); records
// each use in g.uses.
[[nodiscard]] absl::Status Rely(Graph& g, const Item& item,
                                const google::protobuf::RepeatedPtrField<std::string>& ids);

// The trade rules' replay steps (bundle_trade.cc), each FAILED_PRECONDITION
// (or the code its shared rule gives) tagged with the rule it breaks.
// A SchemeRegistered: a valid name and kind, a certifier as issuer, once.
[[nodiscard]] absl::Status RegisterScheme(const Item& item, const Participants& participants,
                                          Graph& g);
// A CertificateIssued under the trade rules: its scheme registered earlier,
// signed by that scheme's issuer, of a kind it may issue, a document with its
// hash algorithm and media type; a parcel report agrees with its parcel.
[[nodiscard]] absl::Status CheckCertificate(const Item& item, Graph& g);
// A LotCreated under the trade rules (after Rely on its certificates): recycled
// lots certified by a scheme that backs recycled material, natural diamonds
// with a Kimberley Process certificate, coloured gemstones disclosed, parcels
// consistent.
[[nodiscard]] absl::Status CheckLotEntry(const Item& item, Graph& g);
// A CustodyShipped of `lot`: the System of Warranties statement (trade rules:
// refused without it on natural diamonds, or with it on anything else; legacy:
// its absence breaks the lot's natural chain).
[[nodiscard]] absl::Status CheckWarranty(const Item& item, Lot& lot);
// CreditAccountOpened, CreditBooked, CreditAllocated (mass-balance).
[[nodiscard]] absl::Status OpenAccount(const Item& item, Graph& g);
[[nodiscard]] absl::Status BookCredit(const Item& item, Graph& g);
[[nodiscard]] absl::Status AllocateCredit(const Item& item, Graph& g);

// A Transformation's parcel draws and parcel outputs (bundle_trade.cc). `full`:
// the transformation is in the piece's lineage (every input is in the
// bundle); otherwise it only draws from parcels of the graph and only those
// draws are replayed.
[[nodiscard]] absl::Status DrawFromParcels(const Item& item, Graph& g, bool full);

// The piece's parcel stones, material claims, hallmark and disclosure
// (bundle_piece.cc), once its graded stones and metal are taken.
[[nodiscard]] absl::Status CheckPieceTrade(const Item& item, Graph& g);
// After a stone replacement: the piece's claims recomputed, and under the
// trade rules its material claims re-checked.
[[nodiscard]] absl::Status RecheckPieceClaims(const Item& item, Graph& g);

// The owners' story (bundle_owners.cc), each FAILED_PRECONDITION or
// PERMISSION_DENIED tagged rule::kOwner (or kCompleteness, kRoles, kOnce as
// bundle_rules.h says): a registration, lifecycle or stone replacement of
// a piece whose story the bundle tells (who may record it on an owner-keyed
// or repurposed piece; a sale naming the buyer's key), or an ownership record
// (owner signature over the entry's record bytes for the log `origin`, who
// may sign, the prev_index chain, a transfer while lost or stolen).
[[nodiscard]] absl::Status PieceStory(const Item& item, const Participants& participants,
                                      std::string_view origin, Graph& g);
// The OwnedPiece `id` of g; FAILED_PRECONDITION (completeness) naming `item`
// if the bundle holds no earlier registration of it.
[[nodiscard]] absl::StatusOr<OwnedPiece*> GetOwnedPiece(Graph& g, const Item& item,
                                                        const std::string& id);
// OK if the owner signature of `item` is `key`'s over the entry's record
// bytes (OwnerSignedPart) for the log `origin`; PERMISSION_DENIED tagged
// `rule` saying what does not hold (none, another key, does not verify).
[[nodiscard]] absl::Status CheckOwnerSignature(const Item& item, const v1::OwnerKey& key,
                                               std::string_view origin, std::string_view rule,
                                               std::string_view what);

// An heirloom intake (bundle_heirloom.cc): well formed, co-signed by its owner
// key (for the log `origin`), and a repurposed piece's owner then; closes that
// piece and makes its stones the owner's. Returns the lot it makes (the
// caller adds it). Errors tagged rule::kHeirloom (kCompleteness for a piece
// the bundle does not register).
[[nodiscard]] absl::StatusOr<Lot> ReceiveHeirloom(const Item& item, std::string_view origin,
                                                  Graph& g);
// A lot and how much of it a transformation or piece takes.
struct TakenLot {
  Lot* lot = nullptr;
  int64_t quantity = 0;
};
// The owner's material through a transformation in the piece's lineage
// (CombineHeirloomInputs, CheckHeirloomOutputs): sets each of `made`'s
// heirloom fields. FAILED_PRECONDITION tagged rule::kHeirloom.
[[nodiscard]] absl::Status FlowHeirloom(const Item& item, const std::vector<TakenLot>& same,
                                        const std::vector<TakenLot>& alloying,
                                        std::vector<Lot>& made);
// The piece's heirloom claim against what its lineage gives
// (ComputeHeirloomClaim, CheckHeirloomClaim); sets g.heirloom. Called once
// its stones, parcels and metal are taken. FAILED_PRECONDITION tagged
// rule::kHeirloom.
[[nodiscard]] absl::Status CheckPieceHeirloom(const Item& item, Graph& g);

// Checks the graph's completeness, custody, certificates, claims, owners and
// the owner's material (bundle_graph.cc); owner signatures for the log `origin`.
[[nodiscard]] absl::StatusOr<Graph> CheckGraph(const std::string& piece_id,
                                               const std::vector<Item>& items,
                                               const Participants& participants,
                                               std::string_view origin);

// Words for the timeline and the report (bundle_trade_text.cc).
// "ORIGIN_CLASS_RECYCLED_POST_CONSUMER", 13 -> "recycled post-consumer"
std::string EnumText(const std::string& name, size_t prefix);
// "Greenloop Metals Recovery Ltd (d1-recycler)", or "'id'" if not registered.
std::string ParticipantName(const Participants& participants, const std::string& id);
// "d1-melt-1 (gold bar @651, recycled post-consumer)" for a lot stated in the
// legacy form; "m-1 (gold grain 750 (18k), recycled post-consumer)", "p-1
// (diamond melee, parcel of 100 stones, lab-grown)" under the trade rules; the
// id alone for a lot the graph does not hold.
std::string LotDescription(const Graph& g, const std::string& id);
// "site S, 2026-10-01 to 2027-01-01" for account `id` ("account <id>" if the
// bundle does not open it).
std::string AccountText(const Graph& g, const std::string& id);
// The timeline's description of a scheme registration, an account's opening,
// a booking or an allocation; "" for any other record.
std::string DescribeTradeRecord(const Item& item, const Participants& participants, const Graph& g);
// Fills report->material_claims and report->composition from the graph.
void DescribeMaterialClaims(const Graph& g, BundleReport* report);

// Fills report->owner, repurposed_*, heirloom, heirloom_text and intakes
// from the graph (bundle_heirloom.cc).
void DescribeOwners(const Graph& g, BundleReport* report);
// "fire assay", "XRF" (bundle_heirloom.cc).
std::string IntakeAssayText(v1::AssayMethod m);

// Fills report->timeline and report->warnings (bundle_timeline.cc).
void BuildTimeline(const std::vector<Item>& items, const Participants& participants,
                   const Graph& graph, int64_t now_micros, BundleReport* report);

}  // namespace touchstone::bundle

#endif  // TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_VERIFY_INTERNAL_H_
