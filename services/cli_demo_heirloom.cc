// touchstone demo, part three (cli_demo.h): an heirloom. A 14k bracelet,
// BRACELET-1, is made and sold to an owner key; its owner takes ownership and
// passes it on to another key (inheritance). The new owner takes ownership,
// naming the jeweler as recovery agent, and brings the bracelet in: the
// jeweler's heirloom intake, co-signed by the owner key, closes BRACELET-1 and
// makes its metal a lot that stays the owner's. It is refined (a declared
// loss), alloyed to 18k with silver and copper (no other gold: nothing mixed),
// cast and set with a graded lab-grown stone into HEIRLOOM-RING-1, which
// claims the owner's gold exactly and is sold to the owner's key.
//
// No person is named in any record: the log knows the owners as keys ("owner
// key 1a2b..."). The labels the demo keeps its owner keys under
// ("grandmother", "granddaughter") are file names on this machine only.
#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/heirloom.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/units.h"
#include "services/cli_demo.h"
#include "services/cli_owner.h"
#include "services/cli_trade_state.h"

namespace touchstone::cli {

absl::StatusOr<PrivateKey> Demo::OwnerKey(const std::string& label) {
  const std::string dir = (std::filesystem::path(keys_dir_) / "owner-keys").string();
  const std::string name = Id(label);
  absl::StatusOr<PrivateKey> key = LoadOwnerKey(dir, name);
  if (absl::IsNotFound(key.status())) return NewOwnerKey(dir, name);
  return key;
}

absl::Status Demo::SellToKey(const std::string& piece, const PrivateKey& buyer,
                             const std::string& note, const std::string& what) {
  v1::Record r;
  v1::PieceLifecycle* l = r.mutable_piece_lifecycle();
  l->set_piece_id(Id(piece));
  l->set_event(v1::PIECE_EVENT_SOLD);
  l->set_note(note);
  *l->mutable_buyer() = Ed25519OwnerKey(buyer.public_key());
  return PutRecord("jeweler", std::move(r), what);
}

absl::Status Demo::RunHeirloom() {
  const std::string factory = "Berici Oro, Vicenza", shop = "Marlowe & Daughters, Bath workshop";
  ASSIGN_OR_RETURN(const PrivateKey first, OwnerKey("grandmother"));
  ASSIGN_OR_RETURN(const PrivateKey second, OwnerKey("granddaughter"));
  const v1::OwnerKey first_key = Ed25519OwnerKey(first.public_key()),
                     second_key = Ed25519OwnerKey(second.public_key());
  const std::string first_label = OwnerKeyLabel(first_key),
                    second_label = OwnerKeyLabel(second_key);

  // BRACELET-1: 14k from the rest of the recycled grain. 5000 x 9999 =
  // 49 995 000 fine in; 8546 x 5850 = 49 994 100 out; loss 900.
  RETURN_IF_ERROR(Transform("maker", v1::PROCESS_ALLOY, "gold",
                            {{"grain-1b", 5000}, {"silver-1", 1773}, {"copper-1", 1773}},
                            {{"14k-1", "castings", 8546, 5850}}, 900, factory));
  RETURN_IF_ERROR(Ship("maker", "jeweler", "14k-1"));
  RETURN_IF_ERROR(Piece({.piece = "BRACELET-1",
                         .description = "14k yellow gold curb bracelet, 19 cm",
                         .hallmark = "585",
                         .metal = {{"14k-1", 7900}}}));
  RETURN_IF_ERROR(SellToKey("BRACELET-1", first, "sold in the Bath shop",
                            absl::StrCat("sells ", Id("BRACELET-1"), " to ", first_label,
                                         ": the sale names the buyer's key, no name")));
  v1::Record r;
  r.mutable_ownership_accepted()->set_piece_id(Id("BRACELET-1"));
  ASSIGN_OR_RETURN(v1::PieceState bracelet, FetchPiece(ctx_, Id("BRACELET-1")));
  r.mutable_ownership_accepted()->set_prev_index(bracelet.owner_index());
  RETURN_IF_ERROR(PutRecord(
      "", std::move(r),
      absl::StrCat("takes ownership of ", Id("BRACELET-1"), " (signed by the owner key alone; no ",
                   "recovery terms: nobody else can act for it)"),
      0, &first));
  r.Clear();
  r.mutable_ownership_transferred()->set_piece_id(Id("BRACELET-1"));
  r.mutable_ownership_transferred()->set_prev_index(last_);
  *r.mutable_ownership_transferred()->mutable_new_owner() = second_key;
  RETURN_IF_ERROR(PutRecord("", std::move(r),
                            absl::StrCat("passes ", Id("BRACELET-1"), " on to ", second_label,
                                         " (inheritance; no jeweler involved)"),
                            0, &first));
  r.Clear();
  r.mutable_ownership_accepted()->set_piece_id(Id("BRACELET-1"));
  r.mutable_ownership_accepted()->set_prev_index(last_);
  r.mutable_ownership_accepted()->mutable_terms()->set_recovery_agent(Who("jeweler"));
  RETURN_IF_ERROR(
      PutRecord("", std::move(r),
                absl::StrCat("takes ownership of ", Id("BRACELET-1"), "; names ", Who("jeweler"),
                             " recovery agent (may replace a lost key, nothing else)"),
                0, &second));

  // The stone the owner chose: lab-grown, cut and graded, bought by the jeweler.
  RETURN_IF_ERROR(Lot({.who = "grower",
                       .lot = "rough-3",
                       .material = "diamond",
                       .form = "rough",
                       .origin = v1::ORIGIN_CLASS_LAB_GROWN,
                       .quantity = 1200,
                       .fineness_ptt = 10000,
                       .facility = "Kaveri reactor hall 2, Surat",
                       .certs = {Id("cert-grower")},
                       .note = "CVD-grown"}));
  RETURN_IF_ERROR(Ship("grower", "cutter", "rough-3"));
  // 1200 in; 540 out; 660 lost (550 ppt).
  RETURN_IF_ERROR(Transform("cutter", v1::PROCESS_CUT_AND_POLISH, "diamond", {{"rough-3", 1200}},
                            {{"stone-6", "polished", 540, 10000}}, 660 * 10000,
                            "Scheldt, Antwerp"));
  RETURN_IF_ERROR(Grade(6, v1::STONE_ORIGIN_LAB_GROWN, 540, "E", "VVS2", "5.22 - 5.25 x 3.22 mm"));
  RETURN_IF_ERROR(Ship("cutter", "jeweler", "stone-6"));
  // The alloying metals for 18k, from the maker's stock.
  RETURN_IF_ERROR(Ship("maker", "jeweler", "silver-1"));
  RETURN_IF_ERROR(Ship("maker", "jeweler", "copper-1"));

  // The intake: weighed, photographed (only the photos' SHA-256 is recorded),
  // fire-assayed at 14k; the owner key co-signs. 7812 mg x 5850 = 45 700 200
  // fine units (4.570 g of fine gold) are the owner's.
  v1::Record in;
  v1::HeirloomReceived* h = in.mutable_heirloom_received();
  h->set_intake_id(Id("intake-1"));
  h->set_description("14k yellow gold curb bracelet, 19 cm, worn clasp");
  for (int i = 1; i <= 2; ++i) {
    h->add_photo_sha256(HashBytes(Sha256(
        absl::StrCat("photo ", i, " of intake ", Id("intake-1"), " (kept by the jeweler)"))));
  }
  h->set_gross_weight_mg(7812);
  h->set_lot_id(Id("heirloom-1"));
  h->set_material("gold");
  h->set_metal_mg(7812);
  h->set_fineness_ptt(5850);
  h->set_assay_method(v1::ASSAY_METHOD_FIRE_ASSAY);
  *h->mutable_owner() = second_key;
  h->set_repurposed_piece_id(Id("BRACELET-1"));
  desc_["heirloom-1"] = absl::StrCat(MassText(7812), " gold heirloom @585 (14k)");
  RETURN_IF_ERROR(
      PutRecord("jeweler", std::move(in),
                absl::StrCat("receives the owner's ", Id("BRACELET-1"), " (intake ", Id("intake-1"),
                             ", co-signed by ", second_label, "): lot ", Id("heirloom-1"),
                             ", 7.812 g at 585 by fire assay, 2 photo hashes; the owner's gold: ",
                             HeirloomGramsText(int64_t{7812} * 5850), " fine; ", Id("BRACELET-1"),
                             " is closed"),
                0, &second));

  // Refined: 45 700 200 in; 4565 x 9999 = 45 645 435 out; loss 54 765.
  RETURN_IF_ERROR(Transform("jeweler", v1::PROCESS_REFINE, "gold", {{"heirloom-1", 7812}},
                            {{"heirloom-fine-1", "grain", 4565, 9999}}, 54765, shop, "", true));
  // 18k: 45 645 435 in; 6086 x 7500 = 45 645 000 out; loss 435. Silver and
  // copper alloy the gold; no other gold goes in, so nothing is mixed.
  RETURN_IF_ERROR(Transform("jeweler", v1::PROCESS_ALLOY, "gold",
                            {{"heirloom-fine-1", 4565}, {"silver-1", 761}, {"copper-1", 760}},
                            {{"heirloom-18k-1", "grain", 6086, 7500}}, 435, shop, "", true));
  // Cast: 6050 x 7500 = 45 375 000 out; loss 270 000 (36 mg of 18k).
  RETURN_IF_ERROR(Transform("jeweler", v1::PROCESS_CAST, "gold", {{"heirloom-18k-1", 6086}},
                            {{"heirloom-cast-1", "casting", 6050, 7500}}, 270000, shop, "", true));
  RETURN_IF_ERROR(Piece({.piece = "HEIRLOOM-RING-1",
                         .description = "18k ring made from the owner's own 14k bracelet, 0.54 ct "
                                        "laboratory-grown diamond",
                         .hallmark = "750",
                         .stones = {"stone-6"},
                         .metal = {{"heirloom-cast-1", 6050}},
                         .claims = {"diamond:lab-grown:identity-preserved:100"},
                         .heirloom_claim = true}));
  return SellToKey("HEIRLOOM-RING-1", second, "made to order from the owner's bracelet",
                   absl::StrCat("sells ", Id("HEIRLOOM-RING-1"), " to ", second_label));
}

}  // namespace touchstone::cli
