// touchstone demo, part one (cli_demo.h): the schemes are registered and
// certify the suppliers; old gold jewellery becomes 18k castings, a lab-grown
// rough becomes three graded stones, and the jeweler makes, sells, repairs and
// corrects RING-1, PENDANT-1 and BAND-1, each with its material claims. With
// --sealed the gold's suppliers seal their records (docs/confidential.md),
// and RING-1's registration is sealed with its inputs opened in its bundle.
#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "ledger/base/status_macros.h"
#include "services/cli_demo.h"

namespace touchstone::cli {

absl::Status Demo::RunSetup() {
  // 1. The operator pins who signs for each scheme; the schemes certify the suppliers.
  RETURN_IF_ERROR(RegisterScheme("rjc-coc", "rjc", v1::SCHEME_KIND_CHAIN_OF_CUSTODY,
                                 "Responsible Jewellery Council, Chain-of-Custody"));
  RETURN_IF_ERROR(RegisterScheme("rjc-cop", "rjc", v1::SCHEME_KIND_RESPONSIBLE_SOURCING,
                                 "Responsible Jewellery Council, Code of Practices"));
  RETURN_IF_ERROR(RegisterScheme("scs-recycled", "scs", v1::SCHEME_KIND_RECYCLED_CONTENT,
                                 "SCS Recycled Content Certification"));
  RETURN_IF_ERROR(RegisterScheme("igi", "igi", v1::SCHEME_KIND_GRADING_LABORATORY,
                                 "International Gemological Institute"));
  RETURN_IF_ERROR(RegisterScheme("kp-bw", "kp-bw", v1::SCHEME_KIND_KIMBERLEY_PROCESS,
                                 "Kimberley Process Certification Scheme, Botswana"));
  RETURN_IF_ERROR(
      Certify("scs", "scs-recycled", "recycler", "post-consumer gold scrap, Birmingham"));
  RETURN_IF_ERROR(Certify("rjc", "rjc-coc", "refiner", "refining of recycled gold, Mendrisio"));
  RETURN_IF_ERROR(Certify("rjc", "rjc-cop", "grower", "CVD lab-grown diamonds, Surat"));
  return absl::OkStatus();
}

absl::Status Demo::RunStory() {
  // 2. Recycled gold: old jewellery melted, refined to 999.9, split, alloyed to 18k, cast.
  // The suppliers seal their records (cli_demo.h): the ring's bundle shows who made
  // what from which lot, in which order, under which certificates, but not how much.
  seal_suppliers_ = sealed_demo_;
  const auto post = v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER;
  const std::string yard = "Greenloop, Birmingham", refinery = "Alpenrand, Mendrisio",
                    factory = "Berici Oro, Vicenza";
  RETURN_IF_ERROR(Lot({.who = "recycler",
                       .lot = "scrap-14k",
                       .material = "gold",
                       .form = "scrap",
                       .origin = post,
                       .quantity = 150000,
                       .fineness_ptt = 5850,
                       .facility = yard,
                       .certs = {Id("cert-recycler")},
                       .note = "old 14k jewellery"}));
  RETURN_IF_ERROR(Lot({.who = "recycler",
                       .lot = "scrap-18k",
                       .material = "gold",
                       .form = "scrap",
                       .origin = post,
                       .quantity = 100000,
                       .fineness_ptt = 7500,
                       .facility = yard,
                       .certs = {Id("cert-recycler")},
                       .note = "old 18k jewellery"}));
  // 150000 x 5850 + 100000 x 7500 = 1 627 500 000 = 250000 x 6510: one bar, nothing lost.
  RETURN_IF_ERROR(Transform("recycler", v1::PROCESS_MERGE, "gold",
                            {{"scrap-14k", 150000}, {"scrap-18k", 100000}},
                            {{"melt-1", "bar", 250000, 6510}}, 0, yard));
  RETURN_IF_ERROR(Ship("recycler", "refiner", "melt-1"));
  // In 1 627 500 000 fine units; out 162500 x 9999 = 1 624 837 500; loss 2 662 500 (1.6 ppt).
  RETURN_IF_ERROR(Transform("refiner", v1::PROCESS_REFINE, "gold", {{"melt-1", 250000}},
                            {{"grain-1", "grain", 162500, 9999}}, 2662500, refinery,
                            Id("cert-refiner")));
  RETURN_IF_ERROR(
      Transform("refiner", v1::PROCESS_SPLIT, "gold", {{"grain-1", 162500}},
                {{"grain-1a", "grain", 100000, 9999}, {"grain-1b", "grain", 62500, 9999}}, 0,
                refinery, Id("cert-refiner")));
  // The refiner supplies the silver-copper that turns fine gold into 18k yellow gold.
  RETURN_IF_ERROR(Lot({.who = "refiner",
                       .lot = "agcu-1",
                       .material = "silver-copper",
                       .form = "grain",
                       .origin = v1::ORIGIN_CLASS_RECYCLED_PRE_CONSUMER,
                       .quantity = 40000,
                       .fineness_ptt = 10000,
                       .facility = refinery,
                       .certs = {Id("cert-refiner")},
                       .note = "master alloy for 18k yellow"}));
  RETURN_IF_ERROR(Ship("refiner", "maker", "grain-1a"));
  RETURN_IF_ERROR(Ship("refiner", "maker", "agcu-1"));
  // In 100000 x 9999 = 999 900 000; out 133300 x 7500 = 999 750 000; loss 150 000.
  RETURN_IF_ERROR(Transform("maker", v1::PROCESS_ALLOY, "gold",
                            {{"grain-1a", 100000}, {"agcu-1", 33300}},
                            {{"18k-1", "grain", 133300, 7500}}, 150000, factory));
  // In 999 750 000; out 133100 x 7500 = 998 250 000; loss 1 500 000.
  RETURN_IF_ERROR(Transform("maker", v1::PROCESS_CAST, "gold", {{"18k-1", 133300}},
                            {{"cast-1", "castings", 133100, 7500}}, 1500000, factory));
  RETURN_IF_ERROR(Ship("maker", "jeweler", "cast-1"));

  // The grower and the cutter publish theirs: a stone's weight is on its grading
  // report anyway, and the page shows each stone's carats.
  seal_suppliers_ = false;

  // 3. A lab-grown diamond: grown, cut into three stones, graded by IGI.
  RETURN_IF_ERROR(Lot({.who = "grower",
                       .lot = "rough-1",
                       .material = "diamond",
                       .form = "rough",
                       .origin = v1::ORIGIN_CLASS_LAB_GROWN,
                       .quantity = 3420,
                       .fineness_ptt = 10000,
                       .facility = "Kaveri reactor hall 2, Surat",
                       .certs = {Id("cert-grower")},
                       .note = "CVD-grown"}));
  RETURN_IF_ERROR(Ship("grower", "cutter", "rough-1"));
  // 3420 in; 520 + 510 + 505 = 1535 out; 1885 lost (551 ppt, within the 700 allowed).
  RETURN_IF_ERROR(Transform("cutter", v1::PROCESS_CUT_AND_POLISH, "diamond", {{"rough-1", 3420}},
                            {{"stone-1", "polished", 520, 10000},
                             {"stone-2", "polished", 510, 10000},
                             {"stone-3", "polished", 505, 10000}},
                            1885 * 10000, "Scheldt, Antwerp"));
  const auto grown = v1::STONE_ORIGIN_LAB_GROWN;
  RETURN_IF_ERROR(Grade(1, grown, 520, "E", "VS1", "5.16 - 5.19 x 3.19 mm"));
  RETURN_IF_ERROR(Grade(2, grown, 510, "F", "VS2", "5.12 - 5.15 x 3.17 mm"));
  RETURN_IF_ERROR(Grade(3, grown, 505, "F", "VS1", "5.10 - 5.13 x 3.16 mm"));
  for (const char* stone : {"stone-1", "stone-2", "stone-3"}) {
    RETURN_IF_ERROR(Ship("cutter", "jeweler", stone));
  }

  // 4. The jeweler makes three pieces and sells one; the story goes on after the sale.
  // The gold came from two scrap lots (segregated, not identity preserved); each
  // stone from one rough (identity preserved).
  const std::string gold = "gold:recycled:segregated:100:scs-recycled",
                    grown_diamond = "diamond:lab-grown:identity-preserved:100";
  RETURN_IF_ERROR(Piece({.piece = "RING-1",
                         .description = "18k solitaire ring, 0.52 ct lab-grown diamond",
                         .hallmark = "750",
                         .stones = {"stone-1"},
                         .metal = {{"cast-1", 3850}},
                         .claims = {gold, grown_diamond},
                         .disclose_inputs = sealed_demo_}));
  RETURN_IF_ERROR(Piece({.piece = "PENDANT-1",
                         .description = "18k pendant, 0.51 ct lab-grown diamond",
                         .hallmark = "750",
                         .stones = {"stone-2"},
                         .metal = {{"cast-1", 2100}},
                         .claims = {gold, grown_diamond}}));
  RETURN_IF_ERROR(Piece({.piece = "BAND-1",
                         .description = "18k wedding band, 4 mm",
                         .hallmark = "750",
                         .metal = {{"cast-1", 5600}},
                         .claims = {gold}}));
  const std::string customer = absl::StrCat("customer ", serial_);
  RETURN_IF_ERROR(Sell("RING-1", customer, "sold in the Bath shop",
                       "sells " + Id("RING-1") + "; owner recorded only as a salted SHA-256"));
  RETURN_IF_ERROR(Sell("BAND-1", customer, "sold in the Bath shop",
                       absl::StrCat("sells ", Id("BAND-1"), " to the same customer; a fresh ",
                                    "salt, so the two sales do not link")));
  // The lab re-examines stone 2 after it was set: its report is revoked from now
  // on; the pendant's registration stays valid (the report was valid then).
  const int64_t t = Now();
  RETURN_IF_ERROR(Put("igi",
                      absl::Substitute(R"(certificate_status_changed { certificate_id: "$0"
                                          status: CERTIFICATE_STATUS_REVOKED
                                          reason: "re-examination: colour is G, not F"
                                          effective_micros: $1 })",
                                       Id("report-2"), t),
                      absl::StrCat("revokes report ", Id("report-2"), " of ", Id("stone-2"),
                                   " (colour is G, not F), already used in ", Id("PENDANT-1")),
                      t));
  // The replacement comes from the same rough: the pendant's claims still hold.
  RETURN_IF_ERROR(Put("jeweler",
                      absl::Substitute(R"(stone_replaced { piece_id: "$0" old_stone_lot_id: "$1"
                                          new_stone_lot_id: "$2" reason: "report revoked" })",
                                       Id("PENDANT-1"), Id("stone-2"), Id("stone-3")),
                      absl::StrCat("replaces ", Id("stone-2"), " in ", Id("PENDANT-1"), " with ",
                                   Id("stone-3"), "; ", Id("stone-2"), " is released")));
  // A repair booked on the wrong piece, booked again on the right one, and the
  // first record declared wrong: records are never edited or deleted.
  RETURN_IF_ERROR(Lifecycle("BAND-1", "REPAIRED", "resized from 52 to 54",
                            "books a repair (resized from 52 to 54) on " + Id("BAND-1")));
  const uint64_t wrong = last_;
  RETURN_IF_ERROR(Lifecycle("RING-1", "REPAIRED", "resized from 52 to 54",
                            "books the same repair on " + Id("RING-1") + ", the right piece"));
  return Put("jeweler",
             absl::Substitute(R"(error_declared { wrong_index: $0 replacement_index: $1
                                 reason: "repair booked on the wrong piece" })",
                              wrong, last_),
             absl::StrCat("declares entry ", wrong, " wrong (wrong piece); entry ", last_,
                          " replaces it"));
}

}  // namespace touchstone::cli
