// Owners who hold their own keys, as the bundle's records tell it
// (bundle_verify_internal.h PieceStory): the rules of rules_owners.cc replayed
// from the bundle alone. A sale naming the buyer's key makes the piece
// owner-keyed; from then on every ownership record names the piece's newest
// ownership record (prev_index), so a verifier that replays them in index
// order sees a record missing from the middle of the chain; the owner key, its
// terms and the piece's lost / stolen status follow from them.
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/record.h"

namespace touchstone::bundle {
namespace {

// "owner rule: entry N (kind) <what>" with `code`, tagged rule::kOwner.
[[nodiscard]] absl::Status OwnerBroken(const Item& item, absl::StatusCode code,
                                       std::string_view what) {
  return rule::Tag(rule::kOwner,
                   absl::Status(code, absl::StrCat("owner rule: ", Where(item), " ", Sv(what))));
}

std::string EventName(v1::PieceEvent e) { return EnumText(v1::PieceEvent_Name(e), 12); }

// OK if `key` is a valid owner key other than the piece's owner now.
[[nodiscard]] absl::Status NewKey(const Item& item, const OwnedPiece& p, const v1::OwnerKey& key,
                                  std::string_view what) {
  if (absl::Status s = ValidateOwnerKey(key, what); !s.ok()) {
    return Refused(item, rule::kOwner, s);
  }
  if (SameOwnerKey(key, p.owner)) {
    return OwnerBroken(item, absl::StatusCode::kInvalidArgument,
                       absl::StrCat("names the piece's owner key ", OwnerKeyId(key), " as its ",
                                    Sv(what), "; it must be another key"));
  }
  return absl::OkStatus();
}

// Signed by the piece's owner key alone.
[[nodiscard]] absl::Status ByOwner(const Item& item, const OwnedPiece& p, std::string_view origin,
                                   std::string_view what) {
  if (!OwnerOnly(item.record)) {
    return OwnerBroken(item, absl::StatusCode::kPermissionDenied,
                       absl::StrCat("is signed by '", item.record.signer(), "'; ", Sv(what),
                                    " is signed by the owner key ", OwnerKeyId(p.owner), " alone"));
  }
  return CheckOwnerSignature(item, p.owner, origin, rule::kOwner, what);
}

// A participant the owner's terms name is registered in the bundle before
// the record that names it.
[[nodiscard]] absl::Status TermsParticipant(const Item& item, const Participants& participants,
                                            const std::string& id, std::string_view what) {
  if (id.empty()) return absl::OkStatus();
  auto it = participants.find(id);
  if (it == participants.end() || it->second.registered_index > item.index) {
    return OwnerBroken(item, absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("names '", id, "' as the owner's ", Sv(what),
                                    ", who is not a participant registered before it"));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status Lifecycle(const Item& item, std::string_view origin, OwnedPiece& p) {
  const v1::Record& r = item.record;
  const v1::PieceLifecycle& l = r.piece_lifecycle();
  if (r.signer() != p.jeweler) {
    return rule::Tag(rule::kRoles, absl::PermissionDeniedError(
                                       absl::StrCat(Where(item), ": only '", p.jeweler,
                                                    "', who registered the piece, records it")));
  }
  if (p.keyed && l.event() != v1::PIECE_EVENT_REPAIRED) {
    return OwnerBroken(
        item, absl::StatusCode::kFailedPrecondition,
        absl::StrCat("records piece ", l.piece_id(), " ", EventName(l.event()), "; piece ",
                     l.piece_id(), " belongs to owner key ", OwnerKeyId(p.owner),
                     ": only its owner records sales, transfers and reports (the jeweler "
                     "records repairs)"));
  }
  if (l.has_buyer()) {
    if (l.event() != v1::PIECE_EVENT_SOLD) {
      return OwnerBroken(item, absl::StatusCode::kInvalidArgument,
                         absl::StrCat("names a buyer's key on a ", EventName(l.event()),
                                      " event; only a sale names one"));
    }
    if (absl::Status s = ValidateOwnerKey(l.buyer(), "buyer"); !s.ok()) {
      return Refused(item, rule::kOwner, s);
    }
    p.keyed = true;
    p.owner = l.buyer();
    p.accepted = false;
    p.terms.Clear();
    p.status = v1::PIECE_EVENT_UNSPECIFIED;
    p.owner_index = item.index;
  }
  if (r.has_owner_signature()) {  // a repair (CheckOwnerForm)
    if (!p.keyed) {
      return OwnerBroken(item, absl::StatusCode::kFailedPrecondition,
                         absl::StrCat("carries an owner signature, but piece ", l.piece_id(),
                                      " names no owner key"));
    }
    return CheckOwnerSignature(item, p.owner, origin, rule::kOwner, "the repair");
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status OwnerRecord(const Item& item, const Participants& participants,
                                       std::string_view origin, OwnedPiece& p) {
  const v1::Record& r = item.record;
  const std::string& piece = *PieceOf(r);
  if (!p.keyed) {
    return OwnerBroken(item, absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("is about piece ", piece,
                                    ", which no sale in the bundle gave to an owner key"));
  }
  if (const uint64_t prev = OwnerPrevIndex(r).value_or(0); prev != p.owner_index) {
    return OwnerBroken(
        item, absl::StatusCode::kFailedPrecondition,
        absl::StrCat("says prev_index ", prev, "; that is not the piece's newest ownership record ",
                     p.owner_index,
                     prev > p.owner_index && prev < item.index
                         ? absl::StrCat(" in the bundle: the ownership record at entry ", prev,
                                        " is missing (a bundle carries the whole chain)")
                         : ""));
  }
  switch (r.body_case()) {
    case v1::Record::kOwnershipAccepted: {
      const v1::OwnershipAccepted& a = r.ownership_accepted();
      RETURN_IF_ERROR(ByOwner(item, p, origin, "taking ownership"));
      if (p.accepted) {
        return OwnerBroken(
            item, absl::StatusCode::kFailedPrecondition,
            absl::StrCat("takes ownership again: owner key ", OwnerKeyId(p.owner), " already did"));
      }
      if (a.terms().has_recovery_key()) {
        RETURN_IF_ERROR(NewKey(item, p, a.terms().recovery_key(), "recovery key"));
      }
      RETURN_IF_ERROR(
          TermsParticipant(item, participants, a.terms().recovery_agent(), "recovery agent"));
      RETURN_IF_ERROR(TermsParticipant(item, participants, a.terms().insurer(), "insurer"));
      p.terms = a.terms();
      p.accepted = true;
      break;
    }
    case v1::Record::kOwnershipTransferred: {
      RETURN_IF_ERROR(ByOwner(item, p, origin, "a transfer"));
      if (p.status == v1::PIECE_EVENT_LOST || p.status == v1::PIECE_EVENT_STOLEN) {
        return OwnerBroken(
            item, absl::StatusCode::kFailedPrecondition,
            absl::StrCat("transfers piece ", piece, "; piece ", piece, " is reported ",
                         EventName(p.status), ": it cannot be transferred"));
      }
      RETURN_IF_ERROR(NewKey(item, p, r.ownership_transferred().new_owner(), "new owner"));
      p.owner = r.ownership_transferred().new_owner();
      p.accepted = false;
      p.terms.Clear();
      break;
    }
    case v1::Record::kOwnerReport: {
      const v1::PieceEvent e = r.owner_report().event();
      if (e != v1::PIECE_EVENT_LOST && e != v1::PIECE_EVENT_STOLEN &&
          e != v1::PIECE_EVENT_RECOVERED) {
        return OwnerBroken(
            item, absl::StatusCode::kInvalidArgument,
            absl::StrCat("reports ", EventName(e), "; an owner reports lost, stolen or recovered"));
      }
      if (OwnerOnly(r)) {
        RETURN_IF_ERROR(ByOwner(item, p, origin, "a report"));
      } else if (!p.accepted || p.terms.insurer().empty() || r.signer() != p.terms.insurer()) {
        return OwnerBroken(
            item, absl::StatusCode::kPermissionDenied,
            absl::StrCat("is signed by '", r.signer(), "'; only the owner key ",
                         OwnerKeyId(p.owner), " or the insurer its terms name reports the piece"));
      }
      const bool reported = p.status == v1::PIECE_EVENT_LOST || p.status == v1::PIECE_EVENT_STOLEN;
      if ((e == v1::PIECE_EVENT_RECOVERED) != reported) {
        return OwnerBroken(item, absl::StatusCode::kFailedPrecondition,
                           absl::StrCat("reports piece ", piece, " ", EventName(e), " while it is ",
                                        reported ? "reported " + EventName(p.status)
                                                 : std::string("not reported lost or stolen")));
      }
      p.status = e == v1::PIECE_EVENT_RECOVERED ? v1::PIECE_EVENT_UNSPECIFIED : e;
      break;
    }
    case v1::Record::kOwnerKeyReplaced: {
      if (!p.accepted) {
        return OwnerBroken(item, absl::StatusCode::kFailedPrecondition,
                           absl::StrCat("replaces owner key ", OwnerKeyId(p.owner),
                                        ", which set no terms (it never took ownership)"));
      }
      if (OwnerOnly(r)) {
        if (!p.terms.has_recovery_key()) {
          return OwnerBroken(item, absl::StatusCode::kPermissionDenied,
                             "is signed by an owner key, but the owner's terms name no recovery "
                             "key");
        }
        RETURN_IF_ERROR(CheckOwnerSignature(item, p.terms.recovery_key(), origin, rule::kOwner,
                                            "a key replacement"));
      } else if (p.terms.recovery_agent().empty() || r.signer() != p.terms.recovery_agent()) {
        return OwnerBroken(item, absl::StatusCode::kPermissionDenied,
                           absl::StrCat("is signed by '", r.signer(),
                                        "'; only the recovery key or recovery agent the owner's "
                                        "terms name replaces the owner key"));
      }
      RETURN_IF_ERROR(NewKey(item, p, r.owner_key_replaced().new_key(), "new key"));
      p.owner = r.owner_key_replaced().new_key();
      p.accepted = true;  // the terms stay: the owner chose them
      break;
    }
    default:
      break;
  }
  p.owner_index = item.index;
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status CheckOwnerSignature(const Item& item, const v1::OwnerKey& key,
                                               std::string_view origin, std::string_view rule,
                                               std::string_view what) {
  const v1::Record& r = item.record;
  const std::string label = rule == rule::kOwner ? "owner" : std::string(rule);
  if (!r.has_owner_signature()) {
    return rule::Tag(rule, absl::PermissionDeniedError(
                               absl::StrCat(label, " rule: ", Where(item), ": ", Sv(what),
                                            " must be signed by the owner key ", OwnerKeyId(key),
                                            "; it carries no owner signature")));
  }
  absl::StatusOr<std::string_view> part = OwnerSignedPart(item.view.record);
  if (!part.ok()) return Refused(item, rule, part.status());
  if (absl::Status s =
          VerifyOwnerSignature(key, r.owner_signature(), OwnerSigningMessage(origin, *part));
      !s.ok()) {
    return rule::Tag(rule, absl::Status(s.code(), absl::StrCat(label, " rule: ", Where(item), ": ",
                                                               Sv(what), ": ", s.message())));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::StatusOr<OwnedPiece*> GetOwnedPiece(Graph& g, const Item& item,
                                                        const std::string& id) {
  auto it = g.owned.find(id);
  if (it == g.owned.end() || it->second.registered == nullptr) {
    return Broken(item, rule::kCompleteness, "reference",
                  absl::StrCat("names piece '", id, "', registered by no earlier record"));
  }
  return &it->second;
}

[[nodiscard]] absl::Status PieceStory(const Item& item, const Participants& participants,
                                      std::string_view origin, Graph& g) {
  const v1::Record& r = item.record;
  const std::string& id = *PieceOf(r);
  if (r.has_piece_registered()) {
    OwnedPiece& p = g.owned[id];
    if (p.registered != nullptr) return Broken(item, rule::kOnce, "piece", "registers it again");
    const v1::PieceRegistered& reg = r.piece_registered();
    p.registered = &reg;
    p.jeweler = r.signer();
    p.stones.assign(reg.stone_lot_ids().begin(), reg.stone_lot_ids().end());
    for (const v1::ParcelStones& s : reg.parcel_stones()) p.stones.push_back(s.lot_id());
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(OwnedPiece * p, GetOwnedPiece(g, item, id));
  if (p->repurposed_index != 0) {
    return Broken(item, rule::kOwner, "owner",
                  absl::StrCat("is about piece ", id, ", which heirloom intake ",
                               p->repurposed_intake, " (entry ", p->repurposed_index,
                               ") closed: a repurposed piece takes no more records"));
  }
  switch (r.body_case()) {
    case v1::Record::kPieceLifecycle:
      return Lifecycle(item, origin, *p);
    case v1::Record::kStoneReplaced: {
      if (r.signer() != p->jeweler) {
        return rule::Tag(rule::kRoles, absl::PermissionDeniedError(absl::StrCat(
                                           Where(item), ": only '", p->jeweler,
                                           "', who registered the piece, records it")));
      }
      for (std::string& s : p->stones) {
        if (s == r.stone_replaced().old_stone_lot_id()) s = r.stone_replaced().new_stone_lot_id();
      }
      return absl::OkStatus();
    }
    default:
      return OwnerRecord(item, participants, origin, *p);
  }
}

}  // namespace touchstone::bundle
