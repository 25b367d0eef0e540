// touchstone demo, part two (cli_demo.h): the trade as it is.
//   PAVE-1     a pavé ring: a graded lab-grown centre stone and 24 melee drawn
//              from a 100-stone lab-grown parcel by a SPLIT draw;
//   GOLD18-1   18k: 999.9 recycled gold (SCS certified) alloyed with mined
//              silver and copper; the gold is 100% recycled, the alloy is not;
//   MB-1       a mass-balance refiner books certified recycled scrap as credit,
//              refines mined gold at the same site in the same period and
//              allocates credit to 62% of the output's fine weight;
//   NATURAL-1  a natural diamond that entered with a Kimberley Process
//              certificate and travelled with the System of Warranties.
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/provenance/units.h"
#include "services/cli_demo.h"

namespace touchstone::cli {

absl::Status Demo::RunTrade() {
  const std::string refinery = "Alpenrand, Mendrisio", factory = "Berici Oro, Vicenza",
                    cutter = "Scheldt, Antwerp", mine = "Tsodilo, Maun";
  const std::string recycled_gold = "gold:recycled:segregated:100:scs-recycled";

  // PAVE-1. A second rough is cut into a centre stone and a parcel of 100 melee
  // (0.010 ct each); 24 are drawn from the parcel for the ring.
  RETURN_IF_ERROR(Lot({.who = "grower",
                       .lot = "rough-2",
                       .material = "diamond",
                       .form = "rough",
                       .origin = v1::ORIGIN_CLASS_LAB_GROWN,
                       .quantity = 3800,
                       .fineness_ptt = 10000,
                       .facility = "Kaveri reactor hall 2, Surat",
                       .certs = {Id("cert-grower")},
                       .note = "CVD-grown"}));
  RETURN_IF_ERROR(Ship("grower", "cutter", "rough-2"));
  // 3800 in; 750 + 1000 out; 2050 lost (539 ppt).
  const std::string sieve = "+6.5-7.0 (1.3 mm)";
  RETURN_IF_ERROR(Transform(
      "cutter", v1::PROCESS_CUT_AND_POLISH, "diamond", {{"rough-2", 3800}},
      {{"stone-4", "polished", 750, 10000}, {"melee-1", "melee", 1000, 10000, 100, sieve}},
      2050 * 10000, cutter));
  RETURN_IF_ERROR(Grade(4, v1::STONE_ORIGIN_LAB_GROWN, 750, "F", "VS1", "5.84 - 5.87 x 3.60 mm"));
  RETURN_IF_ERROR(Transform("cutter", v1::PROCESS_SPLIT, "diamond", {{"melee-1", 240, 24}},
                            {{"melee-24", "melee", 240, 10000, 24, sieve}}, 0, cutter));
  RETURN_IF_ERROR(Ship("cutter", "jeweler", "stone-4"));
  RETURN_IF_ERROR(Ship("cutter", "jeweler", "melee-24"));
  RETURN_IF_ERROR(Piece({.piece = "PAVE-1",
                         .description = "18k pavé ring, 0.75 ct laboratory-grown diamond centre "
                                        "stone and 24 laboratory-grown melee (0.24 ct)",
                         .hallmark = "750",
                         .stones = {"stone-4"},
                         .metal = {{"cast-1", 4200}},
                         .parcels = {"melee-24"},
                         .claims = {"diamond:lab-grown:identity-preserved:100", recycled_gold}}));

  // GOLD18-1. 40 g of the 999.9 recycled grain with 6.664 g of mined silver and
  // 6.664 g of mined copper: 40000 x 9999 = 399 960 000 = 53328 x 7500, nothing lost.
  RETURN_IF_ERROR(Lot({.who = "miner",
                       .lot = "silver-1",
                       .material = "silver",
                       .form = "grain",
                       .origin = v1::ORIGIN_CLASS_MINED,
                       .quantity = 20000,
                       .fineness_ptt = 9990,
                       .facility = mine,
                       .note = "by-product of the gold circuit"}));
  RETURN_IF_ERROR(Lot({.who = "miner",
                       .lot = "copper-1",
                       .material = "copper",
                       .form = "grain",
                       .origin = v1::ORIGIN_CLASS_MINED,
                       .quantity = 20000,
                       .fineness_ptt = 9999,
                       .facility = mine,
                       .note = "cathode copper, cut"}));
  RETURN_IF_ERROR(Ship("miner", "maker", "silver-1"));
  RETURN_IF_ERROR(Ship("miner", "maker", "copper-1"));
  RETURN_IF_ERROR(Ship("refiner", "maker", "grain-1b"));
  RETURN_IF_ERROR(Transform("maker", v1::PROCESS_ALLOY, "gold",
                            {{"grain-1b", 40000}, {"silver-1", 6664}, {"copper-1", 6664}},
                            {{"18k-2", "castings", 53328, 7500}}, 0, factory));
  RETURN_IF_ERROR(Ship("maker", "jeweler", "18k-2"));
  RETURN_IF_ERROR(Piece({.piece = "GOLD18-1",
                         .description = "18k recycled gold signet ring",
                         .hallmark = "750",
                         .metal = {{"18k-2", 12500}},
                         .claims = {recycled_gold}}));

  // MB-1. The refiner's account for recycled gold at the refinery this quarter.
  const int64_t day = int64_t{86400} * 1'000'000, today = Now() / day * day;
  v1::Record open;
  v1::CreditAccountOpened* a = open.mutable_credit_account_opened();
  a->set_account_id(Id("mb-account"));
  a->set_site(refinery);
  a->set_material("gold");
  a->set_attribute(v1::ATTRIBUTE_RECYCLED);
  a->set_period_start_micros(today);
  a->set_period_end_micros(today + 92 * day);
  a->set_certificate_id(Id("cert-refiner"));
  RETURN_IF_ERROR(PutRecord(
      "refiner", std::move(open),
      absl::StrCat("opens mass-balance account ", Id("mb-account"), ": recycled gold at ", refinery,
                   ", 92 days from today, backed by ", Id("cert-refiner"), " (rjc-coc)")));
  RETURN_IF_ERROR(Lot({.who = "recycler",
                       .lot = "scrap-mb",
                       .material = "gold",
                       .form = "scrap",
                       .origin = v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER,
                       .quantity = 150000,
                       .fineness_ptt = 7500,
                       .facility = "Greenloop, Birmingham",
                       .certs = {Id("cert-recycler")},
                       .note = "old 18k jewellery"}));
  RETURN_IF_ERROR(Ship("recycler", "refiner", "scrap-mb"));
  RETURN_IF_ERROR(Credit("refiner", "mb-account", "scrap-mb", false, 0));
  RETURN_IF_ERROR(Lot({.who = "miner",
                       .lot = "dore-1",
                       .material = "gold",
                       .form = "dore",
                       .origin = v1::ORIGIN_CLASS_MINED,
                       .quantity = 60000,
                       .fineness_ptt = 9000,
                       .facility = mine,
                       .note = "doré bar"}));
  RETURN_IF_ERROR(Ship("miner", "refiner", "dore-1"));
  // The booked scrap no longer carries "recycled" itself (nor does anything made
  // from it: the rules give it no credit either); the mined doré is refined and
  // 62% of the grain's fine weight gets the credit: 54000 x 9999 = 539 946 000
  // out of 60000 x 9000 = 540 000 000 in.
  RETURN_IF_ERROR(Transform("refiner", v1::PROCESS_REFINE, "gold", {{"dore-1", 60000}},
                            {{"grain-mb", "grain", 54000, 9999}}, 54000, refinery,
                            Id("cert-refiner")));
  RETURN_IF_ERROR(Credit("refiner", "mb-account", "grain-mb", true, 6200));
  RETURN_IF_ERROR(Ship("refiner", "jeweler", "grain-mb"));
  RETURN_IF_ERROR(Piece({.piece = "MB-1",
                         .description = "999.9 gold bangle",
                         .hallmark = "999.9",
                         .metal = {{"grain-mb", 20000}},
                         .claims = {"gold:recycled:mass-balance:62:mb-account:rjc-coc"}}));

  // NATURAL-1. Rough exported from Botswana under a KP certificate; every
  // invoice after it carries the System of Warranties statement.
  RETURN_IF_ERROR(KimberleyProcess(1, 2100));
  RETURN_IF_ERROR(Lot({.who = "miner",
                       .lot = "rough-n1",
                       .material = "diamond",
                       .form = "rough",
                       .origin = v1::ORIGIN_CLASS_MINED,
                       .quantity = 2100,
                       .fineness_ptt = 10000,
                       .facility = "Tsodilo, Orapa",
                       .certs = {Id("kp-1")},
                       .note = "one rough, KP parcel 1"}));
  RETURN_IF_ERROR(Ship("miner", "cutter", "rough-n1"));
  // 2100 in; 800 out; 1300 lost (619 ppt).
  RETURN_IF_ERROR(Transform("cutter", v1::PROCESS_CUT_AND_POLISH, "diamond", {{"rough-n1", 2100}},
                            {{"stone-5", "polished", 800, 10000}}, 1300 * 10000, cutter));
  RETURN_IF_ERROR(Grade(5, v1::STONE_ORIGIN_NATURAL, 800, "G", "VS2", "5.95 - 5.98 x 3.68 mm"));
  RETURN_IF_ERROR(Ship("cutter", "jeweler", "stone-5"));
  return Piece({.piece = "NATURAL-1",
                .description = "18k solitaire ring, 0.80 ct natural diamond",
                .hallmark = "750",
                .stones = {"stone-5"},
                .metal = {{"cast-1", 3600}},
                .claims = {"diamond:natural:identity-preserved:100:kp-bw", recycled_gold}});
}

}  // namespace touchstone::cli
