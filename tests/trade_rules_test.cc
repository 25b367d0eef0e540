// The trade rules (rules version 2) for schemes, certificates, lots entering
// the ledger, shipments of natural diamonds and parcels: for each rule, the
// way it holds and each way of breaking it (refused with its code and
// message, nothing appended, state unchanged). Pieces and mass balance:
// trade_claims_test.cc.
#include "gtest/gtest.h"
#include "tests/trade_test_util.h"

namespace touchstone::testing {
namespace {

using Code = absl::StatusCode;
constexpr auto kMined = v1::ORIGIN_CLASS_MINED;
constexpr auto kPost = v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER;
constexpr auto kLabGrown = v1::ORIGIN_CLASS_LAB_GROWN;

class TradeRulesTest : public TradeFixture {};

TEST_F(TradeRulesTest, ASchemeIsRegisteredOnceByTheOperatorForACertifier) {
  EXPECT_EQ(GetScheme("rjc-coc").issuer(), "rjc");
  EXPECT_EQ(GetScheme("rjc-coc").kind(), v1::SCHEME_KIND_CHAIN_OF_CUSTODY);
  ExpectRefused(Scheme("RJC CoC", rjc.id, v1::SCHEME_KIND_CHAIN_OF_CUSTODY), Code::kInvalidArgument,
                "scheme name 'RJC CoC' must be");
  ExpectRefused(Scheme("lbma", rjc.id, v1::SCHEME_KIND_UNSPECIFIED), Code::kInvalidArgument,
                "a scheme needs a known kind");
  ExpectRefused(Scheme("lbma", "nobody", v1::SCHEME_KIND_RESPONSIBLE_SOURCING), Code::kNotFound,
                "nobody");
  ExpectRefused(Scheme("lbma", jeweler.id, v1::SCHEME_KIND_RESPONSIBLE_SOURCING),
                Code::kFailedPrecondition, "must hold the role certifier; 'jeweler' does not");
  ExpectRefused(Scheme("rjc-coc", scs.id, v1::SCHEME_KIND_CHAIN_OF_CUSTODY), Code::kAlreadyExists,
                "scheme 'rjc-coc' is already registered");
  v1::Record by_refiner = Scheme("lbma", rjc.id, v1::SCHEME_KIND_RESPONSIBLE_SOURCING);
  by_refiner.set_signer(refiner.id);
  by_refiner.set_key_id(refiner.key.public_key().Fingerprint());
  ExpectRefused(by_refiner, Code::kPermissionDenied, "role rule");
  EXPECT_EQ(GetScheme("rjc-coc").issuer(), "rjc") << "a refused registration changed the scheme";
  EXPECT_EQ(GetScheme("lbma").scheme(), "");
}

TEST_F(TradeRulesTest, ACertificateIsSignedByItsSchemesRegisteredIssuer) {
  Accept(Cert(rjc, "coc-1", "rjc-coc", refiner.id));
  EXPECT_EQ(GetCertificate("coc-1").issuer(), "rjc");
  // A certifier that is not the registered issuer signs an "RJC" certificate.
  Identity fake = Register("fake-rjc", v1::ROLE_CERTIFIER);
  ExpectRefused(Cert(fake, "coc-fake", "rjc-coc", refiner.id), Code::kPermissionDenied,
                "scheme rule: certificate under scheme 'rjc-coc' is signed by 'fake-rjc'; the log "
                "pins 'rjc' as its issuer");
  ExpectRefused(Cert(rjc, "lbma-1", "lbma-rgg", refiner.id), Code::kFailedPrecondition,
                "scheme rule: scheme 'lbma-rgg' is not registered");
  ExpectRefused(Cert(igi, "igi-coc", "igi", refiner.id), Code::kFailedPrecondition,
                "a grading laboratory issues only grading and parcel reports");
  v1::Record kp_by_rjc = Cert(rjc, "kp-rjc", "rjc-coc", refiner.id);
  kp_by_rjc.mutable_certificate_issued()->mutable_kimberley_process()->set_certificate_number("X");
  ExpectRefused(kp_by_rjc, Code::kFailedPrecondition, "Kimberley Process certificates come from");
  v1::Record no_algorithm = Cert(rjc, "coc-2", "rjc-coc", refiner.id);
  no_algorithm.mutable_certificate_issued()->clear_document_hash_algorithm();
  ExpectRefused(no_algorithm, Code::kInvalidArgument, "document_hash_algorithm \"sha-256\"");
  v1::Record md5 = Cert(rjc, "coc-2", "rjc-coc", refiner.id);
  md5.mutable_certificate_issued()->set_document_hash_algorithm("md5");
  ExpectRefused(md5, Code::kInvalidArgument, "document_hash_algorithm \"sha-256\"");
  v1::Record no_type = Cert(rjc, "coc-2", "rjc-coc", refiner.id);
  no_type.mutable_certificate_issued()->clear_document_media_type();
  ExpectRefused(no_type, Code::kInvalidArgument, "document_media_type");
  for (const char* id : {"coc-fake", "lbma-1", "igi-coc", "kp-rjc", "coc-2"}) {
    EXPECT_EQ(GetCertificate(id).certificate_id(), "") << id;
  }
  // Its status is changed by its issuer alone.
  ExpectRefused(StatusChange(fake, "coc-1", v1::CERTIFICATE_STATUS_REVOKED),
                Code::kPermissionDenied, "only the issuer 'rjc'");
}

TEST_F(TradeRulesTest, ReportNumbersAndInscriptionsAreUniquePerLaboratory) {
  Identity gia = Register("gia", v1::ROLE_CERTIFIER);
  Accept(Scheme("gia", gia.id, v1::SCHEME_KIND_GRADING_LABORATORY));
  Accept(LotT(grower, "lg-a", "diamond", kLabGrown, 1000, 10000));
  Accept(LotT(grower, "lg-b", "diamond", kLabGrown, 1000, 10000));
  v1::Record a = Report("r-a", "lg-a", v1::STONE_ORIGIN_LAB_GROWN, 1000);
  a.mutable_certificate_issued()->mutable_grading_report()->set_report_number("N-1");
  a.mutable_certificate_issued()->mutable_grading_report()->set_inscription("I-1");
  Accept(a);
  v1::Record same_lab = Report("r-b", "lg-b", v1::STONE_ORIGIN_LAB_GROWN, 1000);
  same_lab.mutable_certificate_issued()->mutable_grading_report()->set_report_number("N-1");
  ExpectRefused(same_lab, Code::kFailedPrecondition,
                "stone rule: report number 'N-1' already identifies lot 'lg-a'");
  v1::Record same_inscription = Report("r-b", "lg-b", v1::STONE_ORIGIN_LAB_GROWN, 1000);
  same_inscription.mutable_certificate_issued()->mutable_grading_report()->set_inscription("I-1");
  ExpectRefused(same_inscription, Code::kFailedPrecondition,
                "stone rule: inscription 'I-1' already identifies lot 'lg-a'");
  EXPECT_EQ(GetLot("lg-b").grading_report_id(), "");
  // Another laboratory may use the same number and inscription.
  v1::Record other_lab = Grading(gia, "r-gia", "lg-b", v1::STONE_ORIGIN_LAB_GROWN, 1000);
  other_lab.mutable_certificate_issued()->set_scheme("gia");
  other_lab.mutable_certificate_issued()->mutable_grading_report()->set_report_number("N-1");
  other_lab.mutable_certificate_issued()->mutable_grading_report()->set_inscription("I-1");
  Accept(other_lab);
  EXPECT_EQ(State<v1::StoneIdentity>(ReportNumberKey("igi", "N-1"))->lot_id(), "lg-a");
  EXPECT_EQ(State<v1::StoneIdentity>(ReportNumberKey("gia", "N-1"))->lot_id(), "lg-b");
  EXPECT_EQ(State<v1::StoneIdentity>(InscriptionKey("gia", "I-1"))->lot_id(), "lg-b");
}

TEST_F(TradeRulesTest, FinenessIsStatedInPartsPerTenThousandAndConserved) {
  v1::Record ppt = GoldLot(miner, "g-ppt", kMined, 1000, 999);
  ExpectRefused(ppt, Code::kInvalidArgument, "fineness_ppt is only for logs written before them");
  v1::Record both = LotT(miner, "g-both", "gold", kMined, 1000, 9999);
  both.mutable_lot_created()->set_fineness_ppt(999);
  ExpectRefused(both, Code::kInvalidArgument, "not both");
  ExpectRefused(LotT(miner, "g-over", "gold", kMined, 1000, 10001), Code::kInvalidArgument,
                "fineness_ptt must be 1 to 10000");
  ExpectRefused(LotT(miner, "g-none", "gold", kMined, 1000, 0), Code::kInvalidArgument,
                "fineness_ptt must be 1 to 10000");
  ExpectRefused(LotT(grower, "s-9999", "diamond", kLabGrown, 1000, 9999), Code::kInvalidArgument,
                "stones have full fineness");
  for (const char* id : {"g-ppt", "g-both", "g-over", "g-none", "s-9999"}) {
    EXPECT_EQ(GetLot(id).lot_id(), "") << id;
  }
  // 999.9 gold refined to pure: 10000 mg x 9999 = 9990 mg x 10000 + a loss of 90000.
  Accept(LotT(refiner, "g", "gold", kMined, 10000, 9999));
  EXPECT_EQ(GetLot("g").fineness_ptt(), 9999);
  v1::Record legacy_out = TransformT(refiner, "t-1", v1::PROCESS_REFINE, "gold", {{"g", 10000}},
                                     {{"g-pure", 9990, 10000}}, 90000);
  legacy_out.mutable_transformation()->mutable_outputs(0)->set_fineness_ptt(0);
  legacy_out.mutable_transformation()->mutable_outputs(0)->set_fineness_ppt(1000);
  ExpectRefused(legacy_out, Code::kInvalidArgument, "fineness_ppt is only for logs");
  v1::Record legacy_loss = TransformT(refiner, "t-1", v1::PROCESS_REFINE, "gold", {{"g", 10000}},
                                      {{"g-pure", 9990, 10000}});
  legacy_loss.mutable_transformation()->set_declared_loss_fine(9000);
  ExpectRefused(legacy_loss, Code::kInvalidArgument,
                "declare their loss in declared_loss_fine_ptt");
  ExpectRefused(TransformT(refiner, "t-1", v1::PROCESS_REFINE, "gold", {{"g", 10000}},
                           {{"g-pure", 9990, 10000}}, 89999),
                Code::kFailedPrecondition,
                "mass conservation: inputs hold 99990000 fine units of gold; outputs 99900000 plus "
                "declared loss 89999 make 99989999");
  EXPECT_EQ(GetLot("g").balance(), 10000);
  Accept(TransformT(refiner, "t-1", v1::PROCESS_REFINE, "gold", {{"g", 10000}},
                    {{"g-pure", 9990, 10000}}, 90000));
  EXPECT_EQ(GetLot("g-pure").fineness_ptt(), 10000);
  EXPECT_EQ(GetLot("g").balance(), 0);
}

TEST_F(TradeRulesTest, RecycledMaterialEntersCitingACertifiedScheme) {
  Identity lbma = Register("lbma", v1::ROLE_CERTIFIER);
  Accept(Scheme("lbma-rgg", lbma.id, v1::SCHEME_KIND_RESPONSIBLE_SOURCING));
  Accept(Cert(lbma, "rgg-1", "lbma-rgg", recycler.id));
  Accept(Cert(scs, "scs-1", "scs-recycled", recycler.id));
  Accept(Cert(rjc, "coc-1", "rjc-coc", recycler.id));
  ExpectRefused(LotT(recycler, "scrap", "gold", kPost, 5000, 9000), Code::kFailedPrecondition,
                "recycled rule: recycled lot 'scrap' must cite a certificate");
  ExpectRefused(LotT(recycler, "scrap", "gold", kPost, 5000, 9000, {"rgg-1"}),
                Code::kFailedPrecondition, "recycled rule");
  EXPECT_EQ(GetLot("scrap").lot_id(), "");
  Accept(LotT(recycler, "scrap", "gold", kPost, 5000, 9000, {"scs-1"}));
  EXPECT_EQ(GetLot("scrap").origin_schemes(0), "scs-recycled");
  Accept(LotT(recycler, "scrap-2", "gold", kPost, 5000, 9000, {"coc-1", "rgg-1"}));
  EXPECT_EQ(GetLot("scrap-2").sources(0), "scrap-2");
  EXPECT_EQ(GetLot("scrap-2").site(), "facility of recycler");
}

TEST_F(TradeRulesTest, NaturalRoughEntersWithAKimberleyProcessCertificate) {
  Accept(KpCert("kp-small", miner.id, 4000));
  Accept(KpCert("kp-1", miner.id, 6000));
  ExpectRefused(LotT(miner, "rough", "diamond", kMined, 5000, 10000), Code::kFailedPrecondition,
                "kimberley process rule: natural diamond lot 'rough' must cite a Kimberley");
  ExpectRefused(LotT(miner, "rough", "diamond", kMined, 5000, 10000, {"kp-small"}),
                Code::kFailedPrecondition,
                "the Kimberley Process certificate covers 4000 thousandths of a carat; lot 'rough' "
                "weighs 5000");
  EXPECT_EQ(GetLot("rough").lot_id(), "");
  Accept(LotT(miner, "rough", "diamond", kMined, 5000, 10000, {"kp-1"}));
  EXPECT_TRUE(GetLot("rough").natural_chain());
  EXPECT_EQ(GetLot("rough").origin_schemes(0), "kp-bw");
}

TEST_F(TradeRulesTest, NaturalDiamondsShipWithTheSystemOfWarranties) {
  Accept(KpCert("kp-1", miner.id, 6000));
  Accept(LotT(miner, "rough", "diamond", kMined, 5000, 10000, {"kp-1"}));
  Accept(LotT(miner, "au", "gold", kMined, 5000, 9999));
  ExpectRefused(ShipT(miner, "s-1", "rough", cutter.id, ""), Code::kFailedPrecondition,
                "warranty rule: lot 'rough' is natural diamond");
  ExpectRefused(ShipT(miner, "s-1", "rough", cutter.id, "The diamonds herein are fine."),
                Code::kFailedPrecondition, "warranty rule");
  ExpectRefused(ShipT(miner, "s-2", "au", cutter.id), Code::kInvalidArgument,
                "only natural diamonds carry a System of Warranties statement");
  EXPECT_EQ(GetLot("rough").shipment_id(), "");
  EXPECT_EQ(GetLot("au").shipment_id(), "");
  Accept(ShipT(miner, "s-1", "rough", cutter.id));
  Accept(Receive(cutter, "s-1", "rough"));
  EXPECT_TRUE(GetLot("rough").natural_chain());
  EXPECT_EQ(GetLot("rough").custodian(), "cutter");
}

TEST_F(TradeRulesTest, ColouredGemstonesDiscloseSpeciesAndTreatment) {
  ExpectRefused(LotT(miner, "ruby", "ruby", kMined, 2000, 10000), Code::kInvalidArgument,
                "disclosure rule: a coloured gemstone (ruby) needs its species and treatment");
  v1::Record gold = LotT(miner, "au", "gold", kMined, 2000, 9999);
  gold.mutable_lot_created()->mutable_gemstone()->set_species("corundum");
  ExpectRefused(gold, Code::kInvalidArgument, "only a coloured gemstone lot carries");
  EXPECT_EQ(GetLot("ruby").lot_id(), "");
  v1::Record ruby = LotT(miner, "ruby", "ruby", kMined, 2000, 10000);
  ruby.mutable_lot_created()->mutable_gemstone()->set_species("corundum (ruby)");
  ruby.mutable_lot_created()->mutable_gemstone()->set_treatment("heated");
  Accept(ruby);
}

TEST_F(TradeRulesTest, ParcelsAreDrawnByCountAndWeightWithTheRemainderStated) {
  v1::Record bad_parcel = ParcelLot(grower, "p", kLabGrown, 0, 2000);
  ExpectRefused(bad_parcel, Code::kInvalidArgument, "a parcel needs a stone_count of at least 1");
  Accept(ParcelLot(grower, "p", kLabGrown, 100, 2000));
  EXPECT_EQ(GetLot("p").stones_balance(), 100);
  const auto split = [&](std::vector<In> in, std::vector<OutT> out) {
    return TransformT(grower, "split-1", v1::PROCESS_SPLIT, "diamond", in, out);
  };
  ExpectRefused(split({{"p", 480}}, {{"p24", 480, 10000, 24}}), Code::kInvalidArgument,
                "lot 'p' is a parcel: a draw states the stones it takes");
  ExpectRefused(split({{"p", 480, 24, 77, 1520}}, {{"p24", 480, 10000, 24}}),
                Code::kFailedPrecondition,
                "parcel rule: the draw from parcel 'p' states 77 stones weighing 1520 left");
  ExpectRefused(split({{"p", 480, 24, 76, 1520}}, {{"p24", 480, 10000, 23}}),
                Code::kInvalidArgument, "parcel rule: outputs with stones come from a split");
  ExpectRefused(split({{"p", 480, 24, 76, 1520}}, {{"p24", 480, 10000, 0}}), Code::kInvalidArgument,
                "every output of a transformation that only draws");
  ExpectRefused(split({{"p", 2000, 99, 1, 0}}, {{"p99", 2000, 10000, 99}}),
                Code::kFailedPrecondition, "the last stone goes with the last weight");
  EXPECT_EQ(GetLot("p").stones_balance(), 100);
  EXPECT_EQ(GetLot("p").balance(), 2000);
  Accept(split({{"p", 480, 24, 76, 1520}}, {{"p24", 480, 10000, 24}}));
  EXPECT_EQ(GetLot("p").stones_balance(), 76);
  EXPECT_EQ(GetLot("p").balance(), 1520);
  EXPECT_EQ(GetLot("p24").stones(), 24);
  EXPECT_EQ(GetLot("p24").stone_origin(), v1::STONE_ORIGIN_LAB_GROWN);
  Accept(TransformT(grower, "split-2", v1::PROCESS_SPLIT, "diamond", {{"p", 1400, 70, 6, 120}},
                    {{"p70", 1400, 10000, 70}}));
  // A second draw past the parcel's count: 6 stones are left, not 24.
  ExpectRefused(TransformT(grower, "split-3", v1::PROCESS_SPLIT, "diamond", {{"p", 120, 24, 0, 0}},
                           {{"p-x", 120, 10000, 24}}),
                Code::kFailedPrecondition,
                "parcel rule: parcel 'p' holds 6 stones weighing 120; the draw takes 24");
  EXPECT_EQ(GetLot("p-x").lot_id(), "");
  // A lot that is not a parcel states no draw; rough is cut into a parcel of melee.
  Accept(LotT(grower, "rough", "diamond", kLabGrown, 5000, 10000));
  ExpectRefused(TransformT(grower, "cut-1", v1::PROCESS_CUT_AND_POLISH, "diamond",
                           {{"rough", 5000, 50, 0, 0}}, {{"melee", 1500, 10000, 50}}, 35000000),
                Code::kInvalidArgument, "lot 'rough' is not a parcel");
  Accept(TransformT(grower, "cut-1", v1::PROCESS_CUT_AND_POLISH, "diamond", {{"rough", 5000}},
                    {{"melee", 1500, 10000, 50}}, 35000000));
  EXPECT_EQ(GetLot("melee").stones_balance(), 50);
}

}  // namespace
}  // namespace touchstone::testing
