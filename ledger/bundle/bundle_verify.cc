// Offline bundle verification: format, checkpoint and witnesses, every entry's
// inclusion proof, and every record's signature against the keys the bundle's
// own participant records register. The graph and the claims are checked in
// bundle_graph.cc, the timeline is written in bundle_timeline.cc.
#include "ledger/bundle/bundle_verify.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/cosignature.h"
#include "ledger/log/merkle.h"
#include "ledger/provenance/key_handover.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/writer_roles.h"

namespace touchstone {
namespace bundle {
namespace {

[[nodiscard]] absl::Status Register(const Item& item, const v1::ParticipantRegistered& reg,
                                    Participants& participants) {
  if (participants.count(reg.participant_id())) {
    return rule::Tag(rule::kOnce, absl::FailedPreconditionError(absl::StrCat(
                                      Where(item), " registers '", reg.participant_id(),
                                      "', registered before in the bundle")));
  }
  Participant p;
  p.legal_name = reg.legal_name();
  p.identifiers.assign(reg.identifiers().begin(), reg.identifiers().end());
  for (int role : reg.roles()) p.roles.insert(static_cast<v1::Role>(role));
  p.registered_index = item.index;
  for (const v1::PublicKey& k : reg.keys()) {
    absl::StatusOr<PublicKey> key = PublicKey::FromRaw(k.ed25519());
    if (!key.ok()) {
      return rule::Tag(rule::kSignature, absl::FailedPreconditionError(
                                             absl::StrCat(Where(item), " registers a bad key")));
    }
    p.keys.emplace(key->Fingerprint(),
                   Participant::Key{*key, item.index, item.record.event_time_micros(), {}, {}});
  }
  participants.emplace(reg.participant_id(), std::move(p));
  return absl::OkStatus();
}

// Applies a participant record after its signature checked out.
[[nodiscard]] absl::Status ApplyParticipantRecord(const Item& item, Participants& participants) {
  const v1::Record& r = item.record;
  if (r.has_participant_registered())
    return Register(item, r.participant_registered(), participants);
  const std::string* target = ParticipantTarget(r);
  if (target == nullptr) return absl::OkStatus();
  auto it = participants.find(*target);
  if (it == participants.end()) {
    return rule::Tag(rule::kCompleteness, absl::FailedPreconditionError(absl::StrCat(
                                              Where(item), " is about participant '", *target,
                                              "', who is not registered in the bundle")));
  }
  Participant& p = it->second;
  switch (r.body_case()) {
    case v1::Record::kKeyAdded: {
      absl::StatusOr<PublicKey> key = PublicKey::FromRaw(r.key_added().key().ed25519());
      if (!key.ok())
        return rule::Tag(rule::kSignature, absl::FailedPreconditionError(
                                               absl::StrCat(Where(item), " adds a bad key")));
      p.keys.emplace(key->Fingerprint(), Participant::Key{*key,
                                                          item.index,
                                                          r.event_time_micros(),
                                                          {},
                                                          r.signer() == *target ? "" : r.signer()});
      break;
    }
    case v1::Record::kKeyRevoked: {
      auto k = p.keys.find(r.key_revoked().key_id());
      if (k == p.keys.end()) {
        return rule::Tag(rule::kCompleteness,
                         absl::FailedPreconditionError(
                             absl::StrCat(Where(item), " revokes key ", r.key_revoked().key_id(),
                                          " of '", *target, "', which the bundle never adds")));
      }
      if (!k->second.revoked_index) k->second.revoked_index = item.index;
      break;
    }
    case v1::Record::kRoleGranted:
      p.roles.insert(r.role_granted().role());
      break;
    case v1::Record::kOperatorKeyRotated: {
      // The signing key hands over to the new one (ledger/provenance/key_handover.h).
      absl::StatusOr<PublicKey> key =
          PublicKey::FromRaw(r.operator_key_rotated().new_key().ed25519());
      if (!key.ok())
        return rule::Tag(rule::kSignature, absl::FailedPreconditionError(
                                               absl::StrCat(Where(item), " names a bad key")));
      if (auto old = p.keys.find(r.key_id()); old != p.keys.end() && !old->second.revoked_index) {
        old->second.revoked_index = item.index;
      }
      p.keys.emplace(key->Fingerprint(),
                     Participant::Key{*key, item.index, r.event_time_micros(), {}, {}});
      break;
    }
    case v1::Record::kParticipantSuspended:
      p.suspended = true;
      break;
    case v1::Record::kParticipantReinstated:
      p.suspended = false;
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

// An owner-only record (no signer, no key id): one of the ownership records,
// with an empty entry signature and an owner signature (which the owners'
// replay, bundle_owners.cc, checks against the key that may sign it). A
// participant's record carries an owner signature only if it is an heirloom
// intake or a repair.
[[nodiscard]] absl::Status CheckOwnerForm(const Item& item) {
  const v1::Record& r = item.record;
  if (!OwnerOnly(r)) {
    const bool may_carry =
        r.has_heirloom_received() ||
        (r.has_piece_lifecycle() && r.piece_lifecycle().event() == v1::PIECE_EVENT_REPAIRED);
    if (r.has_owner_signature() && !may_carry) {
      return rule::Tag(rule::kOwner, absl::InvalidArgumentError(absl::StrCat(
                                         Where(item), ": owner_signature: a ", KindOf(r),
                                         " record carries no owner signature")));
    }
    return absl::OkStatus();
  }
  if (!IsOwnerRecord(r)) {
    return rule::Tag(rule::kSignature,
                     absl::FailedPreconditionError(
                         absl::StrCat(Where(item),
                                      " names no signer; only an ownership record is signed by "
                                      "an owner key alone")));
  }
  if (!item.view.signature.empty()) {
    return rule::Tag(rule::kOwner, absl::InvalidArgumentError(
                                       absl::StrCat(Where(item),
                                                    " is signed by an owner key alone, yet its "
                                                    "entry carries a participant signature")));
  }
  if (!r.has_owner_signature()) {
    return rule::Tag(rule::kOwner,
                     absl::PermissionDeniedError(absl::StrCat(Where(item),
                                                              " names no signer and carries no "
                                                              "owner signature")));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckSigner(const Item& item, const Participants& participants,
                                       std::string_view origin) {
  const v1::Record& r = item.record;
  RETURN_IF_ERROR(CheckOwnerForm(item));
  if (OwnerOnly(r)) return absl::OkStatus();
  auto it = participants.find(r.signer());
  if (it == participants.end()) {
    return rule::Tag(
        rule::kSignature,
        absl::FailedPreconditionError(absl::StrCat(
            Where(item), " is signed by '", r.signer(),
            "', who is not registered in the bundle (its registration record is missing)")));
  }
  const Participant& p = it->second;
  auto key = p.keys.find(r.key_id());
  if (key == p.keys.end()) {
    return rule::Tag(rule::kSignature,
                     absl::FailedPreconditionError(absl::StrCat(
                         Where(item), " is signed with key ", r.key_id(), " of '", r.signer(),
                         "', which the bundle never adds (its KeyAdded record is missing)")));
  }
  if (key->second.revoked_index && *key->second.revoked_index < item.index) {
    return rule::Tag(rule::kSignature,
                     absl::PermissionDeniedError(absl::StrCat(
                         Where(item), " is signed with key ", r.key_id(), " of '", r.signer(),
                         "', revoked at entry ", *key->second.revoked_index)));
  }
  if (r.event_time_micros() < key->second.added_micros) {
    return rule::Tag(rule::kSignature,
                     absl::PermissionDeniedError(absl::StrCat(
                         Where(item), " is dated before key ", r.key_id(), " of '", r.signer(),
                         "' was added (entry ", key->second.added_index, ")")));
  }
  const bool prechecked = item.valid_under_key && *item.valid_under_key == key->second.key.raw();
  if (!prechecked && !key->second.key.Verify(SigningMessage(item, origin), item.view.signature)) {
    return rule::Tag(
        rule::kSignature,
        absl::PermissionDeniedError(absl::StrCat(
            Where(item), ": the signature is not by key ", r.key_id(), " of '", r.signer(), "'",
            SignatureMismatch(key->second.key, SignatureVersion(item.policy), origin,
                              item.view.record, item.view.signature))));
  }
  if (p.suspended) {
    return rule::Tag(rule::kRoles,
                     absl::PermissionDeniedError(absl::StrCat(
                         Where(item), " is signed by '", r.signer(), "', suspended at the time")));
  }
  const bool is_operator = p.roles.count(v1::ROLE_OPERATOR) > 0;
  const std::vector<v1::Role> roles = WriterRoles(r);
  const bool role_ok = roles.empty() || std::any_of(roles.begin(), roles.end(), [&](v1::Role x) {
                         return p.roles.count(x) > 0;
                       });
  if (!role_ok) {
    return rule::Tag(rule::kRoles,
                     absl::PermissionDeniedError(absl::StrCat(Where(item), ": '", r.signer(),
                                                              "' does not hold the role it needs (",
                                                              RoleNames(roles), ")")));
  }
  if ((r.has_key_added() || r.has_key_revoked()) && !is_operator &&
      *ParticipantTarget(r) != r.signer()) {
    return rule::Tag(rule::kRoles, absl::PermissionDeniedError(
                                       absl::StrCat(Where(item), ": only '", *ParticipantTarget(r),
                                                    "' or the operator may change its keys")));
  }
  return absl::OkStatus();
}

}  // namespace

const std::string* ParticipantTarget(const v1::Record& r) {
  switch (r.body_case()) {
    case v1::Record::kGenesis:
      return &r.genesis().operator_().participant_id();
    case v1::Record::kParticipantRegistered:
      return &r.participant_registered().participant_id();
    case v1::Record::kKeyAdded:
      return &r.key_added().participant_id();
    case v1::Record::kKeyRevoked:
      return &r.key_revoked().participant_id();
    case v1::Record::kRoleGranted:
      return &r.role_granted().participant_id();
    case v1::Record::kParticipantSuspended:
      return &r.participant_suspended().participant_id();
    case v1::Record::kParticipantReinstated:
      return &r.participant_reinstated().participant_id();
    case v1::Record::kOperatorKeyRotated:
      return &r.signer();
    default:
      return nullptr;
  }
}

std::string KindOf(const v1::Record& r) { return RecordKind(r); }

std::string Where(const Item& item) {
  return absl::StrCat("entry ", item.index, " (", KindOf(item.record), ")");
}

std::string SigningMessage(const Item& item, std::string_view origin) {
  return RecordSigningMessage(SignatureVersion(item.policy), origin, item.view.record);
}

void PreverifySignatures(std::vector<Item>& items, std::string_view origin) {
  std::map<std::string, PublicKey> keys;  // by fingerprint
  auto learn = [&](const v1::PublicKey& k) {
    absl::StatusOr<PublicKey> key = PublicKey::FromRaw(k.ed25519());
    if (key.ok()) keys.emplace(key->Fingerprint(), *key);
  };
  for (const Item& item : items) {
    const v1::Record& r = item.record;
    if (r.has_genesis()) {
      for (const auto& k : r.genesis().operator_().keys()) learn(k);
    }
    if (r.has_participant_registered()) {
      for (const auto& k : r.participant_registered().keys()) learn(k);
    }
    if (r.has_key_added()) learn(r.key_added().key());
    if (r.has_operator_key_rotated()) learn(r.operator_key_rotated().new_key());
  }
  // One Ed25519 verification per record is most of the time a bundle takes:
  // spread them over the cores (items are claimed one at a time).
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < items.size();) {
      Item& item = items[i];
      if (OwnerOnly(item.record)) continue;
      auto key = keys.find(item.record.key_id());
      if (key != keys.end() &&
          key->second.Verify(SigningMessage(item, origin), item.view.signature)) {
        item.valid_under_key = key->second.raw();
      }
    }
  };
  const size_t helpers =
      items.size() < 4 ? 0 : std::min<size_t>(std::thread::hardware_concurrency(), 8) - 1;
  std::vector<std::thread> threads;
  for (size_t t = 0; t < helpers; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
}

[[nodiscard]] absl::StatusOr<Participants> CheckSigners(const std::vector<Item>& items,
                                                        std::string_view origin) {
  Participants participants;
  for (const Item& item : items) {
    const v1::Record& r = item.record;
    if ((item.index == 0) != r.has_genesis()) {
      return rule::Tag(rule::kEntries, absl::FailedPreconditionError(
                                           item.index == 0 ? "entry 0 is not a genesis record"
                                                           : absl::StrCat("entry ", item.index,
                                                                          " is a genesis record")));
    }
    if (r.has_genesis()) {
      if (r.genesis().operator_().participant_id() != r.signer()) {
        return rule::Tag(rule::kSignature, absl::FailedPreconditionError(
                                               "the genesis record is not signed by its operator"));
      }
      RETURN_IF_ERROR(Register(item, r.genesis().operator_(), participants));
    }
    RETURN_IF_ERROR(CheckSigner(item, participants, origin));
    RETURN_IF_ERROR(ApplyParticipantRecord(item, participants));
  }
  return participants;
}

}  // namespace bundle

std::string ClaimText(v1::Claim claim) {
  switch (claim) {
    case v1::CLAIM_RECYCLED_METAL:
      return "recycled metal";
    case v1::CLAIM_LAB_GROWN_DIAMONDS:
      return "lab-grown diamonds";
    case v1::CLAIM_NATURAL_DIAMONDS:
      return "natural diamonds";
    case v1::CLAIM_CERTIFIED_CHAIN:
      return "certified chain";
    default:
      return v1::Claim_Name(claim);
  }
}

[[nodiscard]] absl::StatusOr<std::pair<Checkpoint, NoteVerifier>> VerifyBundleCheckpoint(
    const v1::PieceBundle& bundle, const NoteVerifier& log_key) {
  std::vector<HandoverProof> handovers;
  for (const v1::BundleEntry& e : bundle.entries()) {
    absl::StatusOr<v1::Record> r = RecordOfEntry(e.index(), e.entry());
    absl::StatusOr<TlogProof> proof = TlogProof::FromText(e.tlog_proof());
    // A malformed entry or proof is reported by VerifyPieceBundle's entry checks.
    if (!r.ok() || !r->has_operator_key_rotated() || !proof.ok()) continue;
    handovers.push_back(HandoverProof{e.index(), e.entry(), proof->hashes});
  }
  return VerifyCheckpointWithHandovers(bundle.checkpoint(), log_key, handovers);
}

[[nodiscard]] absl::StatusOr<BundleReport> VerifyPieceBundle(
    const v1::PieceBundle& bundle, const NoteVerifier& log_key,
    const std::vector<NoteVerifier>& witnesses, size_t quorum, std::string_view expected_piece,
    const AuditorPins& auditors) {
  using bundle::Item;
  if (bundle.format() != kBundleFormat) {
    return rule::Tag(rule::kFormat,
                     absl::InvalidArgumentError(absl::StrCat("bundle format is '", bundle.format(),
                                                             "', not '", kBundleFormat, "'")));
  }
  if (!expected_piece.empty() && bundle.piece_id() != expected_piece) {
    return rule::Tag(rule::kPiece, absl::FailedPreconditionError(absl::StrCat(
                                       "this bundle is about piece '", bundle.piece_id(),
                                       "', not '", Sv(expected_piece), "', the piece asked for")));
  }
  absl::StatusOr<std::pair<Checkpoint, NoteVerifier>> verified =
      VerifyBundleCheckpoint(bundle, log_key);
  if (!verified.ok()) {
    return rule::Tag(rule::kCheckpoint,
                     absl::Status(verified.status().code(),
                                  absl::StrCat("checkpoint: ", verified.status().message())));
  }
  const Checkpoint* cp = &verified->first;
  BundleReport report;
  report.checkpoint_key = FormatVerifierKey(verified->second.name, verified->second.key);
  report.piece_id = bundle.piece_id();
  report.origin = cp->origin;
  report.tree_size = cp->size;
  report.root = cp->root;
  report.log_key_name = log_key.name;
  if (quorum > 0 || !witnesses.empty()) {
    const size_t keys = CountWitnessKeys(witnesses);  // one key under two names is one witness
    if (quorum > keys) {
      return rule::Tag(rule::kWitnesses, absl::InvalidArgumentError(absl::StrCat(
                                             "a quorum of ", quorum, " needs at least ", quorum,
                                             " distinct witness keys; ", keys, " given")));
    }
    absl::StatusOr<size_t> n = CountCosignatures(bundle.checkpoint(), witnesses);
    if (!n.ok()) {
      return rule::Tag(
          rule::kWitnesses,
          absl::Status(n.status().code(), absl::StrCat("checkpoint: ", n.status().message())));
    }
    if (*n < quorum) {
      return rule::Tag(rule::kWitnesses, absl::PermissionDeniedError(absl::StrCat(
                                             "checkpoint: cosigned by ", *n, " of the ", keys,
                                             " witnesses given; ", quorum, " required")));
    }
    report.witness_cosignatures = *n;
  }
  RETURN_IF_ERROR(bundle::CheckAuditedCheckpoint(bundle, log_key, *cp, auditors, &report));
  if (bundle.entries().empty())
    return rule::Tag(rule::kEntries, absl::FailedPreconditionError("the bundle has no entries"));

  std::vector<Item> items;
  items.reserve(bundle.entries_size());
  for (const v1::BundleEntry& e : bundle.entries()) {
    const std::string at = absl::StrCat("entry ", e.index());
    if (!items.empty() && e.index() <= items.back().index) {
      return rule::Tag(rule::kEntries,
                       absl::InvalidArgumentError(
                           absl::StrCat("entries out of order: ", at, " follows entry ",
                                        items.back().index, "; indices must strictly increase")));
    }
    absl::StatusOr<TlogProof> proof = TlogProof::FromText(e.tlog_proof());
    if (!proof.ok()) {
      return rule::Tag(rule::kInclusion, absl::InvalidArgumentError(absl::StrCat(
                                             at, ": tlog_proof: ", proof.status().message())));
    }
    if (proof->checkpoint_note != bundle.checkpoint()) {
      return rule::Tag(
          rule::kInclusion,
          absl::FailedPreconditionError(absl::StrCat(
              at, ": its tlog_proof is against another checkpoint than the bundle's")));
    }
    if (proof->index != e.index()) {
      return rule::Tag(rule::kInclusion, absl::InvalidArgumentError(absl::StrCat(
                                             at, ": its tlog_proof is for index ", proof->index)));
    }
    if (absl::Status s =
            VerifyInclusion(e.index(), cp->size, LeafHash(e.entry()), proof->hashes, cp->root);
        !s.ok()) {
      return rule::Tag(rule::kInclusion, absl::DataLossError(absl::StrCat(
                                             at, " is not in the log under the checkpoint (size ",
                                             cp->size, "): inclusion proof: ", s.message())));
    }
    absl::StatusOr<EntryView> view = DecodeEntry(e.entry());
    if (!view.ok())
      return rule::Tag(rule::kEntries,
                       absl::DataLossError(absl::StrCat(at, ": ", view.status().message())));
    // The checks are entry_format.h's; the words are those of the browser
    // verifier (services/web/verify.js), which reports the same failures.
    if (!CheckEntryIndex(*view, e.index()).ok()) {
      return rule::Tag(rule::kEntries, absl::DataLossError(absl::StrCat(
                                           at, ": its bytes say index ", view->index)));
    }
    // Only consecutive entries of the bundle can be chain-checked.
    if (!items.empty() && items.back().index + 1 == e.index() &&
        !CheckEntryChain(*view, e.index(), LeafHash(bundle.entries(items.size() - 1).entry()))
             .ok()) {
      return rule::Tag(rule::kChain, absl::DataLossError(absl::StrCat(
                                         at, " does not chain to entry ", items.back().index)));
    }
    // No size limit of its own: the log already took these bytes.
    absl::StatusOr<v1::Record> record = ParseRecord(view->record, view->record.size());
    if (!record.ok()) {
      return rule::Tag(rule::kEncoding,
                       absl::DataLossError(absl::StrCat(
                           at, ": record does not parse: ", record.status().message())));
    }
    items.push_back(Item{e.index(), *view, *std::move(record), std::nullopt});
  }

  RETURN_IF_ERROR(bundle::ApplyOpenings(bundle, items));
  bundle::AssignPolicies(items);
  bundle::PreverifySignatures(items, cp->origin);
  ASSIGN_OR_RETURN(bundle::Participants participants, bundle::CheckSigners(items, cp->origin));
  RETURN_IF_ERROR(bundle::CheckTimes(items));
  ASSIGN_OR_RETURN(bundle::Graph graph,
                   bundle::CheckGraph(bundle.piece_id(), items, participants, cp->origin));
  report.piece_description = graph.piece->description();
  report.jeweler = graph.jeweler;
  report.stones = graph.stones;
  report.asserted_claims.assign(graph.asserted.begin(), graph.asserted.end());
  report.derived_claims.assign(graph.derived.begin(), graph.derived.end());
  bundle::DescribeMaterialClaims(graph, &report);
  // A sealed registration the bundle does not open hides the piece's own
  // weights: no composition by weight is shown (its check is vouched for).
  if (graph.weights_from != 0 && graph.weights_from == graph.piece_index)
    report.composition.clear();
  bundle::DescribeOwners(graph, &report);
  bundle::BuildTimeline(items, participants, graph, absl::ToUnixMicros(absl::Now()), &report);
  for (const Item& item : items) {
    if (item.opened) report.opened.push_back(item.index);
    if (item.Hidden()) report.sealed.push_back(item.index);
  }
  report.vouched = std::move(graph.vouched);
  return report;
}

}  // namespace touchstone
