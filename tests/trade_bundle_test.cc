// The bundle verifier under the trade rules (LogPolicy.rules_version 2), with
// logs the test controls (tests/support/fake_log.h): for each rule of
// ledger/bundle/bundle_rules.h the trade rules add, an honest bundle that
// verifies and bundles forged to break it, refused for that rule (rule::RuleOf):
// a certificate under a scheme signed by someone other than its registered
// issuer, a recycled lot no scheme certifies, natural rough without a
// Kimberley Process certificate and a shipment without the System of
// Warranties, a second draw past a parcel's count, a missing parcel draw, a
// piece taking part of a parcel, an over-allocated mass-balance credit, a
// missing account record, a hallmark finer than the metal, a lab-grown piece
// described without its qualifier, and material claims the records do not
// support. Also the trade units the report and the timeline use.
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/units.h"
#include "tests/support/fake_log.h"

namespace touchstone {
namespace {

using testing::FakeLog;
using ::testing::HasSubstr;
using testing::Identity;
using testing::NewIdentity;
using Code = absl::StatusCode;

constexpr int64_t kDayMicros = 24 * 3600 * int64_t{1'000'000};

v1::LogPolicy TradePolicy() {
  v1::LogPolicy p = FakeLog::DefaultPolicy();
  p.set_rules_version(kTradeRulesVersion);
  return p;
}

v1::MaterialClaim Claim(const std::string& material, v1::Attribute a, v1::CustodyModel m,
                        uint32_t share_bp, const std::string& scheme = "",
                        const std::string& account = "") {
  v1::MaterialClaim c;
  c.set_material(material);
  c.set_attribute(a);
  c.set_model(m);
  c.set_share_bp(share_bp);
  c.set_scheme(scheme);
  c.set_account_id(account);
  return c;
}

// A log under the trade rules; participants and schemes are registered when
// a story first needs them, so that every record is linked to the piece.
class TradeBundleTest : public ::testing::Test {
 protected:
  explicit TradeBundleTest(std::optional<v1::LogPolicy> policy = TradePolicy()) : log_(policy) {}

  // Participant `id` with `roles`, registered on first use.
  const Identity& Party(const std::string& id, std::vector<v1::Role> roles) {
    auto it = parties_.find(id);
    if (it != parties_.end()) return it->second;
    const Identity& who = parties_.emplace(id, NewIdentity(id)).first->second;
    log_.Register(who, std::move(roles));
    return who;
  }
  const Identity& Refiner() {
    return Party("refiner", {v1::ROLE_REFINER, v1::ROLE_MINER, v1::ROLE_RECYCLER, v1::ROLE_CUTTER});
  }
  const Identity& Grower() { return Party("grower", {v1::ROLE_GROWER, v1::ROLE_CUTTER}); }
  const Identity& Jeweler() { return Party("jeweler", {v1::ROLE_JEWELER}); }

  // The issuer of scheme `name` (its own certifier "<name>-body"), registered
  // with the scheme on first use.
  const Identity& Issuer(const std::string& name, v1::SchemeKind kind) {
    const bool known = parties_.count(name + "-body") > 0;
    const Identity& body = Party(name + "-body", {v1::ROLE_CERTIFIER});
    if (!known) {
      v1::Record r;
      auto* s = r.mutable_scheme_registered();
      s->set_scheme(name);
      s->set_issuer(body.id);
      s->set_kind(kind);
      s->set_display_name("The " + name + " scheme");
      log_.Append(log_.op(), r);
    }
    return body;
  }

  // Certificate `id` of `scheme` about participant `subject`, signed by `by`.
  uint64_t Certificate(const Identity& by, const std::string& id, const std::string& scheme,
                       const std::string& subject, v1::CertificateIssued detail = {}) {
    v1::Record r;
    v1::CertificateIssued* c = r.mutable_certificate_issued();
    *c = std::move(detail);
    c->set_certificate_id(id);
    c->set_scheme(scheme);
    if (!c->has_subject_lot()) c->set_subject_participant(subject);
    c->set_valid_from_micros(1);
    return log_.Append(by, r);
  }
  // An SCS recycled-content certificate about the refiner (once).
  const std::string& Scs() {
    static const std::string id = "scs-1";
    if (!scs_) {
      Certificate(Issuer("scs-recycled", v1::SCHEME_KIND_RECYCLED_CONTENT), id, "scs-recycled",
                  Refiner().id);
      scs_ = true;
    }
    return id;
  }

  static v1::Record LotRecord(const std::string& id, const std::string& material,
                              v1::OriginClass origin, int64_t quantity, int32_t ptt,
                              std::vector<std::string> certificates = {},
                              v1::Unit unit = v1::UNIT_MILLIGRAM) {
    v1::Record r;
    auto* l = r.mutable_lot_created();
    l->set_lot_id(id);
    l->set_material(material);
    l->set_form(unit == v1::UNIT_MILLIGRAM ? "grain" : "rough");
    l->set_origin_class(origin);
    l->set_quantity(quantity);
    l->set_unit(unit);
    l->set_fineness_ptt(ptt);
    l->set_facility("refinery");
    for (const std::string& c : certificates) l->add_certificate_ids(c);
    return r;
  }
  uint64_t Lot(const Identity& by, v1::Record r) { return log_.Append(by, std::move(r)); }

  void Ship(const Identity& from, const Identity& to, const std::string& lot,
            const std::string& warranty = "") {
    v1::Record s;
    s.mutable_custody_shipped()->set_shipment_id("shp-" + lot);
    s.mutable_custody_shipped()->set_lot_id(lot);
    s.mutable_custody_shipped()->set_to_participant(to.id);
    s.mutable_custody_shipped()->set_warranty_statement(warranty);
    log_.Append(from, s);
    v1::Record r;
    r.mutable_custody_received()->set_shipment_id("shp-" + lot);
    r.mutable_custody_received()->set_lot_id(lot);
    log_.Append(to, r);
  }

  static v1::LotQuantity* Input(v1::Transformation* t, const std::string& lot, int64_t quantity) {
    v1::LotQuantity* in = t->add_inputs();
    in->set_lot_id(lot);
    in->set_quantity(quantity);
    return in;
  }
  static v1::OutputLot* Output(v1::Transformation* t, const std::string& lot, int64_t quantity,
                               int32_t ptt) {
    v1::OutputLot* out = t->add_outputs();
    out->set_lot_id(lot);
    out->set_form("grain");
    out->set_quantity(quantity);
    out->set_fineness_ptt(ptt);
    return out;
  }
  static v1::Record TransformationRecord(const std::string& id, v1::Process process,
                                         const std::string& material) {
    v1::Record r;
    auto* t = r.mutable_transformation();
    t->set_transformation_id(id);
    t->set_process(process);
    t->set_material(material);
    t->set_location("refinery");
    return r;
  }

  // 18k gold: recycled 999.9 gold (SCS certified) alloyed with mined copper
  // and silver; `mined_gold` adds mined gold to the alloy.
  void EighteenKaratGold(bool mined_gold = false) {
    const Identity& refiner = Refiner();
    Lot(refiner,
        LotRecord("gold-r", "gold", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, 7501, 9999, {Scs()}));
    Lot(refiner, LotRecord("copper-1", "copper", v1::ORIGIN_CLASS_MINED, 1700, 10000));
    Lot(refiner, LotRecord("silver-1", "silver", v1::ORIGIN_CLASS_MINED, 799, 9990));
    if (mined_gold) Lot(refiner, LotRecord("gold-m", "gold", v1::ORIGIN_CLASS_MINED, 1000, 9999));
    v1::Record r = TransformationRecord("alloy-1", v1::PROCESS_ALLOY, "gold");
    auto* t = r.mutable_transformation();
    Input(t, "gold-r", 7501);
    Input(t, "copper-1", 1700);
    Input(t, "silver-1", 799);
    if (mined_gold) Input(t, "gold-m", 1000);
    Output(t, "g18", 10000, 7500);
    t->set_declared_loss_fine_ptt(mined_gold ? 9'999'000 + 2499 : 2499);
    log_.Append(refiner, r);
    Ship(refiner, Jeweler(), "g18");
  }

  static v1::Record PieceRecord(const std::string& id, std::vector<v1::MaterialClaim> claims,
                                const std::string& metal = "", const std::string& hallmark = "") {
    v1::Record r;
    auto* p = r.mutable_piece_registered();
    p->set_piece_id(id);
    p->set_description("a ring");
    if (!metal.empty()) {
      auto* m = p->add_metal_inputs();
      m->set_lot_id(metal);
      m->set_quantity(5000);
    }
    p->set_hallmark(hallmark);
    for (v1::MaterialClaim& c : claims) *p->add_material_claims() = std::move(c);
    return r;
  }
  uint64_t Piece(v1::Record r) { return log_.Append(Jeweler(), std::move(r)); }

  [[nodiscard]] absl::StatusOr<BundleReport> Verify(const std::string& piece,
                                                    std::set<uint64_t> indices = {}) {
    return VerifyPieceBundle(log_.Bundle(piece, std::move(indices)), log_.verifier());
  }
  void ExpectRefused(const std::string& piece, std::string_view rule, Code code,
                     const std::string& message, std::set<uint64_t> indices = {}) {
    absl::StatusOr<BundleReport> r = Verify(piece, std::move(indices));
    ASSERT_FALSE(r.ok()) << "verified, but should break " << rule;
    EXPECT_EQ(rule::RuleOf(r.status()), rule) << r.status();
    EXPECT_EQ(r.status().code(), code) << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(message));
  }
  // Every index of the log but `left_out`.
  std::set<uint64_t> AllBut(std::set<uint64_t> left_out) const {
    std::set<uint64_t> out;
    for (uint64_t i = 0; i < log_.size(); ++i) {
      if (!left_out.count(i)) out.insert(i);
    }
    return out;
  }

  FakeLog log_;
  std::map<std::string, Identity> parties_;
  bool scs_ = false;
};

const v1::MaterialClaim kRecycledGold = Claim(
    "gold", v1::ATTRIBUTE_RECYCLED, v1::CUSTODY_MODEL_IDENTITY_PRESERVED, 10000, "scs-recycled");

TEST(TradeUnitsTest, MassStonesAndFinenessReadAsTheTradeReadsThem) {
  EXPECT_EQ(MassText(1'000'000), "1,000.000 g (32.151 ozt, 643.015 dwt)");
  EXPECT_EQ(MassText(31'103), "31.103 g (1.000 ozt, 20.000 dwt)");
  EXPECT_EQ(MassText(0), "0.000 g (0.000 ozt, 0.000 dwt)");
  EXPECT_EQ(CaratText(1250), "1.250 ct");
  EXPECT_EQ(CaratText(12'345'678), "12,345.678 ct");
  EXPECT_EQ(FinenessKaratText(7500), "750 (18k)");
  EXPECT_EQ(FinenessKaratText(9999), "999.9 (24k)");
  EXPECT_EQ(FinenessKaratText(3000), "300");
  EXPECT_EQ(MetalFinenessText("platinum", 9500), "950");
  EXPECT_EQ(FineMassText(62'000 * 10000), MassText(62'000));
}

TEST_F(TradeBundleTest, AnEighteenKaratPieceOfRecycledGoldVerifiesWithItsClaimAndComposition) {
  EighteenKaratGold();
  const uint64_t piece = Piece(PieceRecord("GOLD18-1", {kRecycledGold}, "g18", "750"));
  absl::StatusOr<BundleReport> r = Verify("GOLD18-1");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->material_claims.size(), 1u);
  EXPECT_EQ(r->material_claims[0].text, "recycled gold, identity preserved, 100% (scs-recycled)");
  ASSERT_GE(r->composition.size(), 3u);
  EXPECT_EQ(r->composition[0].material, "copper");
  EXPECT_EQ(r->composition[0].share_ptt, 1701);
  EXPECT_EQ(r->composition[1].material, "gold");
  EXPECT_EQ(r->composition[1].share_ptt, 7500);
  EXPECT_EQ(r->composition[1].amount, 3750);
  EXPECT_THAT(r->timeline.at(piece).description,
              HasSubstr("5.000 g (0.161 ozt, 3.215 dwt) of g18 (gold grain 750 (18k), "
                        "recycled post-consumer); hallmark 750; claims recycled gold, identity "
                        "preserved, 100% (scs-recycled)"));
}

TEST_F(TradeBundleTest, AHallmarkFinerThanTheLowestMetalIsRefused) {
  EighteenKaratGold();
  FakeLog before = log_;
  const uint64_t piece = Piece(PieceRecord("GOLD18-1", {kRecycledGold}, "g18", "999.9"));
  ExpectRefused("GOLD18-1", rule::kHallmark, Code::kFailedPrecondition,
                "hallmark rule: entry " + std::to_string(piece) +
                    " (piece_registered) marks the piece '999.9' (999.9); its lowest metal "
                    "fineness is 750 (lot 'g18')");
  log_ = before;
  Piece(PieceRecord("GOLD18-1", {kRecycledGold}, "g18", "gold!"));
  ExpectRefused("GOLD18-1", rule::kHallmark, Code::kInvalidArgument, "is not a fineness mark");
  log_ = before;
  Piece(PieceRecord("GOLD18-1", {kRecycledGold}, "g18", "18K"));
  EXPECT_TRUE(Verify("GOLD18-1").ok()) << Verify("GOLD18-1").status();
}

TEST_F(TradeBundleTest, MaterialClaimsTheRecordsDoNotSupportAreRefused) {
  EighteenKaratGold(/*mined_gold=*/true);
  FakeLog before = log_;
  Piece(PieceRecord("GOLD18-1", {kRecycledGold}, "g18"));
  ExpectRefused("GOLD18-1", rule::kClaims, Code::kFailedPrecondition,
                "does not hold: lot 'g18' is ORIGIN_CLASS_MIXED");
  // The legacy claims are not made under the trade rules.
  log_ = before;
  v1::Record legacy = PieceRecord("GOLD18-1", {}, "g18");
  legacy.mutable_piece_registered()->add_claims(v1::CLAIM_CERTIFIED_CHAIN);
  Piece(legacy);
  ExpectRefused("GOLD18-1", rule::kClaims, Code::kInvalidArgument, "not the legacy claims");
}

TEST_F(TradeBundleTest, ACertificateUnderASchemeSignedByAnyoneButItsIssuerIsRefused) {
  Issuer("rjc-coc", v1::SCHEME_KIND_CHAIN_OF_CUSTODY);
  // A refiner that is also a certifier signs an "RJC" certificate about itself.
  const Identity& self = Party("self", {v1::ROLE_REFINER, v1::ROLE_CERTIFIER});
  const uint64_t forged = Certificate(self, "coc-self", "rjc-coc", self.id);
  Lot(self, LotRecord("gold-r", "gold", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, 5000, 9999,
                      {"coc-self"}));
  Ship(self, Jeweler(), "gold-r");
  Piece(PieceRecord("RING-1", {}, "gold-r"));
  ExpectRefused("RING-1", rule::kScheme, Code::kPermissionDenied,
                "scheme rule: entry " + std::to_string(forged) +
                    " (certificate_issued) certificate under scheme 'rjc-coc' is signed by "
                    "'self'; the log pins 'rjc-coc-body' as its issuer");
}

TEST_F(TradeBundleTest, ACertificateUnderASchemeTheBundleDoesNotRegisterIsIncomplete) {
  const Identity& other = Party("other-body", {v1::ROLE_CERTIFIER});
  Certificate(other, "x-1", "unknown-scheme", Refiner().id);
  Lot(Refiner(),
      LotRecord("gold-r", "gold", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, 5000, 9999, {"x-1"}));
  Ship(Refiner(), Jeweler(), "gold-r");
  Piece(PieceRecord("RING-1", {}, "gold-r"));
  ExpectRefused("RING-1", rule::kCompleteness, Code::kFailedPrecondition,
                "under scheme 'unknown-scheme', which no earlier record of the bundle registers");
}

TEST_F(TradeBundleTest, ARecycledLotNoSchemeCertifiesIsRefused) {
  Lot(Refiner(), LotRecord("gold-r", "gold", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, 5000, 9999));
  Ship(Refiner(), Jeweler(), "gold-r");
  Piece(PieceRecord("RING-1", {}, "gold-r"));
  ExpectRefused("RING-1", rule::kCertificates, Code::kFailedPrecondition,
                "creates recycled lot 'gold-r' citing no certificate of a registered");
}

// ------------------------------------------------------------------ natural diamonds

class NaturalDiamondTest : public TradeBundleTest {
 protected:
  // Natural rough (with a kp-bw KP certificate unless `kp` is false), cut by the
  // refiner, graded by igi, shipped to the jeweler with `warranty`.
  void NaturalStone(bool kp = true, const std::string& warranty = std::string(kSystemOfWarranties),
                    const std::string& kp_scheme = "kp-bw") {
    std::vector<std::string> certs;
    if (kp) {
      v1::CertificateIssued detail;
      detail.mutable_kimberley_process()->set_certificate_number("BW-0012345");
      detail.mutable_kimberley_process()->set_country_of_origin("BW");
      detail.mutable_kimberley_process()->set_carats_thousandths(5000);
      const v1::SchemeKind kind = kp_scheme == "igi" ? v1::SCHEME_KIND_GRADING_LABORATORY
                                                     : v1::SCHEME_KIND_KIMBERLEY_PROCESS;
      Certificate(Issuer(kp_scheme, kind), "kp-1", kp_scheme, Refiner().id, detail);
      certs.push_back("kp-1");
    }
    Lot(Refiner(), LotRecord("rough-1", "diamond", v1::ORIGIN_CLASS_MINED, 5000, 10000, certs,
                             v1::UNIT_CARAT_THOUSANDTH));
    v1::Record cut = TransformationRecord("cut-1", v1::PROCESS_CUT_AND_POLISH, "diamond");
    Input(cut.mutable_transformation(), "rough-1", 5000);
    Output(cut.mutable_transformation(), "stone-1", 1000, 10000)->set_form("polished");
    cut.mutable_transformation()->set_declared_loss_fine_ptt(4000LL * 10000);
    log_.Append(Refiner(), cut);
    v1::CertificateIssued report;
    report.set_subject_lot("stone-1");
    report.mutable_grading_report()->set_report_number("IGI-1");
    report.mutable_grading_report()->set_origin(v1::STONE_ORIGIN_NATURAL);
    report.mutable_grading_report()->set_carats_thousandths(1000);
    Certificate(Issuer("igi", v1::SCHEME_KIND_GRADING_LABORATORY), "igi-1", "igi", "", report);
    Ship(Refiner(), Jeweler(), "stone-1", warranty);
  }
  v1::Record NaturalPiece() {
    v1::Record r =
        PieceRecord("NAT-1",
                    {kRecycledGold, Claim("diamond", v1::ATTRIBUTE_NATURAL,
                                          v1::CUSTODY_MODEL_IDENTITY_PRESERVED, 10000, "kp-bw")},
                    "g18", "750");
    r.mutable_piece_registered()->add_stone_lot_ids("stone-1");
    return r;
  }
};

TEST_F(NaturalDiamondTest, ANaturalDiamondWithKimberleyProcessAndWarrantiesVerifies) {
  EighteenKaratGold();
  NaturalStone();
  Piece(NaturalPiece());
  absl::StatusOr<BundleReport> r = Verify("NAT-1");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->material_claims.size(), 2u);
  EXPECT_EQ(r->material_claims[1].text, "natural diamond, identity preserved, 100% (kp-bw)");
}

TEST_F(NaturalDiamondTest, NaturalRoughWithoutAKimberleyProcessCertificateIsRefused) {
  EighteenKaratGold();
  NaturalStone(/*kp=*/false);
  Piece(NaturalPiece());
  ExpectRefused("NAT-1", rule::kWarranty, Code::kFailedPrecondition,
                "creates natural diamond lot 'rough-1' citing no Kimberley Process certificate");
}

TEST_F(NaturalDiamondTest, AShipmentWithoutTheSystemOfWarrantiesIsRefused) {
  EighteenKaratGold();
  NaturalStone(/*kp=*/true, /*warranty=*/"conflict free, trust us");
  Piece(NaturalPiece());
  ExpectRefused("NAT-1", rule::kWarranty, Code::kFailedPrecondition,
                "ships natural diamonds (lot 'stone-1') without the exact System of Warranties");
}

TEST_F(NaturalDiamondTest, ALaboratoryIssuingAKimberleyProcessCertificateIsRefused) {
  EighteenKaratGold();
  NaturalStone(/*kp=*/true, std::string(kSystemOfWarranties), /*kp_scheme=*/"igi");
  Piece(NaturalPiece());
  ExpectRefused("NAT-1", rule::kScheme, Code::kFailedPrecondition,
                "scheme rule: scheme 'igi' is SCHEME_KIND_GRADING_LABORATORY; a grading "
                "laboratory issues only grading and parcel reports");
}

TEST_F(TradeBundleTest, TheWarrantyStatementIsOnlyForNaturalDiamonds) {
  Lot(Refiner(),
      LotRecord("gold-r", "gold", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, 5000, 9999, {Scs()}));
  Ship(Refiner(), Jeweler(), "gold-r", std::string(kSystemOfWarranties));
  Piece(PieceRecord("RING-1", {}, "gold-r"));
  ExpectRefused("RING-1", rule::kWarranty, Code::kInvalidArgument, "is not natural diamond");
}

// Rough that entered before the log took the trade rules (no KP then) can be
// made into a piece under them, but cannot be claimed natural.
class LegacyThenTradeTest : public TradeBundleTest {
 protected:
  LegacyThenTradeTest() : TradeBundleTest(FakeLog::DefaultPolicy()) {}
};

TEST_F(LegacyThenTradeTest, AnEighteenKaratNaturalClaimWithoutKimberleyProcessIsRefused) {
  // Legacy rules: the rough enters without KP, the stone ships without a statement.
  Lot(Refiner(), LotRecord("rough-1", "diamond", v1::ORIGIN_CLASS_MINED, 5000, 10000, {},
                           v1::UNIT_CARAT_THOUSANDTH));
  v1::Record cut = TransformationRecord("cut-1", v1::PROCESS_CUT_AND_POLISH, "diamond");
  Input(cut.mutable_transformation(), "rough-1", 5000);
  Output(cut.mutable_transformation(), "stone-1", 1000, 10000);
  cut.mutable_transformation()->set_declared_loss_fine_ptt(4000LL * 10000);
  log_.Append(Refiner(), cut);
  const Identity& lab = Party("lab", {v1::ROLE_CERTIFIER});
  v1::CertificateIssued report;
  report.set_subject_lot("stone-1");
  report.mutable_grading_report()->set_origin(v1::STONE_ORIGIN_NATURAL);
  Certificate(lab, "report-1", "grading-report", "", report);
  Ship(Refiner(), Jeweler(), "stone-1");
  log_.AppendPolicy(TradePolicy());  // the log takes the trade rules
  EighteenKaratGold();
  v1::Record piece = PieceRecord(
      "NAT-1",
      {kRecycledGold, Claim("diamond", v1::ATTRIBUTE_NATURAL, v1::CUSTODY_MODEL_SEGREGATED, 10000)},
      "g18", "750");
  piece.mutable_piece_registered()->add_stone_lot_ids("stone-1");
  Piece(piece);
  ExpectRefused("NAT-1", rule::kClaims, Code::kFailedPrecondition,
                "stone 'stone-1' has no unbroken Kimberley Process and System of Warranties "
                "chain");
}

// ------------------------------------------------------------------ parcels

class ParcelTest : public TradeBundleTest {
 protected:
  // A lab-grown parcel of 100 melee weighing 1.000 ct, grown by the grower.
  void Parcel() {
    v1::Record r = LotRecord("melee", "diamond", v1::ORIGIN_CLASS_LAB_GROWN, 1000, 10000, {},
                             v1::UNIT_CARAT_THOUSANDTH);
    r.mutable_lot_created()->set_form("melee");
    r.mutable_lot_created()->mutable_parcel()->set_stone_count(100);
    r.mutable_lot_created()->mutable_parcel()->set_size_class("+1.0-1.5");
    Lot(Grower(), r);
  }
  // A split draw of `stones` weighing `weight` from the parcel into `out`,
  // stating what it leaves. Returns its index.
  uint64_t Draw(const std::string& out, int64_t stones, int64_t weight, int64_t stones_left,
                int64_t weight_left) {
    v1::Record r = TransformationRecord("split-" + out, v1::PROCESS_SPLIT, "diamond");
    v1::LotQuantity* in = Input(r.mutable_transformation(), "melee", weight);
    in->set_stones(stones);
    in->set_stones_left(stones_left);
    in->set_quantity_left(weight_left);
    v1::OutputLot* o = Output(r.mutable_transformation(), out, weight, 10000);
    o->set_stones(stones);
    o->set_form("melee");
    return log_.Append(Grower(), r);
  }
  // A graded lab-grown centre stone.
  void Centre() {
    Lot(Grower(), LotRecord("centre", "diamond", v1::ORIGIN_CLASS_LAB_GROWN, 1000, 10000, {},
                            v1::UNIT_CARAT_THOUSANDTH));
    v1::CertificateIssued report;
    report.set_subject_lot("centre");
    report.mutable_grading_report()->set_report_number("LG-1");
    report.mutable_grading_report()->set_origin(v1::STONE_ORIGIN_LAB_GROWN);
    report.mutable_grading_report()->set_carats_thousandths(1000);
    Certificate(Issuer("igi", v1::SCHEME_KIND_GRADING_LABORATORY), "igi-1", "igi", "", report);
    Ship(Grower(), Jeweler(), "centre");
  }
  // The pavé ring: the centre stone, `stones` of parcel `lot`, 18k gold.
  v1::Record Pave(const std::string& lot, int64_t stones,
                  const std::string& description = "ring with laboratory-grown diamonds") {
    v1::Record r = PieceRecord("PAVE-1",
                               {kRecycledGold, Claim("diamond", v1::ATTRIBUTE_LAB_GROWN,
                                                     v1::CUSTODY_MODEL_IDENTITY_PRESERVED, 10000)},
                               "g18", "750");
    auto* p = r.mutable_piece_registered();
    p->set_description(description);
    p->add_stone_lot_ids("centre");
    p->add_parcel_stones()->set_lot_id(lot);
    p->mutable_parcel_stones(0)->set_stones(stones);
    return r;
  }
};

TEST_F(ParcelTest, APaveRingOfAGradedStoneAndMeleeFromAParcelVerifies) {
  EighteenKaratGold();
  Centre();
  Parcel();
  Draw("melee-24", 24, 240, 76, 760);
  Ship(Grower(), Jeweler(), "melee-24");
  const uint64_t piece = Piece(Pave("melee-24", 24));
  absl::StatusOr<BundleReport> r = Verify("PAVE-1");
  ASSERT_TRUE(r.ok()) << r.status();
  const MaterialShare& diamond = r->composition.back();
  EXPECT_EQ(diamond.material, "diamond");
  EXPECT_EQ(diamond.amount, 1240);
  EXPECT_EQ(diamond.stones, 25);
  EXPECT_THAT(r->timeline.at(piece).description,
              HasSubstr("24 stones, 0.240 ct of parcel melee-24 (diamond melee, parcel of 24 "
                        "stones, lab-grown)"));
}

TEST_F(ParcelTest, ASecondDrawPastTheParcelsCountIsRefused) {
  EighteenKaratGold();
  Centre();
  Parcel();
  Draw("melee-24", 24, 240, 76, 760);
  const uint64_t second = Draw("melee-80", 80, 760, 0, 0);  // only 76 are left
  Ship(Grower(), Jeweler(), "melee-80");
  Piece(Pave("melee-80", 80));
  ExpectRefused("PAVE-1", rule::kParcel, Code::kFailedPrecondition,
                "entry " + std::to_string(second) +
                    " (transformation): parcel rule: parcel 'melee' holds 76 stones weighing 760; "
                    "the draw takes 80 weighing 760");
}

TEST_F(ParcelTest, AMissingParcelDrawIsRefused) {
  EighteenKaratGold();
  Centre();
  Parcel();
  const uint64_t first = Draw("melee-24", 24, 240, 76, 760);  // for another piece
  Draw("melee-40", 40, 400, 36, 360);
  Ship(Grower(), Jeweler(), "melee-40");
  Piece(Pave("melee-40", 40));
  // The bundle holds every draw from the parcel, even one for another piece.
  EXPECT_TRUE(Verify("PAVE-1").ok()) << Verify("PAVE-1").status();
  ExpectRefused("PAVE-1", rule::kParcel, Code::kFailedPrecondition,
                "states 36 stones weighing 360 left; the parcel's draws leave 60 weighing 600 (a "
                "draw is missing or misstated)",
                AllBut({first}));
}

TEST_F(ParcelTest, APieceTakesAParcelWhole) {
  EighteenKaratGold();
  Centre();
  Parcel();
  Draw("melee-24", 24, 240, 76, 760);
  Ship(Grower(), Jeweler(), "melee-24");
  Piece(Pave("melee-24", 20));
  ExpectRefused("PAVE-1", rule::kParcel, Code::kFailedPrecondition,
                "takes 20 stones of parcel 'melee-24', which holds 24 weighing 240; a piece takes "
                "a whole parcel");
}

TEST_F(ParcelTest, ANewParcelMustAddUp) {
  EighteenKaratGold();
  Centre();
  v1::Record r = LotRecord("melee", "diamond", v1::ORIGIN_CLASS_LAB_GROWN, 1000, 10000, {},
                           v1::UNIT_CARAT_THOUSANDTH);
  r.mutable_lot_created()->mutable_parcel()->set_stone_count(100);
  r.mutable_lot_created()->mutable_parcel()->set_min_stone_thousandths(20);  // 100 x 20 > 1000
  Lot(Grower(), r);
  Ship(Grower(), Jeweler(), "melee");
  Piece(Pave("melee", 100));
  ExpectRefused("PAVE-1", rule::kParcel, Code::kInvalidArgument, "weigh more than 1000");
}

TEST_F(ParcelTest, ALabGrownPieceMustSayItIsLabGrown) {
  EighteenKaratGold();
  Centre();
  Parcel();
  Draw("melee-24", 24, 240, 76, 760);
  Ship(Grower(), Jeweler(), "melee-24");
  Piece(Pave("melee-24", 24, "ring with cultured diamonds"));
  ExpectRefused("PAVE-1", rule::kDisclosure, Code::kFailedPrecondition,
                "describes a piece with lab-grown stones (lot 'centre') as 'ring with cultured "
                "diamonds', without a qualifier");
}

// ------------------------------------------------------------------ mass balance

class MassBalanceTest : public TradeBundleTest {
 protected:
  // The refiner's account at its refinery for 30 days, on an RJC CoC
  // certificate; recycled scrap booked (`booked` fine units each); mined gold
  // refined into bar-1 at `site`; `allocate` fine units allocated to bar-1;
  // bar-1 shipped to the jeweler. Returns the indices of the account's records.
  std::vector<uint64_t> Story(std::vector<int64_t> scrap_mg, int64_t allocate,
                              const std::string& site = "refinery") {
    Certificate(Issuer("rjc-coc", v1::SCHEME_KIND_CHAIN_OF_CUSTODY), "coc-1", "rjc-coc",
                Refiner().id);
    std::vector<uint64_t> records;
    v1::Record open;
    auto* o = open.mutable_credit_account_opened();
    o->set_account_id("acct-1");
    o->set_site("refinery");
    o->set_material("gold");
    o->set_attribute(v1::ATTRIBUTE_RECYCLED);
    o->set_period_start_micros(log_.now() - kDayMicros);
    o->set_period_end_micros(log_.now() + 30 * kDayMicros);
    o->set_certificate_id("coc-1");
    records.push_back(log_.Append(Refiner(), open));
    int64_t balance = 0;
    uint64_t seq = 0;
    for (size_t i = 0; i < scrap_mg.size(); ++i) {
      const std::string lot = "scrap-" + std::to_string(i + 1);
      Lot(Refiner(), LotRecord(lot, "gold", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, scrap_mg[i],
                               5850, {"coc-1"}));
      v1::Record book;
      auto* b = book.mutable_credit_booked();
      b->set_account_id("acct-1");
      b->set_lot_id(lot);
      b->set_fine(scrap_mg[i] * 5850);
      balance += scrap_mg[i] * 5850;
      b->set_seq(++seq);
      b->set_balance_after(balance);
      records.push_back(log_.Append(Refiner(), book));
    }
    Lot(Refiner(), LotRecord("mined-1", "gold", v1::ORIGIN_CLASS_MINED, 100000, 9950));
    v1::Record refine = TransformationRecord("refine-1", v1::PROCESS_REFINE, "gold");
    refine.mutable_transformation()->set_location(site);
    Input(refine.mutable_transformation(), "mined-1", 100000);
    Output(refine.mutable_transformation(), "bar-1", 99500, 10000)->set_form("bar");
    log_.Append(Refiner(), refine);
    v1::Record alloc;
    auto* a = alloc.mutable_credit_allocated();
    a->set_account_id("acct-1");
    a->set_lot_id("bar-1");
    a->set_fine(allocate);
    a->set_seq(++seq);
    a->set_balance_after(balance - allocate);
    records.push_back(log_.Append(Refiner(), alloc));
    Ship(Refiner(), Jeweler(), "bar-1");
    return records;
  }
  v1::Record MassBalancePiece(uint32_t share_bp = 6200) {
    return PieceRecord("MB-1",
                       {Claim("gold", v1::ATTRIBUTE_RECYCLED, v1::CUSTODY_MODEL_MASS_BALANCE,
                              share_bp, "rjc-coc", "acct-1")},
                       "bar-1", "999.9");
  }
  static constexpr int64_t kBarFine = 99500LL * 10000;
  static constexpr int64_t kSixtyTwoPercent = kBarFine * 62 / 100;
};

TEST_F(MassBalanceTest, AMassBalanceClaimVerifiesWithItsAccountsRecords) {
  const std::vector<uint64_t> records = Story({1'100'000}, kSixtyTwoPercent);
  Piece(MassBalancePiece());
  absl::StatusOr<BundleReport> r = Verify("MB-1");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->material_claims.size(), 1u);
  EXPECT_THAT(r->material_claims[0].text,
              ::testing::MatchesRegex("gold 62% recycled, mass balance, site refinery, "
                                      "[0-9-]+ to [0-9-]+ \\(rjc-coc\\)"));
  EXPECT_THAT(r->timeline.at(records[2]).description,
              HasSubstr("allocates 61.690 g (1.983 ozt, 39.668 dwt) fine of recycled credit to "
                        "lot bar-1 (gold bar 1000 (24k), mined) (62% of its fine weight; record 2 "
                        "of account acct-1; balance after: 581.810 g (18.706 ozt, 374.113 dwt) "
                        "fine)"));
  // A share other than the records give is refused.
  log_ = FakeLog(TradePolicy());
  parties_.clear();
  scs_ = false;
  Story({1'100'000}, kSixtyTwoPercent);
  Piece(MassBalancePiece(7000));
  ExpectRefused("MB-1", rule::kClaims, Code::kFailedPrecondition,
                "its records give gold a mass-balance share of 62%");
}

TEST_F(MassBalanceTest, AnOverAllocatedCreditIsRefused) {
  const std::vector<uint64_t> records = Story({10'000}, kSixtyTwoPercent);  // 58.5 g fine booked
  Piece(MassBalancePiece());
  ExpectRefused("MB-1", rule::kMassBalance, Code::kFailedPrecondition,
                "entry " + std::to_string(records[2]) +
                    " (credit_allocated): mass balance rule: account 'acct-1' holds 58500000 fine "
                    "units of credit; the allocation spends 616900000");
}

TEST_F(MassBalanceTest, AMissingAccountRecordIsRefused) {
  const std::vector<uint64_t> records = Story({600'000, 500'000}, kSixtyTwoPercent);
  Piece(MassBalancePiece());
  EXPECT_TRUE(Verify("MB-1").ok()) << Verify("MB-1").status();
  ExpectRefused("MB-1", rule::kMassBalance, Code::kFailedPrecondition,
                "account 'acct-1' has 1 records; this one must be number 2, not 3 (a record is "
                "missing or misnumbered)",
                AllBut({records[2] - 1, records[2]}));  // the second booking and its lot
  ExpectRefused("MB-1", rule::kCompleteness, Code::kFailedPrecondition,
                "the record opening mass-balance account 'acct-1' is not in the bundle",
                AllBut({records[0]}));
}

TEST_F(MassBalanceTest, AnAllocationToALotMadeAtAnotherSiteIsRefused) {
  Story({1'100'000}, kSixtyTwoPercent, "other-site");
  Piece(MassBalancePiece());
  ExpectRefused("MB-1", rule::kMassBalance, Code::kFailedPrecondition,
                "lot made at other-site, the account's site is refinery");
}

TEST_F(MassBalanceTest, AnAllocationOfNothingIsRefused) {
  Story({1'100'000}, 0);  // fine 0
  Piece(MassBalancePiece());
  ExpectRefused("MB-1", rule::kMassBalance, Code::kInvalidArgument,
                "a booking or allocation needs fine units greater than 0");
}

TEST_F(MassBalanceTest, BookedScrapNoLongerCarriesTheRecycledAttribute) {
  Jeweler();  // registered before the story's bar, which this bundle leaves out
  const std::vector<uint64_t> records = Story({1'100'000}, kSixtyTwoPercent);
  Ship(Refiner(), Jeweler(), "scrap-1");
  Piece(PieceRecord("MB-2",
                    {Claim("gold", v1::ATTRIBUTE_RECYCLED, v1::CUSTODY_MODEL_IDENTITY_PRESERVED,
                           10000, "rjc-coc")},
                    "scrap-1"));
  // The bundle the builder makes: the account up to the booking, not the bar.
  std::set<uint64_t> bar;
  for (uint64_t i = records[1] + 1; i <= records[2] + 2; ++i) bar.insert(i);
  ExpectRefused("MB-2", rule::kClaims, Code::kFailedPrecondition,
                "lot 'scrap-1' was booked as mass-balance credit", AllBut(bar));
}

}  // namespace
}  // namespace touchstone
