// What the bundle verifier's stages share (bundle_verify.cc: proofs and
// signatures; bundle_graph.cc: the provenance graph and claims;
// bundle_timeline.cc: the readable timeline). Not part of the public API.
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
};

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
  std::map<std::string, uint64_t> lots, certificates;
  std::set<std::string> participants;
};

// A record of the piece (its registration, lifecycle or a stone replacement).
bool AboutPiece(const v1::Record& r, const std::string& piece_id);

// Links every record to the piece and checks that everything linked records
// name is in the bundle (bundle_links.cc). FAILED_PRECONDITION naming what is
// missing, or the first record not linked to the piece.
[[nodiscard]] absl::StatusOr<Links> CheckComplete(const std::string& piece_id,
                                                  const std::vector<Item>& items,
                                                  const Participants& participants);

// A lot as derived from the bundle's records.
struct Lot {
  std::string material, form;
  v1::Unit unit = v1::UNIT_UNSPECIFIED;
  int32_t fineness_ppt = 0;
  v1::OriginClass origin = v1::ORIGIN_CLASS_UNSPECIFIED;
  bool certified = false;
  v1::StoneOrigin stone_origin = v1::STONE_ORIGIN_UNSPECIFIED;
  std::string grading_report;  // certificate id, for a graded stone
  std::string custodian, in_transit_to, shipment_id;
  uint64_t created_index = 0;
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
};

// Checks the graph's completeness, custody, certificates and claims (bundle_graph.cc).
[[nodiscard]] absl::StatusOr<Graph> CheckGraph(const std::string& piece_id,
                                               const std::vector<Item>& items,
                                               const Participants& participants);

// Fills report->timeline and report->warnings (bundle_timeline.cc).
void BuildTimeline(const std::vector<Item>& items, const Participants& participants,
                   const Graph& graph, int64_t now_micros, BundleReport* report);

}  // namespace touchstone::bundle

#endif  // TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_VERIFY_INTERNAL_H_
