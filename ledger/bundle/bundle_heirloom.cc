// The owner's material as the bundle's records tell it (bundle_verify_internal.h):
// heirloom intakes (the rules of rules_heirloom.cc replayed from the bundle
// alone), the owner's fine weight through every transformation of the piece's
// lineage and the piece's heirloom claim, with the functions the ledger's rules
// use (ledger/provenance/heirloom.h); and what the report says of owners and
// intakes.
#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/heirloom.h"
#include "ledger/provenance/owner_signature.h"

namespace touchstone::bundle {
namespace {

constexpr size_t kMaxIntakeDescription = 512;
constexpr int kMaxIntakePhotos = 16;

[[nodiscard]] absl::Status Invalid(const Item& item, std::string_view what) {
  return rule::Tag(rule::kHeirloom, absl::InvalidArgumentError(absl::StrCat(
                                        "heirloom rule: ", Where(item), " ", Sv(what))));
}

bool IsMetal(const std::string& m) {
  return m == "gold" || m == "silver" || m == "platinum" || m == "palladium";
}

// What the heirloom rules know of `t.lot` when `t.quantity` of it is taken.
HeirloomLot Heirloom(const TakenLot& t) {
  const Lot& l = *t.lot;
  HeirloomLot h;
  h.lot_id = l.trace.lot_id;
  h.material = l.trace.material;
  h.stone = l.trace.unit == v1::UNIT_CARAT_THOUSANDTH;
  h.fine = h.stone ? 0 : t.quantity * l.trace.fineness_ptt;
  h.heirloom_fine = l.heirloom_fine;
  h.whole = t.quantity == l.quantity - l.taken;
  h.owner = l.heirloom_owner;
  h.intakes = l.heirloom_intakes;
  h.mixed = l.heirloom_mixed;
  return h;
}

bool Carries(const Lot& l) { return l.heirloom_fine != 0 || !l.heirloom_owner.empty(); }

[[nodiscard]] absl::Status CheckIntakeFields(const Item& item) {
  const v1::HeirloomReceived& h = item.record.heirloom_received();
  if (h.intake_id().empty()) return Invalid(item, "names no intake_id");
  if (h.description().empty() || h.description().size() > kMaxIntakeDescription) {
    return Invalid(item, absl::StrCat("describes the object in ", h.description().size(),
                                      " bytes; 1 to ", kMaxIntakeDescription));
  }
  if (h.photo_sha256_size() > kMaxIntakePhotos) {
    return Invalid(
        item, absl::StrCat("lists ", h.photo_sha256_size(), " photos; at most ", kMaxIntakePhotos));
  }
  for (const std::string& p : h.photo_sha256()) {
    if (p.size() != 32) return Invalid(item, "lists a photo hash that is not 32 bytes");
  }
  if (h.gross_weight_mg() <= 0 || h.metal_mg() <= 0 || h.metal_mg() > h.gross_weight_mg()) {
    return Invalid(item, absl::StrCat("weighs ", h.gross_weight_mg(), " mg gross and ",
                                      h.metal_mg(), " mg of metal; 0 < metal <= gross"));
  }
  if (h.fineness_ptt() < 1 || h.fineness_ptt() > kFullFinenessPtt) {
    return Invalid(item, absl::StrCat("states fineness ", h.fineness_ptt(), "; 1 to ",
                                      kFullFinenessPtt, " parts per ten thousand"));
  }
  if (h.assay_method() == v1::ASSAY_METHOD_UNSPECIFIED) {
    return Invalid(item, "names no assay method");
  }
  if (!IsMetal(h.material())) {
    return Invalid(
        item, absl::StrCat("receives '", h.material(), "'; gold, silver, platinum or palladium"));
  }
  if (h.lot_id().empty()) return Invalid(item, "names no lot_id");
  if (absl::Status s = ValidateOwnerKey(h.owner(), "owner"); !s.ok()) {
    return Refused(item, rule::kHeirloom, s);
  }
  return absl::OkStatus();
}

// A repurposed piece: its owner then is the intake's owner key, not reported
// lost or stolen, not repurposed before, and the intake takes all its stones.
[[nodiscard]] absl::Status Repurpose(const Item& item, Graph& g) {
  const v1::HeirloomReceived& h = item.record.heirloom_received();
  const std::string& id = h.repurposed_piece_id();
  ASSIGN_OR_RETURN(OwnedPiece * p, GetOwnedPiece(g, item, id));
  if (p->repurposed_index != 0) {
    return Broken(item, rule::kHeirloom, "heirloom",
                  absl::StrCat("repurposes piece ", id, ", which intake ", p->repurposed_intake,
                               " (entry ", p->repurposed_index, ") already closed"));
  }
  if (!p->keyed || !SameOwnerKey(p->owner, h.owner())) {
    return Broken(
        item, rule::kHeirloom, "heirloom",
        absl::StrCat("repurposes piece ", id, " for owner key ", OwnerKeyId(h.owner()),
                     p->keyed
                         ? absl::StrCat(", but its owner then is key ", OwnerKeyId(p->owner))
                         : std::string(", but no sale in the bundle gave it to an owner key")));
  }
  if (p->status == v1::PIECE_EVENT_LOST || p->status == v1::PIECE_EVENT_STOLEN) {
    return Broken(item, rule::kHeirloom, "heirloom",
                  absl::StrCat("repurposes piece ", id, ", reported ",
                               EnumText(v1::PieceEvent_Name(p->status), 12)));
  }
  std::vector<std::string> have = p->stones,
                           named(h.stone_lot_ids().begin(), h.stone_lot_ids().end());
  std::sort(have.begin(), have.end());
  std::sort(named.begin(), named.end());
  if (have != named) {
    return Broken(item, rule::kHeirloom, "heirloom",
                  absl::StrCat("takes stones [", absl::StrJoin(named, ", "), "] of piece ", id,
                               ", which holds [", absl::StrJoin(have, ", "), "]"));
  }
  p->repurposed_index = item.index;
  p->repurposed_intake = h.intake_id();
  for (const std::string& s : named) {
    auto it = g.lots.find(s);
    if (it == g.lots.end()) continue;  // a stone this bundle's piece does not hold
    it->second.custodian = item.record.signer();
    it->second.heirloom_owner = OwnerKeyId(h.owner());
    it->second.heirloom_intakes = {h.intake_id()};
    it->second.heirloom_fine = 0;
  }
  return absl::OkStatus();
}

std::string AssayText(v1::AssayMethod m) {
  switch (m) {
    case v1::ASSAY_METHOD_FIRE_ASSAY:
      return "fire assay";
    case v1::ASSAY_METHOD_XRF:
      return "XRF";
    default:
      return "unspecified";
  }
}

}  // namespace

[[nodiscard]] absl::StatusOr<Lot> ReceiveHeirloom(const Item& item, std::string_view origin,
                                                  Graph& g) {
  const v1::HeirloomReceived& h = item.record.heirloom_received();
  RETURN_IF_ERROR(CheckIntakeFields(item));
  if (g.intakes.count(h.intake_id())) {
    return Broken(item, rule::kOnce, "heirloom",
                  absl::StrCat("receives intake '", h.intake_id(), "' again"));
  }
  RETURN_IF_ERROR(CheckOwnerSignature(item, h.owner(), origin, rule::kHeirloom,
                                      absl::StrCat("heirloom intake ", h.intake_id())));
  if (!h.repurposed_piece_id().empty()) {
    RETURN_IF_ERROR(Repurpose(item, g));
  } else if (h.stone_lot_ids_size() > 0) {
    return Invalid(item, "takes stones without repurposing a piece of the ledger");
  }
  g.intakes[h.intake_id()] = Intake{&h, item.index, item.record.signer()};
  Lot lot;
  lot.trace.lot_id = h.lot_id();
  lot.trace.material = h.material();
  lot.trace.unit = v1::UNIT_MILLIGRAM;
  lot.trace.fineness_ptt = h.fineness_ptt();
  lot.trace.origin = v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER;
  lot.trace.sources = {h.lot_id()};
  lot.form = "heirloom";
  lot.quantity = h.metal_mg();
  lot.heirloom_fine = h.metal_mg() * h.fineness_ptt();
  lot.heirloom_owner = OwnerKeyId(h.owner());
  lot.heirloom_intakes = {h.intake_id()};
  return lot;
}

[[nodiscard]] absl::Status FlowHeirloom(const Item& item, const std::vector<TakenLot>& same,
                                        const std::vector<TakenLot>& alloying,
                                        std::vector<Lot>& made) {
  const v1::Transformation& t = item.record.transformation();
  bool any =
      std::any_of(same.begin(), same.end(), [](const TakenLot& l) { return Carries(*l.lot); }) ||
      std::any_of(alloying.begin(), alloying.end(),
                  [](const TakenLot& l) { return Carries(*l.lot); }) ||
      std::any_of(t.outputs().begin(), t.outputs().end(),
                  [](const v1::OutputLot& o) { return o.heirloom_fine() != 0; });
  if (!any) return absl::OkStatus();
  std::vector<HeirloomLot> in, alloy;
  for (const TakenLot& l : same) in.push_back(Heirloom(l));
  for (const TakenLot& l : alloying) alloy.push_back(Heirloom(l));
  absl::StatusOr<HeirloomFlow> flow = CombineHeirloomInputs(in, alloy);
  if (!flow.ok()) return Refused(item, rule::kHeirloom, flow.status());
  absl::StatusOr<int64_t> loss = DeclaredLossPtt(t);
  if (!loss.ok()) return Refused(item, rule::kHeirloom, loss.status());
  std::vector<int64_t> output_fine;
  for (const Lot& lot : made) {
    output_fine.push_back(
        lot.trace.unit == v1::UNIT_CARAT_THOUSANDTH ? 0 : lot.quantity * lot.trace.fineness_ptt);
  }
  if (absl::Status s = CheckHeirloomOutputs(t, *flow, *loss, output_fine); !s.ok()) {
    return Refused(item, rule::kHeirloom, s);
  }
  const bool owned = flow->heirloom > 0 || flow->stones_all_owner;
  for (size_t i = 0; i < made.size(); ++i) {
    made[i].heirloom_fine = t.outputs(static_cast<int>(i)).heirloom_fine();
    if (!owned) continue;
    made[i].heirloom_owner = flow->owner;
    made[i].heirloom_intakes = flow->intakes;
    made[i].heirloom_mixed = flow->mixed;
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckPieceHeirloom(const Item& item, Graph& g) {
  const v1::PieceRegistered& piece = *g.piece;
  std::vector<HeirloomLot> metal, stones;
  bool any = piece.has_heirloom();
  for (const v1::MetalInput& m : piece.metal_inputs()) {
    Lot& lot = g.lots.at(m.lot_id());
    any = any || Carries(lot);
    metal.push_back(Heirloom({&lot, m.quantity()}));
  }
  std::vector<std::string> ids = g.stones;
  for (const PieceStone& p : g.parcel_stones) ids.push_back(p.lot_id);
  for (const std::string& id : ids) {
    Lot& lot = g.lots.at(id);
    any = any || Carries(lot);
    HeirloomLot h = Heirloom({&lot, lot.quantity - lot.taken});
    h.stone = true;
    h.whole = true;
    stones.push_back(std::move(h));
  }
  if (!any) return absl::OkStatus();
  const bool hidden =
      g.weights_from != 0 ||
      std::any_of(ids.begin(), ids.end(),
                  [&](const std::string& id) { return g.lots.at(id).shares_from != 0; }) ||
      std::any_of(piece.metal_inputs().begin(), piece.metal_inputs().end(),
                  [&](const v1::MetalInput& m) {
                    const Lot& lot = g.lots.at(m.lot_id());
                    return lot.sealed_at != 0 || lot.shares_from != 0;
                  });
  if (hidden) {  // the owner's fine weight follows weights that are hidden
    Vouch(g, item, "the piece's heirloom claim");
    if (piece.has_heirloom()) g.heirloom = piece.heirloom();
    return absl::OkStatus();
  }
  absl::StatusOr<v1::HeirloomClaim> computed = ComputeHeirloomClaim(metal, stones);
  if (!computed.ok()) return Refused(item, rule::kHeirloom, computed.status());
  if (absl::Status s = CheckHeirloomClaim(piece, *computed); !s.ok()) {
    return Refused(item, rule::kHeirloom, s);
  }
  if (piece.has_heirloom()) g.heirloom = piece.heirloom();
  return absl::OkStatus();
}

void DescribeOwners(const Graph& g, BundleReport* report) {
  if (auto it = g.owned.find(report->piece_id); it != g.owned.end()) {
    const OwnedPiece& p = it->second;
    if (p.keyed) {
      OwnerLine o;
      o.key_id = OwnerKeyId(p.owner);
      o.kind = p.owner.has_webauthn() ? "passkey" : "ed25519";
      o.accepted = p.accepted;
      o.status = p.status == v1::PIECE_EVENT_LOST     ? "lost"
                 : p.status == v1::PIECE_EVENT_STOLEN ? "stolen"
                                                      : "none";
      if (p.terms.has_recovery_key()) o.recovery_key_id = OwnerKeyId(p.terms.recovery_key());
      o.recovery_agent = p.terms.recovery_agent();
      o.insurer = p.terms.insurer();
      o.since_index = p.owner_index;
      report->owner = std::move(o);
    }
    report->repurposed_index = p.repurposed_index;
    report->repurposed_intake = p.repurposed_intake;
  }
  if (!g.heirloom.owner_key_id().empty()) {
    report->heirloom = g.heirloom;
    report->heirloom_text = HeirloomClaimText(g.heirloom);
  }
  std::vector<const Intake*> intakes;
  for (const auto& [id, intake] : g.intakes) intakes.push_back(&intake);
  std::sort(intakes.begin(), intakes.end(),
            [](const Intake* a, const Intake* b) { return a->index < b->index; });
  for (const Intake* in : intakes) {
    const v1::HeirloomReceived& h = *in->received;
    IntakeStory s;
    s.intake_id = h.intake_id();
    s.index = in->index;
    s.jeweler = in->jeweler;
    s.description = h.description();
    for (const std::string& p : h.photo_sha256())
      s.photo_sha256_hex.push_back(absl::BytesToHexString(p));
    s.gross_weight_mg = h.gross_weight_mg();
    s.metal_mg = h.metal_mg();
    s.material = h.material();
    s.fineness_ptt = h.fineness_ptt();
    s.assay_method = AssayText(h.assay_method());
    s.owner_key_id = OwnerKeyId(h.owner());
    s.lot_id = h.lot_id();
    s.repurposed_piece_id = h.repurposed_piece_id();
    if (auto p = g.owned.find(h.repurposed_piece_id());
        p != g.owned.end() && p->second.registered != nullptr) {
      s.repurposed_piece_description = p->second.registered->description();
    }
    report->intakes.push_back(std::move(s));
  }
}

std::string IntakeAssayText(v1::AssayMethod m) { return AssayText(m); }

}  // namespace touchstone::bundle
