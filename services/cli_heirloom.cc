// touchstone heirloom intake, and the owner's material in transformations and
// pieces (cli_heirloom.h): a customer's own old jewellery enters the ledger as
// a metal lot that stays the owner's, co-signed by the owner key.
#include "services/cli_heirloom.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include "absl/numeric/int128.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/owner_signature.h"
#include "services/cli_owner.h"
#include "services/cli_sign.h"
#include "services/cli_trade_state.h"

namespace touchstone::cli {

HeirloomLot HeirloomLotOf(const v1::LotState& lot, int64_t taken) {
  HeirloomLot h;
  h.lot_id = lot.lot_id();
  h.material = lot.material();
  h.stone = lot.unit() == v1::UNIT_CARAT_THOUSANDTH;
  const int64_t ptt = lot.fineness_ptt() != 0 ? lot.fineness_ptt() : lot.fineness_ppt() * 10;
  h.fine = h.stone ? 0 : taken * ptt;
  h.heirloom_fine = lot.heirloom_fine();
  h.whole = taken == lot.balance();
  h.owner = lot.heirloom_owner();
  h.intakes.assign(lot.heirloom_intakes().begin(), lot.heirloom_intakes().end());
  std::sort(h.intakes.begin(), h.intakes.end());
  h.mixed = lot.heirloom_mixed();
  return h;
}

absl::Status FillHeirloomFine(const Context& ctx, v1::Transformation& t,
                              const std::vector<std::string>& stated) {
  if (stated.empty()) return absl::OkStatus();
  if (stated.size() == 1 && stated[0] == "auto") {
    std::vector<HeirloomLot> same, alloying;
    for (const v1::LotQuantity& in : t.inputs()) {
      ASSIGN_OR_RETURN(v1::LotState lot, FetchLot(ctx, in.lot_id()));
      (lot.material() == t.material() ? same : alloying)
          .push_back(HeirloomLotOf(lot, in.quantity()));
    }
    ASSIGN_OR_RETURN(HeirloomFlow flow, CombineHeirloomInputs(same, alloying));
    if (flow.heirloom == 0) return absl::OkStatus();
    const int64_t out = HeirloomAfterLoss(flow.heirloom, flow.fine, t.declared_loss_fine_ptt());
    std::vector<int64_t> fine;
    int64_t total = 0;
    for (const v1::OutputLot& o : t.outputs()) {
      fine.push_back(o.quantity() * o.fineness_ptt());
      total += fine.back();
    }
    if (total == 0) return absl::OkStatus();
    int64_t given = 0;
    for (int i = 0; i < t.outputs_size(); ++i) {
      const int64_t share = static_cast<int64_t>(absl::int128(out) * fine[i] / absl::int128(total));
      t.mutable_outputs(i)->set_heirloom_fine(share);
      given += share;
    }
    for (int i = 0; i < t.outputs_size() && given < out; ++i) {
      const int64_t room = fine[i] - t.outputs(i).heirloom_fine();
      const int64_t add = std::min(room, out - given);
      t.mutable_outputs(i)->set_heirloom_fine(t.outputs(i).heirloom_fine() + add);
      given += add;
    }
    return absl::OkStatus();
  }
  std::map<std::string, int64_t> by_lot;
  for (const std::string& s : stated) {
    const std::vector<std::string> kv = absl::StrSplit(s, absl::MaxSplits('=', 1));
    int64_t v = 0;
    if (kv.size() != 2 || kv[0].empty() || !absl::SimpleAtoi(kv[1], &v) || v < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--heirloom-fine '", s, "': expected auto, or LOT=FINE (fine units: mg x ptt)"));
    }
    by_lot[kv[0]] = v;
  }
  for (v1::OutputLot& o : *t.mutable_outputs()) {
    if (auto it = by_lot.find(o.lot_id()); it != by_lot.end()) {
      o.set_heirloom_fine(it->second);
      by_lot.erase(it);
    }
  }
  if (!by_lot.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--heirloom-fine names '", by_lot.begin()->first, "', not an output (--out)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::HeirloomClaim> ComputeClaimOf(const Context& ctx,
                                                 const v1::PieceRegistered& piece) {
  std::vector<HeirloomLot> metal, stones;
  for (const v1::MetalInput& m : piece.metal_inputs()) {
    ASSIGN_OR_RETURN(v1::LotState lot, FetchLot(ctx, m.lot_id()));
    metal.push_back(HeirloomLotOf(lot, m.quantity()));
  }
  for (const std::string& id : piece.stone_lot_ids()) {
    ASSIGN_OR_RETURN(v1::LotState lot, FetchLot(ctx, id));
    stones.push_back(HeirloomLotOf(lot, lot.balance()));
  }
  for (const v1::ParcelStones& p : piece.parcel_stones()) {
    ASSIGN_OR_RETURN(v1::LotState lot, FetchLot(ctx, p.lot_id()));
    stones.push_back(HeirloomLotOf(lot, lot.balance()));
  }
  ASSIGN_OR_RETURN(v1::HeirloomClaim claim, ComputeHeirloomClaim(metal, stones));
  if (claim.owner_key_id().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "piece ", piece.piece_id(), ": its inputs carry no owner's material: no heirloom claim"));
  }
  return claim;
}

namespace {

struct IntakeFlags {
  Signer signer;
  std::string dir, intake, lot, description, material = "gold", assay, owner_key, repurposes;
  std::vector<std::string> photos, stones;
  int64_t gross_mg = 0, metal_mg = 0;
  int32_t fineness_ptt = 0;
};

[[nodiscard]] absl::Status Intake(const Context& ctx, const IntakeFlags& f) {
  ASSIGN_OR_RETURN(PrivateKey owner, LoadOwnerKey(f.dir, f.owner_key));
  v1::Record r;
  v1::HeirloomReceived* h = r.mutable_heirloom_received();
  h->set_intake_id(f.intake);
  h->set_description(f.description);
  for (const std::string& photo : f.photos) {
    ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(photo));
    h->add_photo_sha256(HashBytes(Sha256(bytes)));  // the photo itself stays here
  }
  h->set_gross_weight_mg(f.gross_mg);
  h->set_lot_id(f.lot);
  h->set_material(f.material);
  h->set_metal_mg(f.metal_mg);
  h->set_fineness_ptt(f.fineness_ptt);
  const std::string assay = absl::AsciiStrToLower(f.assay);
  if (assay == "fire" || assay == "fire-assay") {
    h->set_assay_method(v1::ASSAY_METHOD_FIRE_ASSAY);
  } else if (assay == "xrf") {
    h->set_assay_method(v1::ASSAY_METHOD_XRF);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--assay '", f.assay, "': say fire (fire assay) or xrf"));
  }
  *h->mutable_owner() = Ed25519OwnerKey(owner.public_key());
  h->set_repurposed_piece_id(f.repurposes);
  if (f.stones.size() == 1 && f.stones[0] == "auto") {
    if (f.repurposes.empty()) {
      return absl::InvalidArgumentError("--stones auto reads the stones of --repurposes PIECE");
    }
    ASSIGN_OR_RETURN(v1::PieceState piece, FetchPiece(ctx, f.repurposes));
    for (const std::string& s : piece.stone_lot_ids()) h->add_stone_lot_ids(s);
    for (const v1::ParcelStones& p : piece.parcel_stones()) h->add_stone_lot_ids(p.lot_id());
  } else {
    for (const std::string& s : f.stones) h->add_stone_lot_ids(s);
  }
  std::cerr << "touchstone: intake " << f.intake << ": " << f.metal_mg << " mg of " << f.material
            << " at " << f.fineness_ptt
            << " ptt, the owner's: " << HeirloomGramsText(f.metal_mg * int64_t{f.fineness_ptt})
            << " fine, " << OwnerKeyLabel(h->owner()) << " co-signs\n";
  return SignAndSubmit(ctx, f.signer, std::move(r), &owner);
}

}  // namespace

void AddHeirloomCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* heirloom = app.add_subcommand(
      "heirloom",
      "a customer's own old jewellery, kept as the owner's material (docs/heirlooms.md)");
  heirloom->require_subcommand(1);
  auto f = std::make_shared<IntakeFlags>();
  auto* intake = heirloom->add_subcommand(
      "intake",
      "the jeweler receives an owner's old piece: its metal becomes a lot that stays the "
      "owner's. The jeweler signs (--as) and the owner key co-signs (--owner-key). Here both "
      "keys are on this machine (the demo, a test); in a shop the owner co-signs on their own "
      "device (the page)");
  AddSignerOptions(intake, f->signer);
  intake->add_option("--intake", f->intake, "the intake's id (unique in the log)")->required();
  intake->add_option("--lot", f->lot, "the new metal lot's id")->required();
  intake
      ->add_option("--description", f->description,
                   "the object only, never a person: \"14k yellow gold curb bracelet, 19 cm\"")
      ->required();
  intake->add_option("--photo", f->photos,
                     "a photo file (repeat, at most 16): only its SHA-256 is recorded, the photo "
                     "stays with the jeweler");
  intake->add_option("--gross-mg", f->gross_mg, "as weighed on arrival, milligrams")->required();
  intake->add_option("--metal-mg", f->metal_mg, "the metal's weight (gross less stones), mg")
      ->required();
  intake->add_option("--material", f->material, "gold, silver, platinum, palladium")
      ->capture_default_str();
  intake
      ->add_option("--fineness-ptt", f->fineness_ptt,
                   "as assayed, parts per ten thousand (14k: 5850)")
      ->required();
  intake->add_option("--assay", f->assay, "fire or xrf")->required();
  intake->add_option("--owner-key", f->owner_key, "the owner key's name (it co-signs)")->required();
  intake->add_option("--repurposes", f->repurposes,
                     "the old piece, if it is in the ledger: it is closed, the owner key must be "
                     "its current owner");
  intake->add_option("--stones", f->stones,
                     "the old piece's stone lots (repeat), or auto: read from the piece");
  intake
      ->add_option("--owner_keys_dir", f->dir,
                   "where owner keys are kept (default ~/.touchstone/owner-keys; env "
                   "TOUCHSTONE_OWNER_KEYS)")
      ->envname("TOUCHSTONE_OWNER_KEYS");
  intake->callback([&ctx, exit_code, f] {
    if (absl::Status s = Intake(ctx, *f); !s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
