// The heirloom rules through the append path (rules_heirloom.cc,
// rules_transform.cc, rules_piece_trade.cc; semantics in
// ledger/provenance/heirloom.h): an old 14k bracelet sold to an owner's key
// comes back as an intake co-signed by that key, is refined, alloyed to 18k,
// cast and set with a lab-grown stone and the owner's own stones into a ring
// whose heirloom claim is exact; every way of breaking a rule is refused with
// its code and message and nothing changed; the state rebuilt from the log
// equals the live state.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ledger/provenance/heirloom.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/rebuild.h"
#include "ledger/provenance/record.h"
#include "ledger/store/store.h"
#include "tests/trade_test_util.h"

namespace touchstone::testing {
namespace {

using Code = absl::StatusCode;
constexpr auto kMined = v1::ORIGIN_CLASS_MINED;
constexpr auto kLabGrown = v1::ORIGIN_CLASS_LAB_GROWN;

// An owner's Ed25519 key (as the CLI or a browser's WebCrypto makes one).
struct Owner {
  PrivateKey key = PrivateKey::Generate().value();
  v1::OwnerKey owner_key = Ed25519OwnerKey(key.public_key());
  std::string id() const { return OwnerKeyId(owner_key); }
};

class HeirloomRulesTest : public TradeFixture {
 protected:
  // `r` co-signed by `owner`: its owner signature over the record's bytes in
  // this log (owner_signature.h); the participant then signs the whole.
  v1::Record CoSigned(v1::Record r, const Owner& owner) {
    r.clear_owner_signature();
    const std::string bytes = SerializeRecord(r);
    *r.mutable_owner_signature() = SignAsOwner(owner.key, OwnerSigningMessage(origin(), bytes));
    return r;
  }

  // An intake by the jeweler of `metal_mg` at `ptt` for `owner` (not co-signed).
  v1::Record Intake(const std::string& intake_id, const std::string& lot_id, int64_t metal_mg,
                    int32_t ptt, const Owner& owner, const std::string& piece_id = "",
                    const std::vector<std::string>& stones = {}) {
    v1::Record r = NewRecord(jeweler);
    auto* h = r.mutable_heirloom_received();
    h->set_intake_id(intake_id);
    h->set_description("14k yellow gold curb bracelet, 19 cm, two stones");
    h->add_photo_sha256(std::string(32, '\x21'));
    h->set_gross_weight_mg(metal_mg + 400);
    h->set_lot_id(lot_id);
    h->set_material("gold");
    h->set_metal_mg(metal_mg);
    h->set_fineness_ptt(ptt);
    h->set_assay_method(v1::ASSAY_METHOD_XRF);
    *h->mutable_owner() = owner.owner_key;
    h->set_repurposed_piece_id(piece_id);
    for (const std::string& s : stones) h->add_stone_lot_ids(s);
    return r;
  }

  // A sale of `piece_id` naming `owner`'s key as the buyer.
  v1::Record SoldTo(const std::string& piece_id, const Owner& owner) {
    v1::Record r = Lifecycle(jeweler, piece_id, v1::PIECE_EVENT_SOLD);
    *r.mutable_piece_lifecycle()->mutable_buyer() = owner.owner_key;
    return r;
  }

  // A lab-grown graded stone held by the jeweler.
  void LabStone(const std::string& id, int64_t carats = 500) {
    Accept(LotT(grower, id, "diamond", kLabGrown, carats, 10000));
    Accept(Report("r-" + id, id, v1::STONE_ORIGIN_LAB_GROWN, carats));
    Transfer(grower, jeweler, id);
  }
  // Mined gold of `ptt` held by the jeweler.
  void Gold(const std::string& id, int64_t mg, int32_t ptt, const std::string& material = "gold") {
    Accept(LotT(refiner, id, material, kMined, mg, ptt));
    Transfer(refiner, jeweler, id);
  }

  // The old bracelet: 14k (5850) gold with two lab-grown stones, sold to `owner`.
  void OldBracelet(const std::string& piece_id, const Owner& owner, const std::string& prefix) {
    LabStone(prefix + "-st1");
    LabStone(prefix + "-st2");
    Gold(prefix + "-14k", 12000, 5850);
    Accept(PieceT(jeweler, piece_id, "14k bracelet with two lab-grown diamonds",
                  {prefix + "-st1", prefix + "-st2"}, {{prefix + "-14k", 12000}}, {}, {}, "585"));
    Accept(SoldTo(piece_id, owner));
  }

  static v1::Record WithHeirloomFine(v1::Record r, std::vector<int64_t> fine) {
    for (size_t i = 0; i < fine.size(); ++i) {
      r.mutable_transformation()->mutable_outputs(static_cast<int>(i))->set_heirloom_fine(fine[i]);
    }
    return r;
  }

  static v1::HeirloomClaim ClaimOf(const Owner& owner, int64_t owner_fine, int64_t material_fine,
                                   std::vector<std::string> stones,
                                   std::vector<std::string> intakes) {
    v1::HeirloomClaim c;
    c.set_owner_key_id(owner.id());
    c.set_material("gold");
    c.set_owner_fine(owner_fine);
    c.set_material_fine(material_fine);
    for (const std::string& s : stones) c.add_owner_stone_lot_ids(s);
    for (const std::string& i : intakes) c.add_intake_ids(i);
    return c;
  }

  // A ring of `metal` and `stones` claiming `claim` (unset: none).
  v1::Record Ring(const std::string& piece_id, const std::vector<std::string>& stones,
                  const std::vector<Take>& metal, const v1::HeirloomClaim* claim) {
    v1::Record r = PieceT(jeweler, piece_id, "18k ring with a lab-grown diamond", stones, metal, {},
                          {}, "750");
    if (claim != nullptr) *r.mutable_piece_registered()->mutable_heirloom() = *claim;
    return r;
  }

  // Every state value of `lots`, `pieces` and `intakes`, serialized: what a
  // refusal must leave unchanged.
  std::vector<std::string> Snapshot(const std::vector<std::string>& lots,
                                    const std::vector<std::string>& pieces = {},
                                    const std::vector<std::string>& intakes = {}) {
    std::vector<std::string> out;
    for (const auto& id : lots) out.push_back(GetLot(id).SerializeAsString());
    for (const auto& id : pieces) out.push_back(GetPiece(id).SerializeAsString());
    for (const auto& id : intakes) {
      out.push_back(
          State<v1::IntakeState>(IntakeKey(id)).value_or(v1::IntakeState()).DebugString());
    }
    return out;
  }

  // ExpectRefused, and the state of the named objects unchanged.
  void Refused(const v1::Record& r, Code code, std::string_view message,
               const std::vector<std::string>& lots, const std::vector<std::string>& pieces = {},
               const std::vector<std::string>& intakes = {},
               std::source_location where = std::source_location::current()) {
    const std::vector<std::string> before = Snapshot(lots, pieces, intakes);
    ExpectRefused(r, code, message, where);
    EXPECT_EQ(Snapshot(lots, pieces, intakes), before)
        << "a refused record changed the state (line " << where.line() << ")";
  }

  v1::IntakeState GetIntake(const std::string& id) {
    return State<v1::IntakeState>(IntakeKey(id)).value_or(v1::IntakeState());
  }

  Identity manufacturer = Register("maker", v1::ROLE_MANUFACTURER);
  Owner owner, other;
};

// 11.8 g of 14k gold (5850): 69,030,000 fine units of the owner's gold.
constexpr int64_t kIntakeMg = 11800;
constexpr int64_t kIntakeFine = kIntakeMg * 5850;

TEST_F(HeirloomRulesTest, AnOldBraceletBecomesARingMadeFromTheOwnersGoldAndStones) {
  OldBracelet("OLD-1", owner, "old");
  EXPECT_EQ(GetPiece("OLD-1").owner().ed25519(), owner.owner_key.ed25519());

  // The intake: co-signed by the owner key, it repurposes the bracelet.
  const uint64_t intake_index =
      Accept(CoSigned(Intake("in-1", "h1", kIntakeMg, 5850, owner, "OLD-1", {"old-st2", "old-st1"}),
                      owner))
          .index;
  const v1::LotState h1 = GetLot("h1");
  EXPECT_EQ(h1.material(), "gold");
  EXPECT_EQ(h1.form(), "heirloom");
  EXPECT_EQ(h1.origin_class(), v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  EXPECT_EQ(h1.unit(), v1::UNIT_MILLIGRAM);
  EXPECT_EQ(h1.quantity(), kIntakeMg);
  EXPECT_EQ(h1.balance(), kIntakeMg);
  EXPECT_EQ(h1.fineness_ptt(), 5850);
  EXPECT_EQ(h1.custodian(), jeweler.id);
  EXPECT_EQ(h1.heirloom_fine(), 69'030'000);
  EXPECT_EQ(h1.heirloom_owner(), owner.id());
  EXPECT_THAT(h1.heirloom_intakes(), ::testing::ElementsAre("in-1"));
  EXPECT_FALSE(h1.heirloom_mixed());
  EXPECT_THAT(h1.sources(), ::testing::ElementsAre("h1"));
  EXPECT_EQ(h1.created_index(), intake_index);
  const v1::IntakeState intake = GetIntake("in-1");
  EXPECT_EQ(intake.index(), intake_index);
  EXPECT_EQ(intake.jeweler(), jeweler.id);
  EXPECT_EQ(intake.lot_id(), "h1");
  EXPECT_EQ(intake.owner_key_id(), owner.id());
  EXPECT_EQ(intake.repurposed_piece_id(), "OLD-1");
  const v1::PieceState old = GetPiece("OLD-1");
  EXPECT_EQ(old.repurposed_index(), intake_index);
  EXPECT_EQ(old.repurposed_intake(), "in-1");
  EXPECT_EQ(old.last_event(), v1::PIECE_EVENT_REPURPOSED);
  EXPECT_EQ(old.history(old.history_size() - 1), intake_index);
  for (const char* id : {"old-st1", "old-st2"}) {
    const v1::LotState stone = GetLot(id);
    EXPECT_EQ(stone.active_piece(), "") << id;
    EXPECT_EQ(stone.custodian(), jeweler.id) << id;
    EXPECT_EQ(stone.heirloom_owner(), owner.id()) << id;
    EXPECT_EQ(stone.heirloom_fine(), 0) << id;
    EXPECT_THAT(stone.heirloom_intakes(), ::testing::ElementsAre("in-1")) << id;
  }
  // The repurposed bracelet takes no more records.
  Refused(Lifecycle(jeweler, "OLD-1", v1::PIECE_EVENT_REPAIRED), Code::kFailedPrecondition,
          "it takes no more records", {}, {"OLD-1"});

  // Refined to 999.9 with a declared loss: the loss is all the owner's.
  constexpr int64_t kRefinedFine = 6900 * 9999;  // 68,993,100
  constexpr int64_t kRefineLoss = kIntakeFine - kRefinedFine;
  Accept(WithHeirloomFine(TransformT(jeweler, "t-refine", v1::PROCESS_REFINE, "gold",
                                     {{"h1", kIntakeMg}}, {{"h24", 6900, 9999}}, kRefineLoss),
                          {kRefinedFine}));
  EXPECT_EQ(GetLot("h24").heirloom_fine(), 68'993'100);
  EXPECT_EQ(GetLot("h24").heirloom_owner(), owner.id());
  EXPECT_FALSE(GetLot("h24").heirloom_mixed());

  // Alloyed to 18k with copper: copper does not mix the owner's gold.
  Gold("cu", 5000, 10000, "copper");
  constexpr int64_t k18Fine = 9199 * 7500;  // 68,992,500
  Accept(WithHeirloomFine(
      TransformT(jeweler, "t-alloy", v1::PROCESS_ALLOY, "gold", {{"h24", 6900}, {"cu", 2299}},
                 {{"h18", 9199, 7500}}, kRefinedFine - k18Fine),
      {k18Fine}));
  EXPECT_EQ(GetLot("h18").heirloom_fine(), k18Fine);
  EXPECT_FALSE(GetLot("h18").heirloom_mixed());

  // Split: each output's share stated.
  Accept(WithHeirloomFine(TransformT(jeweler, "t-split", v1::PROCESS_SPLIT, "gold", {{"h18", 9199}},
                                     {{"h18a", 6000, 7500}, {"h18b", 3199, 7500}}),
                          {45'000'000, 23'992'500}));
  // Cast, losing 10 mg of 18k: the owner's 45,000,000 less 75,000.
  Accept(WithHeirloomFine(TransformT(jeweler, "t-cast", v1::PROCESS_CAST, "gold", {{"h18a", 6000}},
                                     {{"ring-metal", 5990, 7500}}, 75'000),
                          {44'925'000}));
  // The rest alloyed with fresh gold: mixed, the loss shared in proportion
  // and rounded against the owner: 23,992,500 - ceil(1500 x 23,992,500 /
  // 33,991,500) = 23,991,441.
  Gold("fresh", 1000, 9999);
  Accept(WithHeirloomFine(TransformT(jeweler, "t-mix", v1::PROCESS_ALLOY, "gold",
                                     {{"h18b", 3199}, {"fresh", 1000}, {"cu", 1000}},
                                     {{"mixed-18k", 4532, 7500}}, 1500),
                          {23'991'441}));
  EXPECT_TRUE(GetLot("mixed-18k").heirloom_mixed());
  EXPECT_EQ(GetLot("mixed-18k").heirloom_fine(), 23'991'441);

  // The ring: the owner's gold, a lab-grown stone and the owner's stones.
  LabStone("lg7");
  const v1::HeirloomClaim exact =
      ClaimOf(owner, 44'925'000, 44'925'000, {"old-st1", "old-st2"}, {"in-1"});
  v1::HeirloomClaim beyond = exact;
  beyond.set_owner_fine(exact.owner_fine() + 1);
  const std::vector<std::string> ring_lots = {"ring-metal", "lg7", "old-st1", "old-st2"};
  Refused(
      Ring("RING-1", {"lg7", "old-st1", "old-st2"}, {{"ring-metal", 5990}}, &beyond),
      Code::kFailedPrecondition,
      "heirloom rule: the piece claims 4.492 g (44925001 fine units) of the owner's gold of its "
      "4.492 g (44925000 fine units) fine gold but its lineage gives 4.492 g (44925000 fine "
      "units) of 4.492 g (44925000 fine units)",
      ring_lots, {"RING-1"});
  v1::HeirloomClaim no_stones = exact;
  no_stones.clear_owner_stone_lot_ids();
  Refused(Ring("RING-1", {"lg7", "old-st1", "old-st2"}, {{"ring-metal", 5990}}, &no_stones),
          Code::kFailedPrecondition,
          "the piece claims the owner's stones [] but its lineage gives [old-st1, old-st2]",
          ring_lots, {"RING-1"});
  Refused(Ring("RING-1", {"lg7", "old-st1", "old-st2"}, {{"ring-metal", 5000}}, &exact),
          Code::kFailedPrecondition,
          "heirloom rule: lot 'ring-metal' carries 4.492 g of the owner's fine gold: a piece takes "
          "it whole",
          ring_lots, {"RING-1"});
  const Receipt ring =
      Accept(Ring("RING-1", {"lg7", "old-st1", "old-st2"}, {{"ring-metal", 5990}}, &exact));
  EXPECT_TRUE(GetPiece("RING-1").has_heirloom());
  EXPECT_EQ(GetPiece("RING-1").heirloom().SerializeAsString(), exact.SerializeAsString());
  EXPECT_EQ(HeirloomClaimText(GetPiece("RING-1").heirloom()),
            "made from the owner's gold: 4.492 g of its 4.492 g fine gold; the owner's stones: "
            "old-st1, old-st2");
  EXPECT_EQ(GetLot("old-st1").active_piece(), "RING-1");
  EXPECT_GT(ring.index, intake_index);

  // The mixed lot in a second ring: the owner's part of its fine gold.
  const v1::HeirloomClaim mixed = ClaimOf(owner, 23'991'441, 4532 * 7500, {}, {"in-1"});
  Accept(Ring("RING-2", {}, {{"mixed-18k", 4532}}, &mixed));
  EXPECT_EQ(HeirloomClaimText(GetPiece("RING-2").heirloom()),
            "made from the owner's gold: 2.399 g of its 3.399 g fine gold");

  // A piece of fresh gold claiming the owner's material: refused.
  Gold("fresh2", 2000, 7500);
  Refused(Ring("RING-3", {}, {{"fresh2", 2000}}, &exact), Code::kFailedPrecondition,
          "heirloom rule: the piece claims the material of owner key " + owner.id() +
              " but its lineage gives none: no input carries an owner's material",
          {"fresh2"}, {"RING-3"});

  // The state rebuilt from the log alone equals the live state.
  const uint64_t size = ledger().Size();
  CloseLedger();
  auto store = Store::Open({.path = data_dir() + "/db"}).value();
  absl::StatusOr<MemoryState> rebuilt = RebuildState(*store, size, RuleOptions());
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  const absl::Status same = CompareState(*rebuilt, *store);
  EXPECT_TRUE(same.ok()) << same;
  absl::StatusOr<v1::IntakeState> read = ReadIntake(*store, "in-1");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->lot_id(), "h1");
  EXPECT_EQ(ReadIntake(*store, "in-9").status().code(), Code::kNotFound);
}

TEST_F(HeirloomRulesTest, AnIntakeIsCoSignedByItsOwnerAndRepurposesOnlyTheOwnersPieceOnce) {
  OldBracelet("OLD-1", owner, "old");
  const std::vector<std::string> touched = {"h1", "old-st1", "old-st2"};
  const v1::Record good =
      Intake("in-1", "h1", kIntakeMg, 5850, owner, "OLD-1", {"old-st1", "old-st2"});
  Refused(good, Code::kPermissionDenied,
          "owner rule: an heirloom intake must be signed by the owner key " + owner.id() +
              "; it carries no owner signature",
          touched, {"OLD-1"}, {"in-1"});
  Refused(CoSigned(good, other), Code::kPermissionDenied, "owner signature", touched, {"OLD-1"},
          {"in-1"});
  // The owner signature covers the record: one changed field breaks it.
  v1::Record altered = CoSigned(good, owner);
  altered.mutable_heirloom_received()->set_description("a heavier 14k bracelet");
  Refused(altered, Code::kPermissionDenied, "owner signature", touched, {"OLD-1"}, {"in-1"});
  // Another key's intake of the owner's piece.
  Refused(CoSigned(Intake("in-1", "h1", kIntakeMg, 5850, other, "OLD-1", {"old-st1", "old-st2"}),
                   other),
          Code::kPermissionDenied,
          "heirloom rule: piece 'OLD-1' belongs to owner key " + owner.id() +
              ", not to the intake's owner key " + other.id(),
          touched, {"OLD-1"}, {"in-1"});
  // The stones listed are the piece's stones, all of them, no other.
  LabStone("lg9");
  Refused(CoSigned(Intake("in-1", "h1", kIntakeMg, 5850, owner, "OLD-1", {"old-st1"}), owner),
          Code::kFailedPrecondition,
          "heirloom rule: piece 'OLD-1' holds the stones [old-st1, old-st2]; the intake lists "
          "[old-st1]",
          touched, {"OLD-1"}, {"in-1"});
  Refused(
      CoSigned(Intake("in-1", "h1", kIntakeMg, 5850, owner, "OLD-1", {"old-st1", "old-st2", "lg9"}),
               owner),
      Code::kFailedPrecondition, "holds the stones [old-st1, old-st2]", touched, {"OLD-1"},
      {"in-1"});
  Refused(CoSigned(Intake("in-1", "h1", kIntakeMg, 5850, owner, "", {"old-st1"}), owner),
          Code::kInvalidArgument, "an intake that repurposes none lists none", touched, {"OLD-1"},
          {"in-1"});
  // A piece that names no owner key (sold the legacy way) is not given by a key.
  LabStone("x-st");
  Gold("x-14k", 3000, 5850);
  Accept(PieceT(jeweler, "LEGACY-1", "14k lab-grown diamond pendant", {"x-st"}, {{"x-14k", 3000}},
                {}, {}, "585"));
  Accept(Lifecycle(jeweler, "LEGACY-1", v1::PIECE_EVENT_SOLD, std::string(32, '\x05')));
  Refused(CoSigned(Intake("in-1", "h1", 2900, 5850, owner, "LEGACY-1", {"x-st"}), owner),
          Code::kFailedPrecondition, "heirloom rule: piece 'LEGACY-1' has no owner key",
          {"h1", "x-st"}, {"LEGACY-1"}, {"in-1"});
  // The fields on their own.
  v1::Record bad = good;
  bad.mutable_heirloom_received()->set_metal_mg(kIntakeMg + 401);
  Refused(CoSigned(bad, owner), Code::kInvalidArgument, "metal_mg must be 1 to the gross weight",
          touched, {"OLD-1"}, {"in-1"});
  bad = good;
  bad.mutable_heirloom_received()->set_material("diamond");
  Refused(CoSigned(bad, owner), Code::kInvalidArgument, "is not a metal an intake takes", touched,
          {"OLD-1"}, {"in-1"});
  bad = good;
  bad.mutable_heirloom_received()->clear_assay_method();
  Refused(CoSigned(bad, owner), Code::kInvalidArgument, "assay method", touched, {"OLD-1"},
          {"in-1"});
  bad = good;
  bad.mutable_heirloom_received()->add_photo_sha256("short");
  Refused(CoSigned(bad, owner), Code::kInvalidArgument, "each photo_sha256 must be 32 bytes",
          touched, {"OLD-1"}, {"in-1"});
  bad = good;
  bad.mutable_heirloom_received()->set_fineness_ptt(10001);
  Refused(CoSigned(bad, owner), Code::kInvalidArgument, "fineness_ptt must be 1 to 10000", touched,
          {"OLD-1"}, {"in-1"});
  bad = good;
  bad.mutable_heirloom_received()->clear_description();
  Refused(CoSigned(bad, owner), Code::kInvalidArgument, "description must be 1 to 512 bytes",
          touched, {"OLD-1"}, {"in-1"});
  // Only a jeweler or manufacturer takes an intake.
  v1::Record by_refiner = good;
  by_refiner.set_signer(refiner.id);
  by_refiner.set_key_id(refiner.key.public_key().Fingerprint());
  Refused(CoSigned(by_refiner, owner), Code::kPermissionDenied, "role rule", touched, {"OLD-1"},
          {"in-1"});

  // Accepted once; the piece is repurposed once, and the intake id used once.
  Accept(CoSigned(good, owner));
  Refused(CoSigned(Intake("in-2", "h2", kIntakeMg, 5850, owner, "OLD-1", {"old-st1", "old-st2"}),
                   owner),
          Code::kFailedPrecondition,
          "heirloom rule: piece 'OLD-1' was already repurposed by intake 'in-1'", {"h2"}, {"OLD-1"},
          {"in-2"});
  Refused(CoSigned(Intake("in-1", "h3", 1000, 7500, owner), owner), Code::kAlreadyExists,
          "intake id 'in-1' was already used at entry", {"h3"}, {}, {"in-1"});
  Refused(CoSigned(Intake("in-3", "h1", 1000, 7500, owner), owner), Code::kAlreadyExists,
          "lot 'h1' already exists", {"h1"}, {}, {"in-3"});
  // A manufacturer may take an intake with no old piece behind it.
  v1::Record by_maker = Intake("in-4", "h4", 1000, 7500, owner);
  by_maker.set_signer(manufacturer.id);
  by_maker.set_key_id(manufacturer.key.public_key().Fingerprint());
  Accept(CoSigned(by_maker, owner));
  EXPECT_EQ(GetLot("h4").custodian(), manufacturer.id);
  EXPECT_EQ(GetIntake("in-4").repurposed_piece_id(), "");
}

TEST_F(HeirloomRulesTest, TheOwnersMaterialIsTakenWholeNeverMixedWithAnotherOwnersAndNotAlloyed) {
  Accept(CoSigned(Intake("in-1", "h1", kIntakeMg, 5850, owner), owner));
  Accept(CoSigned(Intake("in-2", "h2", 5000, 7500, other), other));
  Gold("fresh", 3000, 9999);
  Gold("ag", 8000, 9250, "silver");
  const std::vector<std::string> lots = {"h1", "h2", "fresh", "ag", "out"};

  // Taken partly.
  Refused(WithHeirloomFine(TransformT(jeweler, "t1", v1::PROCESS_REFINE, "gold", {{"h1", 5000}},
                                      {{"out", 2925, 10000}}),
                           {29'250'000}),
          Code::kFailedPrecondition,
          "heirloom rule: lot 'h1' carries 6.903 g of the owner's fine gold: a transformation "
          "takes it whole (its whole remaining quantity); the owner's material is never split off "
          "silently",
          lots);
  // Two owners' gold in one melt.
  Refused(TransformT(jeweler, "t1", v1::PROCESS_MERGE, "gold", {{"h1", kIntakeMg}, {"h2", 5000}},
                     {{"out", 10653, 10000}}),
          Code::kFailedPrecondition,
          "heirloom rule: lot 'h1' carries the material of owner key " + owner.id() +
              " and lot 'h2' that of owner key " + other.id() + ": two owners' material never mix",
          lots);
  // The owner's gold as an alloying input of silver.
  Refused(TransformT(jeweler, "t1", v1::PROCESS_ALLOY, "silver", {{"ag", 8000}, {"h1", kIntakeMg}},
                     {{"out", 8000, 9250}}),
          Code::kFailedPrecondition,
          "heirloom rule: lot 'h1' carries 6.903 g of the owner's fine gold: it cannot be an "
          "alloying input of another metal (its lineage would end)",
          lots);
  // Outputs stating what does not add up: 1 fine unit more than the lineage
  // gives (mixed with fresh gold, so the output holds more than the owner's).
  constexpr int64_t kIn = kIntakeFine + 3000 * 9999;  // 99,027,000
  const v1::Record mix =
      TransformT(jeweler, "t1", v1::PROCESS_REFINE, "gold", {{"h1", kIntakeMg}, {"fresh", 3000}},
                 {{"out", 9900, 10000}}, kIn - 99'000'000);
  // 69,030,000 - ceil(27,000 x 69,030,000 / 99,027,000) = 69,011,178.
  Refused(WithHeirloomFine(mix, {69'011'179}), Code::kFailedPrecondition,
          "heirloom rule: the outputs of transformation 't1' state 6.901 g (69011179 fine units) "
          "of the owner's fine gold; its lineage gives 6.901 g (69011178 fine units): 6.903 g "
          "(69030000 fine units) in, less its share of the declared loss 0.002 g (27000 fine "
          "units) of 9.902 g (99027000 fine units) (rounded against the owner)",
          lots);
  Refused(mix, Code::kFailedPrecondition,
          "the outputs of transformation 't1' state 0.000 g (0 fine units)", lots);
  // An output of fresh gold alone stating the owner's gold.
  Refused(WithHeirloomFine(TransformT(jeweler, "t1", v1::PROCESS_REFINE, "gold", {{"fresh", 3000}},
                                      {{"out", 2999, 10000}}, 3000 * 9999 - 2999 * 10000),
                           {1}),
          Code::kFailedPrecondition,
          "heirloom rule: output 'out' of transformation 't1' states 0.000 g (1 fine units) of the "
          "owner's fine gold; its inputs carry none",
          lots);
  Accept(WithHeirloomFine(mix, {69'011'178}));
  EXPECT_TRUE(GetLot("out").heirloom_mixed());
  EXPECT_EQ(GetLot("out").heirloom_owner(), owner.id());
  EXPECT_THAT(GetLot("out").heirloom_intakes(), ::testing::ElementsAre("in-1"));
  EXPECT_EQ(GetLot("h1").balance(), 0);

  // A piece may not take the other owner's lot partly either, nor both owners'.
  Refused(
      Ring("RING-1", {}, {{"h2", 4000}}, nullptr), Code::kFailedPrecondition,
      "heirloom rule: lot 'h2' carries 3.750 g of the owner's fine gold: a piece takes it whole",
      {"h2"}, {"RING-1"});
  Refused(Ring("RING-1", {}, {{"h2", 5000}, {"out", 9900}}, nullptr), Code::kFailedPrecondition,
          "two owners' material never mix", {"h2", "out"}, {"RING-1"});
}

TEST_F(HeirloomRulesTest, APieceItsOwnerReportedStolenIsNotRepurposedUntilRecovered) {
  OldBracelet("OLD-1", owner, "old");
  // The owner key reports it stolen, signing alone (an empty entry signature).
  auto report = [&](v1::PieceEvent event) {
    v1::Record r;
    r.set_record_id(NextRecordId());
    r.set_event_time_micros(NextTime());
    auto* rep = r.mutable_owner_report();
    rep->set_piece_id("OLD-1");
    rep->set_prev_index(GetPiece("OLD-1").owner_index());
    rep->set_event(event);
    rep->set_note("taken from a car");
    const std::string bytes = SerializeRecord(r);
    return ledger().Submit(
        AppendOwnerSignature(bytes, SignAsOwner(owner.key, OwnerSigningMessage(origin(), bytes))),
        "");
  };
  ASSERT_TRUE(report(v1::PIECE_EVENT_STOLEN).ok());
  ASSERT_EQ(GetPiece("OLD-1").owner_status(), v1::PIECE_EVENT_STOLEN);
  const v1::Record intake = CoSigned(
      Intake("in-1", "h1", kIntakeMg, 5850, owner, "OLD-1", {"old-st1", "old-st2"}), owner);
  Refused(intake, Code::kFailedPrecondition,
          "heirloom rule: piece 'OLD-1' is reported stolen: it cannot be repurposed until it is "
          "recovered",
          {"h1", "old-st1", "old-st2"}, {"OLD-1"}, {"in-1"});
  ASSERT_TRUE(report(v1::PIECE_EVENT_RECOVERED).ok());
  Accept(CoSigned(Intake("in-1", "h1", kIntakeMg, 5850, owner, "OLD-1", {"old-st1", "old-st2"}),
                  owner));
  EXPECT_EQ(GetPiece("OLD-1").repurposed_intake(), "in-1");
  // Repurposed, it takes no more owner records either.
  EXPECT_EQ(report(v1::PIECE_EVENT_LOST).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(GetPiece("OLD-1").owner_status(), v1::PIECE_EVENT_UNSPECIFIED);
}

}  // namespace
}  // namespace touchstone::testing
