// Tests of the provenance rules (ledger/provenance/rules.h) through the ledger's append
// path: one test per rule, each showing a record the rule accepts and every way
// of breaking it refused with a precise code and message, with nothing appended.
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/provenance/state_view.h"
#include "tests/rules_test_util.h"

namespace touchstone {
namespace {

using ::testing::ElementsAre;
using testing::Identity;
using ::testing::IsEmpty;
using testing::kHourMicros;
using testing::Out;
using testing::Take;
using ::testing::UnorderedElementsAre;

using Code = absl::StatusCode;

constexpr v1::OriginClass kMined = v1::ORIGIN_CLASS_MINED;
constexpr v1::OriginClass kPreConsumer = v1::ORIGIN_CLASS_RECYCLED_PRE_CONSUMER;
constexpr v1::OriginClass kPostConsumer = v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER;
constexpr v1::OriginClass kLabGrown = v1::ORIGIN_CLASS_LAB_GROWN;

const std::string kOwnerHash(32, '\xa5');

class RulesTest : public testing::RulesFixture {
 protected:
  const v1::KeyState* Key(const v1::ParticipantState& p, const Identity& who) {
    return FindKey(p, who.key.public_key().Fingerprint());
  }
};

// ---------------------------------------------------------------- signers

TEST_F(RulesTest, ARecordIsSignedByAKeyOfItsParticipantActiveAtItsEventTime) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity other = Register("refiner-2", v1::ROLE_REFINER);
  const int64_t registered = GetParticipant("refiner-1").registered_micros();

  // A key signs from the event time of the record that added it on, not before.
  Identity second{"refiner-1", PrivateKey::Generate().value()};
  LearnKey(second);
  v1::Record add = KeyAdded(refiner, "refiner-1", second.key.public_key());
  Accept(add);
  v1::Record before_added = GoldLot(second, "before-added", kPostConsumer, 1000);
  before_added.set_event_time_micros(registered);  // after the registration, before the key
  ASSERT_LT(before_added.event_time_micros(), add.event_time_micros());
  ExpectRefused(before_added, Code::kPermissionDenied, "was added at");
  Accept(GoldLot(second, "with-second-key", kPostConsumer, 1000));

  // A key the participant never had, or another participant's key.
  Identity stranger{"refiner-1", PrivateKey::Generate().value()};
  LearnKey(stranger);
  ExpectRefused(GoldLot(stranger, "stranger", kPostConsumer, 1000), Code::kNotFound,
                "unknown key: participant 'refiner-1' has no key");
  v1::Record borrowed = GoldLot(refiner, "borrowed", kPostConsumer, 1000);
  borrowed.set_signer("refiner-2");
  ExpectRefused(borrowed, Code::kNotFound, "unknown key: participant 'refiner-2' has no key");

  // Only the participant itself or the operator changes its keys.
  const std::string first_key = refiner.key.public_key().Fingerprint();
  ExpectRefused(KeyRevoked(other, "refiner-1", first_key), Code::kPermissionDenied,
                "only 'refiner-1' itself or the operator may change its keys, not 'refiner-2'");

  // A revoked key signs nothing more.
  v1::Record revoke = KeyRevoked(second, "refiner-1", first_key);
  const Receipt revoked = Accept(revoke);
  const v1::ParticipantState state = GetParticipant("refiner-1");
  ASSERT_NE(Key(state, refiner), nullptr);
  ASSERT_NE(Key(state, second), nullptr);
  EXPECT_TRUE(Key(state, refiner)->revoked());
  EXPECT_EQ(Key(state, refiner)->revoked_index(), revoked.index);
  EXPECT_EQ(Key(state, refiner)->revoked_micros(), revoke.event_time_micros());
  EXPECT_FALSE(Key(state, second)->revoked());
  ExpectRefused(GoldLot(refiner, "after-revocation", kPostConsumer, 1000), Code::kPermissionDenied,
                "revoked");
  ExpectRefused(KeyRevoked(second, "refiner-1", first_key), Code::kFailedPrecondition,
                "is already revoked");
  ExpectRefused(KeyRevoked(second, "refiner-1", "0011223344556677"), Code::kNotFound,
                "has no key 0011223344556677");
  Accept(GoldLot(second, "still-signing", kPostConsumer, 1000));

  // The operator may revoke a participant's key too.
  Accept(KeyRevoked(op(), "refiner-2", other.key.public_key().Fingerprint()));
  ExpectRefused(GoldLot(other, "other-revoked", kPostConsumer, 1000), Code::kPermissionDenied,
                "revoked");
}

// Every record type with the roles that may write it and one that may not.
TEST_F(RulesTest, OnlyTheRolesARecordTypeNamesMayWriteIt) {
  Identity miner = Register("miner-1", v1::ROLE_MINER);
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity recycler = Register("recycler-1", v1::ROLE_RECYCLER);
  Identity grower = Register("grower-1", v1::ROLE_GROWER);
  Identity cutter = Register("cutter-1", v1::ROLE_CUTTER);
  Identity maker = Register("maker-1", v1::ROLE_MANUFACTURER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Identity lab = Register("lab-1", v1::ROLE_CERTIFIER);
  Identity lab2 = Register("lab-2", v1::ROLE_CERTIFIER);
  Identity auditor = Register("auditor-1", v1::ROLE_AUDITOR);

  // Lots for every role that transforms, pieces and stones for the jeweler.
  Accept(GoldLot(miner, "g-miner", kMined, 10'000));
  Accept(GoldLot(refiner, "g-refiner", kPostConsumer, 10'000));
  Accept(GoldLot(recycler, "g-recycler", kPostConsumer, 10'000));
  Accept(StoneLot(grower, "rough-grower", kLabGrown, 10'000));
  Accept(StoneLot(grower, "rough-cutter", kLabGrown, 10'000));
  Transfer(grower, cutter, "rough-cutter");
  Accept(GoldLot(refiner, "g-maker", kPostConsumer, 10'000));
  Transfer(refiner, maker, "g-maker");
  Accept(GoldLot(refiner, "g-jeweler", kPostConsumer, 10'000));
  Transfer(refiner, jeweler, "g-jeweler");
  GradedStone(grower, lab, jeweler, "stone-1", kLabGrown);
  GradedStone(grower, lab, jeweler, "stone-2", kLabGrown);
  const uint64_t refiner_record = Accept(GoldLot(refiner, "wrong-lot", kMined, 5)).index;

  Identity newcomer = testing::NewIdentity("newcomer-1");
  Identity refused_newcomer = testing::NewIdentity("newcomer-2");
  Identity refiner_key2{"refiner-1", PrivateKey::Generate().value()};
  Identity miner_key2{"miner-1", PrivateKey::Generate().value()};
  const std::string kTransformRoles =
      "a transformation needs the role refiner or recycler or grower or cutter or manufacturer "
      "or jeweler";
  auto split = [&](const Identity& who, const std::string& lot) {
    return Split(who, "t-" + NextRecordId(), lot, 100, "out-" + NextRecordId());
  };
  auto cut = [&](const Identity& who, const std::string& rough) {
    return Transform(who, "t-" + NextRecordId(), v1::PROCESS_CUT_AND_POLISH, "diamond",
                     {{rough, 1000}}, {{"polished-" + NextRecordId(), 400, 1000, "polished"}},
                     600 * 1000);
  };

  // One row per case: who writes which kind of record, and "" if it is accepted or else the
  // message it is refused with (PERMISSION_DENIED, nothing appended).
  struct Case {
    std::string what;
    std::function<v1::Record()> record;
    std::string refused;
  };
  const std::vector<Case> cases = {
      // Participants: the operator registers, grants, suspends and reinstates;
      // keys are changed by the participant itself or the operator.
      {"operator registers", [&] { return Registration(op(), newcomer, {v1::ROLE_JEWELER}); }, ""},
      {"refiner registers",
       [&] { return Registration(refiner, refused_newcomer, {v1::ROLE_JEWELER}); },
       "only the operator may register participants; 'refiner-1' is not"},
      {"participant adds its own key",
       [&] { return KeyAdded(refiner, "refiner-1", refiner_key2.key.public_key()); }, ""},
      {"operator adds a key",
       [&] { return KeyAdded(op(), "miner-1", miner_key2.key.public_key()); }, ""},
      {"another participant adds a key",
       [&] { return KeyAdded(miner, "refiner-1", miner_key2.key.public_key()); },
       "only 'refiner-1' itself or the operator may change its keys"},
      {"another participant revokes a key",
       [&] { return KeyRevoked(miner, "refiner-1", refiner_key2.key.public_key().Fingerprint()); },
       "only 'refiner-1' itself or the operator may change its keys"},
      {"participant revokes its own key",
       [&] {
         return KeyRevoked(refiner, "refiner-1", refiner_key2.key.public_key().Fingerprint());
       },
       ""},
      {"operator revokes a key",
       [&] { return KeyRevoked(op(), "miner-1", miner_key2.key.public_key().Fingerprint()); }, ""},
      {"jeweler grants a role", [&] { return RoleGranted(jeweler, "jeweler-1", v1::ROLE_REFINER); },
       "only the operator may grant roles, not 'jeweler-1'"},
      {"operator grants a role", [&] { return RoleGranted(op(), "newcomer-1", v1::ROLE_CUTTER); },
       ""},
      {"refiner suspends", [&] { return Suspended(refiner, "newcomer-1"); },
       "only the operator may suspend, not 'refiner-1'"},
      {"operator suspends", [&] { return Suspended(op(), "newcomer-1"); }, ""},
      {"refiner reinstates", [&] { return Reinstated(refiner, "newcomer-1"); },
       "only the operator may reinstate, not 'refiner-1'"},
      {"operator reinstates", [&] { return Reinstated(op(), "newcomer-1"); }, ""},

      // Certificates: certifiers issue; only the issuer changes a status.
      {"jeweler issues a certificate",
       [&] { return Certificate(jeweler, "c-2", "refiner-1", NextTime() - kHourMicros); },
       "issuing a certificate needs the role certifier; 'jeweler-1' does not hold it"},
      {"auditor issues a certificate",
       [&] { return Certificate(auditor, "c-3", "refiner-1", NextTime() - kHourMicros); },
       "issuing a certificate needs the role certifier"},
      {"certifier issues a certificate",
       [&] { return Certificate(lab, "c-1", "refiner-1", NextTime() - kHourMicros); }, ""},
      {"another certifier changes its status",
       [&] { return StatusChange(lab2, "c-1", v1::CERTIFICATE_STATUS_SUSPENDED); },
       "only the issuer 'lab-1' may change the status of certificate 'c-1'"},
      {"jeweler changes its status",
       [&] { return StatusChange(jeweler, "c-1", v1::CERTIFICATE_STATUS_SUSPENDED); },
       "changing a certificate's status needs the role certifier"},
      {"issuer changes its status",
       [&] { return StatusChange(lab, "c-1", v1::CERTIFICATE_STATUS_SUSPENDED); }, ""},

      // Lots: mined by miners and refiners, recycled by recyclers and
      // refiners, lab-grown by growers.
      {"miner creates a mined lot", [&] { return GoldLot(miner, "m-1", kMined, 100); }, ""},
      {"refiner creates a mined lot", [&] { return GoldLot(refiner, "m-2", kMined, 100); }, ""},
      {"recycler creates a mined lot", [&] { return GoldLot(recycler, "m-3", kMined, 100); },
       "a mined lot needs the role miner or refiner; 'recycler-1' does not hold it"},
      {"grower creates a mined lot", [&] { return StoneLot(grower, "m-4", kMined, 100); },
       "a mined lot needs the role miner or refiner"},
      {"jeweler creates a mined lot", [&] { return GoldLot(jeweler, "m-5", kMined, 100); },
       "a mined lot needs the role miner or refiner"},
      {"recycler creates a recycled lot",
       [&] { return GoldLot(recycler, "r-1", kPreConsumer, 100); }, ""},
      {"refiner creates a recycled lot",
       [&] { return GoldLot(refiner, "r-2", kPostConsumer, 100); }, ""},
      {"miner creates a recycled lot", [&] { return GoldLot(miner, "r-3", kPostConsumer, 100); },
       "a recycled lot needs the role recycler or refiner"},
      {"grower creates a lab-grown lot", [&] { return StoneLot(grower, "l-1", kLabGrown, 100); },
       ""},
      {"miner creates a lab-grown lot", [&] { return StoneLot(miner, "l-2", kLabGrown, 100); },
       "a lab-grown lot needs the role grower; 'miner-1' does not hold it"},
      {"refiner creates a lab-grown lot", [&] { return StoneLot(refiner, "l-3", kLabGrown, 100); },
       "a lab-grown lot needs the role grower"},

      // Transformations: every processing role, no one else.
      {"refiner transforms", [&] { return split(refiner, "g-refiner"); }, ""},
      {"recycler transforms", [&] { return split(recycler, "g-recycler"); }, ""},
      {"grower transforms", [&] { return cut(grower, "rough-grower"); }, ""},
      {"cutter transforms", [&] { return cut(cutter, "rough-cutter"); }, ""},
      {"manufacturer transforms", [&] { return split(maker, "g-maker"); }, ""},
      {"jeweler transforms", [&] { return split(jeweler, "g-jeweler"); }, ""},
      {"miner transforms its own lot", [&] { return split(miner, "g-miner"); },
       kTransformRoles + "; 'miner-1' does not hold it"},
      {"certifier transforms", [&] { return split(lab, "g-refiner"); }, kTransformRoles},
      {"auditor transforms", [&] { return split(auditor, "g-refiner"); }, kTransformRoles},
      {"operator transforms", [&] { return split(op(), "g-refiner"); }, kTransformRoles},

      // Custody: any role ships what it holds and receives what is addressed to it.
      {"miner ships its lot", [&] { return Ship(miner, "ship-m", "g-miner", "refiner-1"); }, ""},
      {"refiner receives it", [&] { return Receive(refiner, "ship-m", "g-miner"); }, ""},

      // Pieces: jewelers register them and record what happens to them.
      {"manufacturer registers a piece",
       [&] {
         return Piece(maker, "ring-m", {}, {{"g-maker", 100}});
       },
       "registering a piece needs the role jeweler; 'maker-1' does not hold it"},
      {"jeweler registers a piece",
       [&] {
         return Piece(jeweler, "ring-1", {"stone-1"}, {{"g-jeweler", 100}});
       },
       ""},
      {"manufacturer records a sale",
       [&] { return Lifecycle(maker, "ring-1", v1::PIECE_EVENT_SOLD, kOwnerHash); },
       "a piece record needs the role jeweler; 'maker-1' does not hold it"},
      {"jeweler records a sale",
       [&] { return Lifecycle(jeweler, "ring-1", v1::PIECE_EVENT_SOLD, kOwnerHash); }, ""},
      {"manufacturer replaces a stone",
       [&] { return ReplaceStone(maker, "ring-1", "stone-1", "stone-2"); },
       "a piece record needs the role jeweler"},
      {"jeweler replaces a stone",
       [&] { return ReplaceStone(jeweler, "ring-1", "stone-1", "stone-2"); }, ""},

      // Error declarations: the wrong record's signer or the operator.
      {"another participant declares a record wrong",
       [&] { return DeclareError(jeweler, refiner_record); },
       "only 'refiner-1' (who signed entry " + std::to_string(refiner_record) +
           ") or the operator may declare it wrong"},
      {"its signer declares a record wrong", [&] { return DeclareError(refiner, refiner_record); },
       ""},
      {"the operator declares a record wrong", [&] { return DeclareError(op(), refiner_record); },
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    if (c.refused.empty()) {
      Accept(c.record());
    } else {
      ExpectRefused(c.record(), Code::kPermissionDenied, c.refused);
    }
  }
  EXPECT_THAT(GetParticipant("newcomer-1").roles(), ElementsAre(v1::ROLE_JEWELER, v1::ROLE_CUTTER));
  EXPECT_EQ(GetLot("g-miner").custodian(), "refiner-1");
  EXPECT_THAT(GetPiece("ring-1").stone_lot_ids(), ElementsAre("stone-2"));
}

TEST_F(RulesTest, ASuspendedParticipantWritesNothingUntilReinstated) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity miner = Register("miner-1", v1::ROLE_MINER);
  Accept(GoldLot(refiner, "before", kPostConsumer, 1000));
  Accept(GoldLot(miner, "ore", kMined, 1000));

  Accept(Suspended(op(), "refiner-1"));
  EXPECT_TRUE(GetParticipant("refiner-1").suspended());
  ExpectRefused(GoldLot(refiner, "during", kPostConsumer, 1000), Code::kPermissionDenied,
                "participant 'refiner-1' is suspended");
  ExpectRefused(Split(refiner, "t-during", "before", 10, "during-split"), Code::kPermissionDenied,
                "participant 'refiner-1' is suspended");
  Identity fresh_key{"refiner-1", PrivateKey::Generate().value()};
  ExpectRefused(KeyAdded(refiner, "refiner-1", fresh_key.key.public_key()), Code::kPermissionDenied,
                "participant 'refiner-1' is suspended");
  // Nor does anything reach it.
  ExpectRefused(Ship(miner, "to-suspended", "ore", "refiner-1"), Code::kFailedPrecondition,
                "participant 'refiner-1' is suspended");
  ExpectRefused(Suspended(op(), "refiner-1"), Code::kFailedPrecondition,
                "participant 'refiner-1' is already suspended");
  ExpectRefused(Suspended(op(), "operator"), Code::kFailedPrecondition,
                "a participant cannot suspend or reinstate itself");
  // What it wrote before stays.
  EXPECT_EQ(GetLot("before").custodian(), "refiner-1");

  Accept(Reinstated(op(), "refiner-1"));
  EXPECT_FALSE(GetParticipant("refiner-1").suspended());
  ExpectRefused(Reinstated(op(), "refiner-1"), Code::kFailedPrecondition,
                "participant 'refiner-1' is not suspended");
  Accept(GoldLot(refiner, "after", kPostConsumer, 1000));
  Accept(Split(refiner, "t-after", "before", 10, "after-split"));
  Transfer(miner, refiner, "ore");
  EXPECT_EQ(GetLot("ore").custodian(), "refiner-1");
}

// ---------------------------------------------------------------- references

TEST_F(RulesTest, EverythingARecordRefersToExistsEarlierInTheLog) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Identity lab = Register("lab-1", v1::ROLE_CERTIFIER);
  Accept(GoldLot(refiner, "gold", kPostConsumer, 10'000));
  Accept(GoldLot(refiner, "gold-j", kPostConsumer, 10'000));
  Transfer(refiner, jeweler, "gold-j");
  Accept(Piece(jeweler, "ring", {}, {{"gold-j", 100}}));

  // Lots.
  ExpectRefused(Split(refiner, "t-1", "ghost-lot", 10, "out-1"), Code::kNotFound,
                "reference rule: no lot 'ghost-lot'");
  ExpectRefused(Ship(refiner, "s-1", "ghost-lot", "jeweler-1"), Code::kNotFound,
                "reference rule: no lot 'ghost-lot'");
  ExpectRefused(Receive(jeweler, "s-1", "ghost-lot"), Code::kNotFound,
                "reference rule: no lot 'ghost-lot'");
  ExpectRefused(Piece(jeweler, "ring-2", {}, {{"ghost-lot", 10}}), Code::kNotFound,
                "reference rule: no lot 'ghost-lot'");
  ExpectRefused(Grading(lab, "gr-ghost", "ghost-lot", v1::STONE_ORIGIN_NATURAL, 1000),
                Code::kNotFound, "reference rule: no lot 'ghost-lot'");
  // Stones.
  ExpectRefused(Piece(jeweler, "ring-2", {"ghost-stone"}, {{"gold-j", 10}}), Code::kNotFound,
                "reference rule: no lot 'ghost-stone'");
  // Certificates.
  ExpectRefused(GoldLot(refiner, "certified", kPostConsumer, 100, 1000, {"ghost-cert"}),
                Code::kNotFound, "reference rule: no certificate 'ghost-cert'");
  ExpectRefused(Transform(refiner, "t-2", v1::PROCESS_SPLIT, "gold", {{"gold", 10}},
                          {{"out-2", 10}}, 0, {"ghost-cert"}),
                Code::kNotFound, "reference rule: no certificate 'ghost-cert'");
  ExpectRefused(StatusChange(lab, "ghost-cert", v1::CERTIFICATE_STATUS_REVOKED), Code::kNotFound,
                "reference rule: no certificate 'ghost-cert'");
  // Pieces.
  ExpectRefused(Lifecycle(jeweler, "ghost-piece", v1::PIECE_EVENT_REPAIRED), Code::kNotFound,
                "reference rule: no piece 'ghost-piece'");
  ExpectRefused(ReplaceStone(jeweler, "ghost-piece", "a", "b"), Code::kNotFound,
                "reference rule: no piece 'ghost-piece'");
  // Participants.
  ExpectRefused(Ship(refiner, "s-2", "gold", "ghost"), Code::kNotFound, "participant 'ghost'");
  ExpectRefused(Certificate(lab, "c-ghost", "ghost", NextTime() - kHourMicros), Code::kNotFound,
                "participant 'ghost'");
  ExpectRefused(KeyAdded(op(), "ghost", refiner.key.public_key()), Code::kNotFound,
                "participant 'ghost'");
  ExpectRefused(RoleGranted(op(), "ghost", v1::ROLE_JEWELER), Code::kNotFound,
                "participant 'ghost'");
  ExpectRefused(Suspended(op(), "ghost"), Code::kNotFound, "participant 'ghost'");
  Identity ghost = testing::NewIdentity("ghost");
  LearnKey(ghost);
  ExpectRefused(GoldLot(ghost, "ghost-gold", kPostConsumer, 100), Code::kNotFound,
                "unknown signer: no participant 'ghost'");

  // Earlier means earlier in the log, even inside one batch: a record before
  // the one that makes what it uses is refused, the same record after it is not.
  v1::Record later_lot = GoldLot(refiner, "later", kPostConsumer, 1000);
  v1::Record uses_it = Split(refiner, "t-later", "later", 10, "later-split");
  const uint64_t size = ledger().Size();
  auto results = ledger().SubmitBatch({Sign(uses_it), Sign(later_lot)}).value();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status().code(), Code::kNotFound) << results[0].status();
  EXPECT_THAT(results[0].status().message(),
              ::testing::HasSubstr("reference rule: no lot 'later'"));
  ASSERT_TRUE(results[1].ok()) << results[1].status();
  EXPECT_EQ(results[1]->index, size);
  EXPECT_EQ(ledger().Size(), size + 1);
  Accept(uses_it);
}

// ---------------------------------------------------------------- custody

TEST_F(RulesTest, OnlyTheCurrentCustodianTransfersTransformsOrConsumesALot) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Identity jeweler2 = Register("jeweler-2", v1::ROLE_JEWELER);
  Accept(GoldLot(refiner, "gold", kPostConsumer, 10'000));

  // Nobody but the custodian moves, transforms or uses the lot.
  ExpectRefused(Ship(jeweler, "s-0", "gold", "jeweler-2"), Code::kPermissionDenied,
                "custody rule: lot 'gold' is held by 'refiner-1', not 'jeweler-1'");
  ExpectRefused(Split(jeweler, "t-0", "gold", 10, "stolen"), Code::kPermissionDenied,
                "custody rule: lot 'gold' is held by 'refiner-1', not 'jeweler-1'");
  ExpectRefused(Piece(jeweler, "ring-0", {}, {{"gold", 10}}), Code::kPermissionDenied,
                "custody rule: lot 'gold' is held by 'refiner-1', not 'jeweler-1'");
  ExpectRefused(Ship(refiner, "s-self", "gold", "refiner-1"), Code::kInvalidArgument,
                "a lot cannot be shipped to its own custodian");

  // In transit, it cannot be shipped again, transformed or consumed.
  Accept(Ship(refiner, "s-1", "gold", "jeweler-1"));
  v1::LotState lot = GetLot("gold");
  EXPECT_EQ(lot.custodian(), "refiner-1");
  EXPECT_EQ(lot.shipment_id(), "s-1");
  EXPECT_EQ(lot.in_transit_to(), "jeweler-1");
  ExpectRefused(Ship(refiner, "s-2", "gold", "jeweler-2"), Code::kFailedPrecondition,
                "custody rule: lot 'gold' is in transit to 'jeweler-1' (shipment 's-1') and "
                "cannot be shipped");
  ExpectRefused(Split(refiner, "t-1", "gold", 10, "in-transit-split"), Code::kFailedPrecondition,
                "lot 'gold' is in transit to 'jeweler-1' (shipment 's-1') and cannot be "
                "transformed");
  ExpectRefused(Piece(jeweler, "ring-1", {}, {{"gold", 10}}), Code::kFailedPrecondition,
                "custody rule: lot 'gold' is in transit to 'jeweler-1' (shipment 's-1') and "
                "cannot be used in a piece");

  // Only the addressee receives it, under the shipment's id.
  ExpectRefused(Receive(jeweler2, "s-1", "gold"), Code::kPermissionDenied,
                "custody rule: shipment 's-1' is addressed to 'jeweler-1', not 'jeweler-2'");
  ExpectRefused(Receive(jeweler, "s-wrong", "gold"), Code::kFailedPrecondition,
                "custody rule: lot 'gold' is not in transit under shipment 's-wrong'");
  Accept(Receive(jeweler, "s-1", "gold"));
  lot = GetLot("gold");
  EXPECT_EQ(lot.custodian(), "jeweler-1");
  EXPECT_THAT(lot.shipment_id(), IsEmpty());
  EXPECT_THAT(lot.in_transit_to(), IsEmpty());
  ExpectRefused(Receive(jeweler, "s-1", "gold"), Code::kFailedPrecondition,
                "custody rule: lot 'gold' is not in transit under shipment 's-1'");

  // The new custodian holds it; the old one does not any more.
  ExpectRefused(Ship(refiner, "s-3", "gold", "jeweler-2"), Code::kPermissionDenied,
                "custody rule: lot 'gold' is held by 'jeweler-1', not 'refiner-1'");
  ExpectRefused(Split(refiner, "t-2", "gold", 10, "old-custodian-split"), Code::kPermissionDenied,
                "held by 'jeweler-1', not 'refiner-1'");
  Accept(Split(jeweler, "t-3", "gold", 1000, "jeweler-split"));
  EXPECT_EQ(GetLot("jeweler-split").custodian(), "jeweler-1");
  Accept(Piece(jeweler, "ring-2", {}, {{"gold", 1000}}));
  EXPECT_EQ(GetLot("gold").balance(), 8000);
}

// ---------------------------------------------------------------- quantities

TEST_F(RulesTest, FineWeightIsConservedWithinTheLossToleranceOfEachProcess) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity grower = Register("grower-1", v1::ROLE_GROWER);
  Accept(GoldLot(refiner, "big", kPostConsumer, 1'000'000));
  Accept(GoldLot(refiner, "scrap", kPostConsumer, 10'000, 750));
  Accept(StoneLot(grower, "rough", kLabGrown, 100'000));

  // Fine units are quantity x fineness: 1000 mg at 750 ppt refine to 750 mg
  // of fine gold, not 1000.
  const Receipt refined = Accept(Transform(refiner, "t-fine", v1::PROCESS_REFINE, "gold",
                                           {{"scrap", 1000}}, {{"fine", 750, 1000}}));
  const v1::LotState fine = GetLot("fine");
  EXPECT_EQ(fine.quantity(), 750);
  EXPECT_EQ(fine.balance(), 750);
  EXPECT_EQ(fine.fineness_ppt(), 1000);
  EXPECT_EQ(fine.custodian(), "refiner-1");
  EXPECT_EQ(fine.origin_class(), kPostConsumer);
  EXPECT_THAT(fine.inputs_from(), ElementsAre(refined.index));
  EXPECT_EQ(GetLot("scrap").balance(), 9000);
  ExpectRefused(Transform(refiner, "t-heavier", v1::PROCESS_REFINE, "gold", {{"scrap", 1000}},
                          {{"heavier", 1000, 1000}}),
                Code::kFailedPrecondition,
                "mass conservation: inputs hold 750000 fine units of gold; outputs 1000000 plus "
                "declared loss 0 make 1000000");

  // Outputs plus declared loss equal the inputs, exactly.
  Accept(Transform(refiner, "t-exact", v1::PROCESS_REFINE, "gold", {{"big", 1000}},
                   {{"exact", 999, 1000}}, 1000));
  ExpectRefused(Transform(refiner, "t-short", v1::PROCESS_REFINE, "gold", {{"big", 1000}},
                          {{"short", 999, 1000}}, 0),
                Code::kFailedPrecondition,
                "mass conservation: inputs hold 1000000 fine units of gold; outputs 999000 plus "
                "declared loss 0 make 999000");
  ExpectRefused(Transform(refiner, "t-over", v1::PROCESS_REFINE, "gold", {{"big", 1000}},
                          {{"over", 1000, 1000}}, 1000),
                Code::kFailedPrecondition, "outputs 1000000 plus declared loss 1000 make 1001000");
  ExpectRefused(Transform(refiner, "t-negative", v1::PROCESS_REFINE, "gold", {{"big", 1000}},
                          {{"negative", 1001, 1000}}, -1000),
                Code::kInvalidArgument, "declared_loss_fine must not be negative");

  // Each process has its own tolerance (RuleOptions defaults): a loss of
  // exactly the tolerance passes, one fine unit more does not.
  struct Tolerance {
    v1::Process process;
    int64_t ppt;
  };
  for (const Tolerance& t : std::vector<Tolerance>{{v1::PROCESS_REFINE, 50},
                                                   {v1::PROCESS_ALLOY, 20},
                                                   {v1::PROCESS_CAST, 30},
                                                   {v1::PROCESS_SPLIT, 0},
                                                   {v1::PROCESS_MERGE, 0}}) {
    const std::string name = v1::Process_Name(t.process);
    SCOPED_TRACE(name);
    // 1000 mg at 1000 ppt: 1,000,000 fine units in.
    Accept(Transform(refiner, "at-" + name, t.process, "gold", {{"big", 1000}},
                     {{"at-" + name, 1000 - t.ppt, 1000}}, t.ppt * 1000));
    // One fine unit less out, one more declared lost (a merge has one output).
    const std::vector<Out> outputs =
        t.process == v1::PROCESS_MERGE
            ? std::vector<Out>{{"over-" + name, 1001, 999}}
            : std::vector<Out>{{"over-" + name, 999 - t.ppt, 1000}, {"over-b-" + name, 1, 999}};
    ExpectRefused(Transform(refiner, "over-" + name, t.process, "gold", {{"big", 1000}}, outputs,
                            t.ppt * 1000 + 1),
                  Code::kFailedPrecondition,
                  "loss rule: a declared loss of " + std::to_string(t.ppt * 1000 + 1) +
                      " of 1000000 fine units exceeds the " + std::to_string(t.ppt) +
                      " ppt allowed for " + name);
  }
  // Cutting rough loses most of it: 700 ppt.
  Accept(Transform(grower, "cut-ok", v1::PROCESS_CUT_AND_POLISH, "diamond", {{"rough", 1000}},
                   {{"polished", 300, 1000, "polished"}}, 700'000));
  ExpectRefused(Transform(grower, "cut-over", v1::PROCESS_CUT_AND_POLISH, "diamond",
                          {{"rough", 1000}}, {{"too-small", 299, 1000, "polished"}}, 701'000),
                Code::kFailedPrecondition,
                "loss rule: a declared loss of 701000 of 1000000 fine units exceeds the 700 ppt "
                "allowed for PROCESS_CUT_AND_POLISH");
  EXPECT_EQ(GetLot("big").balance(), 1'000'000 - 1000 - 5 * 1000);
  EXPECT_EQ(GetLot("rough").balance(), 99'000);
}

// Found by fuzz/fuzz_records.cc under UBSan: fine-weight sums overflowed int64. A
// declared loss near 2^63 overflowed "outputs + loss", and eleven lots of a tonne
// merged with a loss of ten tonnes overflowed "loss x 1000" to a negative number,
// which passed the merge's zero-loss tolerance.
TEST_F(RulesTest, FineWeightArithmeticNeverOverflows) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  constexpr int64_t kTonne = 1'000'000'000'000;  // the largest lot, in mg
  std::vector<Take> all;
  for (int i = 0; i < 11; ++i) {
    const std::string id = "tonne-" + std::to_string(i);
    Accept(GoldLot(refiner, id, kPostConsumer, kTonne));
    all.push_back({id, kTonne});
  }
  ExpectRefused(Transform(refiner, "t-huge-loss", v1::PROCESS_SPLIT, "gold", {{"tonne-0", 1000}},
                          {{"huge", 1000, 1000}}, std::numeric_limits<int64_t>::max()),
                Code::kFailedPrecondition, "mass conservation: inputs hold 1000000 fine units");
  // 11e15 fine units in, 1e15 out, 1e16 declared lost: conserved, but a merge loses nothing.
  ExpectRefused(Transform(refiner, "t-vanish", v1::PROCESS_MERGE, "gold", all,
                          {{"merged", kTonne, 1000}}, 10 * kTonne * 1000),
                Code::kFailedPrecondition,
                "loss rule: a declared loss of 10000000000000000 of 11000000000000000 fine units "
                "exceeds the 0 ppt allowed for PROCESS_MERGE");
  EXPECT_EQ(GetLot("tonne-0").balance(), kTonne);
}

TEST_F(RulesTest, ALotNeverGivesOutMoreThanItHolds) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Accept(GoldLot(refiner, "lot", kPostConsumer, 1000));

  Accept(Split(refiner, "t-1", "lot", 600, "a"));
  EXPECT_EQ(GetLot("lot").balance(), 400);
  EXPECT_EQ(GetLot("lot").quantity(), 1000);
  ExpectRefused(Split(refiner, "t-2", "lot", 500, "b"), Code::kFailedPrecondition,
                "balance rule: lot 'lot' holds 400; the transformation takes 500");
  // A transformation's output holds what it was made with, and no more.
  ExpectRefused(Split(refiner, "t-3", "a", 601, "a2"), Code::kFailedPrecondition,
                "balance rule: lot 'a' holds 600; the transformation takes 601");
  Accept(Split(refiner, "t-4", "a", 600, "a3"));
  EXPECT_EQ(GetLot("a").balance(), 0);
  ExpectRefused(Split(refiner, "t-5", "a", 1, "a4"), Code::kFailedPrecondition,
                "balance rule: lot 'a' holds 0; the transformation takes 1");
  ExpectRefused(Ship(refiner, "s-a", "a", "jeweler-1"), Code::kFailedPrecondition,
                "balance rule: lot 'a' is used up");
  // One record cannot take the same lot twice, nor take nothing.
  ExpectRefused(Transform(refiner, "t-6", v1::PROCESS_MERGE, "gold", {{"lot", 300}, {"lot", 300}},
                          {{"twice", 600}}),
                Code::kInvalidArgument, "lot 'lot' is listed twice");
  ExpectRefused(Split(refiner, "t-7", "lot", 0, "zero"), Code::kInvalidArgument,
                "input quantity of lot 'lot' must be positive");
  ExpectRefused(Split(refiner, "t-8", "lot", -5, "negative"), Code::kInvalidArgument,
                "input quantity of lot 'lot' must be positive");

  // A piece's metal comes out of the same balance.
  Transfer(refiner, jeweler, "lot");
  ExpectRefused(Piece(jeweler, "ring-1", {}, {{"lot", 401}}), Code::kFailedPrecondition,
                "balance rule: lot 'lot' holds 400; the piece takes 401");
  Accept(Piece(jeweler, "ring-1", {}, {{"lot", 150}}));
  Accept(Split(jeweler, "t-9", "lot", 250, "c"));
  EXPECT_EQ(GetLot("lot").balance(), 0);
  ExpectRefused(Piece(jeweler, "ring-2", {}, {{"lot", 1}}), Code::kFailedPrecondition,
                "balance rule: lot 'lot' holds 0; the piece takes 1");
  ExpectRefused(Piece(jeweler, "ring-3", {}, {{"c", 100}, {"c", 100}}), Code::kInvalidArgument,
                "lot 'c' is listed twice");
  EXPECT_EQ(GetLot("lot").quantity(), 1000);
}

// ---------------------------------------------------------------- stones

TEST_F(RulesTest, AStoneIsSetInAtMostOneActivePiece) {
  Identity grower = Register("grower-1", v1::ROLE_GROWER);
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Identity lab = Register("lab-1", v1::ROLE_CERTIFIER);
  GradedStone(grower, lab, jeweler, "s1", kLabGrown);
  GradedStone(grower, lab, jeweler, "s2", kLabGrown);
  Accept(StoneLot(grower, "raw", kLabGrown, 1000));
  Transfer(grower, jeweler, "raw");
  Accept(GoldLot(refiner, "gold", kPostConsumer, 10'000));
  Transfer(refiner, jeweler, "gold");

  Accept(Piece(jeweler, "p1", {"s1"}, {{"gold", 1000}}));
  EXPECT_EQ(GetLot("s1").active_piece(), "p1");
  ExpectRefused(Piece(jeweler, "p2", {"s1"}, {{"gold", 1000}}), Code::kFailedPrecondition,
                "stone rule: stone 's1' is already set in piece 'p1'");
  ExpectRefused(Piece(jeweler, "p2", {"s2", "s2"}, {}), Code::kInvalidArgument,
                "stone 's2' is listed twice");
  ExpectRefused(Piece(jeweler, "p2", {"raw"}, {}), Code::kFailedPrecondition,
                "stone rule: stone 'raw' has no grading report");
  ExpectRefused(Piece(jeweler, "p2", {"gold"}, {}), Code::kInvalidArgument,
                "lot 'gold' is not a stone");
  // A set stone stays where it is.
  ExpectRefused(Ship(jeweler, "s-set", "s1", "grower-1"), Code::kFailedPrecondition,
                "stone rule: lot 's1' is set in piece 'p1' and cannot be shipped");
  ExpectRefused(Transform(jeweler, "t-set", v1::PROCESS_SPLIT, "diamond", {{"s1", 500}},
                          {{"half", 500, 1000, "polished"}}),
                Code::kFailedPrecondition,
                "stone rule: lot 's1' is set in piece 'p1' and cannot be transformed");

  // Replacing a stone releases the old one, which another piece may then take.
  ExpectRefused(ReplaceStone(jeweler, "p1", "s2", "s1"), Code::kFailedPrecondition,
                "stone 's2' is not in piece 'p1'");
  Accept(ReplaceStone(jeweler, "p1", "s1", "s2"));
  EXPECT_THAT(GetPiece("p1").stone_lot_ids(), ElementsAre("s2"));
  EXPECT_THAT(GetLot("s1").active_piece(), IsEmpty());
  EXPECT_EQ(GetLot("s1").custodian(), "jeweler-1");
  EXPECT_EQ(GetLot("s2").active_piece(), "p1");
  ExpectRefused(Piece(jeweler, "p2", {"s2"}, {}), Code::kFailedPrecondition,
                "stone rule: stone 's2' is already set in piece 'p1'");
  Accept(Piece(jeweler, "p2", {"s1"}, {{"gold", 1000}}));
  EXPECT_EQ(GetLot("s1").active_piece(), "p2");
  ExpectRefused(ReplaceStone(jeweler, "p1", "s2", "s1"), Code::kFailedPrecondition,
                "stone rule: stone 's1' is already set in piece 'p2'");
  EXPECT_THAT(GetPiece("p1").stone_lot_ids(), ElementsAre("s2"));
}

TEST_F(RulesTest, LabGrownNeverBecomesNaturalDownstream) {
  Identity grower = Register("grower-1", v1::ROLE_GROWER);
  Identity miner = Register("miner-1", v1::ROLE_MINER);
  Identity cutter = Register("cutter-1", v1::ROLE_CUTTER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Identity lab = Register("lab-1", v1::ROLE_CERTIFIER);
  Accept(StoneLot(grower, "lg-rough", kLabGrown, 2000));
  Accept(StoneLot(miner, "nat-rough", kMined, 2000));

  // A report cannot call a stone other than the ledger knows it to be.
  ExpectRefused(Grading(lab, "gr-1", "lg-rough", v1::STONE_ORIGIN_NATURAL, 2000),
                Code::kFailedPrecondition,
                "origin rule: lot 'lg-rough' is ORIGIN_CLASS_LAB_GROWN in the ledger; a grading "
                "report cannot call it STONE_ORIGIN_NATURAL");
  ExpectRefused(Grading(lab, "gr-2", "nat-rough", v1::STONE_ORIGIN_LAB_GROWN, 2000),
                Code::kFailedPrecondition,
                "lot 'nat-rough' is ORIGIN_CLASS_MINED in the ledger; a grading report cannot "
                "call it STONE_ORIGIN_LAB_GROWN");
  v1::Record no_method = Grading(lab, "gr-3", "lg-rough", v1::STONE_ORIGIN_LAB_GROWN, 2000);
  no_method.mutable_certificate_issued()->mutable_grading_report()->clear_growth_method();
  ExpectRefused(no_method, Code::kInvalidArgument,
                "a lab-grown stone's report needs its growth method");

  // Cutting lab-grown rough yields a lab-grown stone.
  Transfer(grower, cutter, "lg-rough");
  Transfer(miner, cutter, "nat-rough");
  Accept(Transform(cutter, "cut-lg", v1::PROCESS_CUT_AND_POLISH, "diamond", {{"lg-rough", 1000}},
                   {{"lg-polished", 400, 1000, "polished"}}, 600'000));
  EXPECT_EQ(GetLot("lg-polished").origin_class(), kLabGrown);
  EXPECT_EQ(GetLot("lg-polished").stone_origin(), v1::STONE_ORIGIN_LAB_GROWN);
  ExpectRefused(Grading(lab, "gr-4", "lg-polished", v1::STONE_ORIGIN_NATURAL, 400),
                Code::kFailedPrecondition,
                "lot 'lg-polished' is ORIGIN_CLASS_LAB_GROWN in the ledger; a grading report "
                "cannot call it STONE_ORIGIN_NATURAL");
  Accept(Grading(lab, "gr-lg", "lg-polished", v1::STONE_ORIGIN_LAB_GROWN, 400));
  EXPECT_EQ(GetCertificate("gr-lg").stone_origin(), v1::STONE_ORIGIN_LAB_GROWN);

  // Merging lab-grown with mined rough yields MIXED: neither natural nor lab-grown.
  Accept(Transform(cutter, "merge", v1::PROCESS_MERGE, "diamond",
                   {{"lg-rough", 1000}, {"nat-rough", 1000}}, {{"merged", 2000, 1000, "rough"}}));
  EXPECT_EQ(GetLot("merged").origin_class(), v1::ORIGIN_CLASS_MIXED);
  EXPECT_EQ(GetLot("merged").stone_origin(), v1::STONE_ORIGIN_UNSPECIFIED);
  ExpectRefused(Grading(lab, "gr-5", "merged", v1::STONE_ORIGIN_NATURAL, 2000),
                Code::kFailedPrecondition,
                "lot 'merged' is ORIGIN_CLASS_MIXED in the ledger; a grading report cannot call it "
                "STONE_ORIGIN_NATURAL");
  ExpectRefused(Grading(lab, "gr-6", "merged", v1::STONE_ORIGIN_LAB_GROWN, 2000),
                Code::kFailedPrecondition,
                "lot 'merged' is ORIGIN_CLASS_MIXED in the ledger; a grading report cannot call it "
                "STONE_ORIGIN_LAB_GROWN");
  Transfer(cutter, jeweler, "merged");
  ExpectRefused(Piece(jeweler, "ring-merged", {"merged"}, {}), Code::kFailedPrecondition,
                "stone rule: stone 'merged' has no grading report");

  // A piece with a lab-grown and a natural stone holds neither diamond claim.
  Transfer(cutter, jeweler, "lg-polished");
  GradedStone(miner, lab, jeweler, "nat-polished", kMined, 500);
  ExpectRefused(
      Piece(jeweler, "ring", {"lg-polished", "nat-polished"}, {}, {v1::CLAIM_NATURAL_DIAMONDS}),
      Code::kFailedPrecondition,
      "claim rule: CLAIM_NATURAL_DIAMONDS is not supported: stone 'lg-polished' is "
      "STONE_ORIGIN_LAB_GROWN");
  ExpectRefused(
      Piece(jeweler, "ring", {"lg-polished", "nat-polished"}, {}, {v1::CLAIM_LAB_GROWN_DIAMONDS}),
      Code::kFailedPrecondition,
      "claim rule: CLAIM_LAB_GROWN_DIAMONDS is not supported: stone 'nat-polished' is "
      "STONE_ORIGIN_NATURAL");
  Accept(Piece(jeweler, "ring", {"lg-polished", "nat-polished"}, {}));
  const v1::PieceState ring = GetPiece("ring");
  for (int claim : ring.claims()) {
    EXPECT_NE(claim, v1::CLAIM_NATURAL_DIAMONDS);
    EXPECT_NE(claim, v1::CLAIM_LAB_GROWN_DIAMONDS);
  }
}

// ---------------------------------------------------------------- claims

TEST_F(RulesTest, AClaimHoldsOnlyIfEveryInputSupportsItAllTheWayBack) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity grower = Register("grower-1", v1::ROLE_GROWER);
  Identity miner = Register("miner-1", v1::ROLE_MINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Identity lab = Register("lab-1", v1::ROLE_CERTIFIER);
  Accept(Certificate(lab, "rjc", "refiner-1", NextTime() - kHourMicros));
  Accept(GoldLot(refiner, "post", kPostConsumer, 20'000, 999));
  Accept(GoldLot(refiner, "pre", kPreConsumer, 20'000, 999));
  Accept(GoldLot(refiner, "mined", kMined, 20'000, 999));
  Accept(GoldLot(refiner, "certified", kPostConsumer, 10'000, 1000, {"rjc"}));

  // Recycled pre- and post-consumer gold refines to recycled gold.
  Accept(Transform(refiner, "t-rr", v1::PROCESS_REFINE, "gold", {{"post", 5000}, {"pre", 5000}},
                   {{"rr", 9990, 1000}}));
  EXPECT_EQ(GetLot("rr").origin_class(), v1::ORIGIN_CLASS_RECYCLED_MIXED);
  Accept(Transform(refiner, "t-rr-cast", v1::PROCESS_CAST, "gold", {{"rr", 9990}},
                   {{"rr-cast", 9990, 1000, "sheet"}}));
  // One mined input breaks the claim, however far upstream it was mixed in.
  Accept(Transform(refiner, "t-mix", v1::PROCESS_REFINE, "gold", {{"post", 5000}, {"mined", 5000}},
                   {{"mix", 9990, 1000}}));
  Accept(Transform(refiner, "t-mix-cast", v1::PROCESS_CAST, "gold", {{"mix", 9990}},
                   {{"mix-cast", 9990, 1000, "sheet"}}));
  Accept(Split(refiner, "t-mix-split", "mix-cast", 5000, "mix-split"));
  EXPECT_EQ(GetLot("mix").origin_class(), v1::ORIGIN_CLASS_MIXED);
  EXPECT_EQ(GetLot("mix-split").origin_class(), v1::ORIGIN_CLASS_MIXED);
  // Alloying metal counts too: recycled gold alloyed with mined copper is not
  // recycled metal.
  Accept(Lot(refiner, "copper", "copper", kMined, 1000, v1::UNIT_MILLIGRAM, 1000));
  Accept(Transform(refiner, "t-18k", v1::PROCESS_ALLOY, "gold", {{"post", 3000}, {"copper", 1000}},
                   {{"18k", 3996, 750}}));
  EXPECT_EQ(GetLot("18k").origin_class(), v1::ORIGIN_CLASS_MIXED);
  EXPECT_EQ(GetLot("copper").balance(), 0);
  for (const char* lot : {"rr-cast", "mix-split", "mined", "certified", "18k"}) {
    Transfer(refiner, jeweler, lot);
  }

  // The ledger derives the claims and accepts those it derives.
  Accept(Piece(jeweler, "recycled-ring", {}, {{"rr-cast", 2000}}, {v1::CLAIM_RECYCLED_METAL}));
  EXPECT_THAT(GetPiece("recycled-ring").claims(), ElementsAre(v1::CLAIM_RECYCLED_METAL));
  ExpectRefused(Piece(jeweler, "mixed-ring", {}, {{"mix-split", 2000}}, {v1::CLAIM_RECYCLED_METAL}),
                Code::kFailedPrecondition,
                "claim rule: CLAIM_RECYCLED_METAL is not supported: lot 'mix-split' is "
                "ORIGIN_CLASS_MIXED");
  Accept(Piece(jeweler, "mixed-ring", {}, {{"mix-split", 2000}}));
  EXPECT_THAT(GetPiece("mixed-ring").claims(), IsEmpty());
  ExpectRefused(Piece(jeweler, "alloy-ring", {}, {{"18k", 2000}}, {v1::CLAIM_RECYCLED_METAL}),
                Code::kFailedPrecondition,
                "CLAIM_RECYCLED_METAL is not supported: lot '18k' is ORIGIN_CLASS_MIXED");
  ExpectRefused(Piece(jeweler, "half-ring", {}, {{"rr-cast", 1000}, {"mined", 1000}},
                      {v1::CLAIM_RECYCLED_METAL}),
                Code::kFailedPrecondition,
                "CLAIM_RECYCLED_METAL is not supported: lot 'mined' is ORIGIN_CLASS_MINED");

  // Certified all the way back: every lot backed by a certificate.
  Accept(Piece(jeweler, "certified-ring", {}, {{"certified", 1000}},
               {v1::CLAIM_RECYCLED_METAL, v1::CLAIM_CERTIFIED_CHAIN}));
  EXPECT_THAT(GetPiece("certified-ring").claims(),
              UnorderedElementsAre(v1::CLAIM_RECYCLED_METAL, v1::CLAIM_CERTIFIED_CHAIN));
  ExpectRefused(Piece(jeweler, "uncertified-ring", {}, {{"certified", 1000}, {"rr-cast", 1000}},
                      {v1::CLAIM_CERTIFIED_CHAIN}),
                Code::kFailedPrecondition,
                "claim rule: CLAIM_CERTIFIED_CHAIN is not supported: lot 'rr-cast' is not "
                "certified all the way back");

  // Diamond claims need stones, all of one origin.
  ExpectRefused(Piece(jeweler, "plain", {}, {{"rr-cast", 100}}, {v1::CLAIM_LAB_GROWN_DIAMONDS}),
                Code::kFailedPrecondition,
                "CLAIM_LAB_GROWN_DIAMONDS is not supported: the piece has no stones");
  GradedStone(grower, lab, jeweler, "lg", kLabGrown);
  GradedStone(miner, lab, jeweler, "nat", kMined);
  Accept(Piece(jeweler, "lab-ring", {"lg"}, {{"rr-cast", 100}},
               {v1::CLAIM_LAB_GROWN_DIAMONDS, v1::CLAIM_RECYCLED_METAL}));
  EXPECT_THAT(GetPiece("lab-ring").claims(),
              UnorderedElementsAre(v1::CLAIM_RECYCLED_METAL, v1::CLAIM_LAB_GROWN_DIAMONDS));
  ExpectRefused(Piece(jeweler, "nat-ring", {"nat"}, {}, {v1::CLAIM_LAB_GROWN_DIAMONDS}),
                Code::kFailedPrecondition,
                "CLAIM_LAB_GROWN_DIAMONDS is not supported: stone 'nat' is STONE_ORIGIN_NATURAL");
  ExpectRefused(Piece(jeweler, "nat-ring", {"nat"}, {}, {v1::CLAIM_RECYCLED_METAL}),
                Code::kFailedPrecondition,
                "CLAIM_RECYCLED_METAL is not supported: the piece has no metal");
  ExpectRefused(Piece(jeweler, "nat-ring", {"nat"}, {}, {static_cast<v1::Claim>(99)}),
                Code::kInvalidArgument, "claim 99 is not a known claim");
  Accept(Piece(jeweler, "nat-ring", {"nat"}, {}, {v1::CLAIM_NATURAL_DIAMONDS}));
  EXPECT_THAT(GetPiece("nat-ring").claims(), ElementsAre(v1::CLAIM_NATURAL_DIAMONDS));
}

// ---------------------------------------------------------------- certificates

TEST_F(RulesTest, ACertificateARecordReliesOnIsValidAtTheRecordsEventTime) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity grower = Register("grower-1", v1::ROLE_GROWER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Identity lab = Register("lab-1", v1::ROLE_CERTIFIER);
  const int64_t now = NextTime();
  Accept(Certificate(lab, "c-valid", "refiner-1", now - kHourMicros, now + kHourMicros));
  Accept(Certificate(lab, "c-future", "refiner-1", now + kHourMicros));
  Accept(Certificate(lab, "c-expired", "refiner-1", now - 2 * kHourMicros, now - kHourMicros));
  Accept(Certificate(lab, "c-status", "refiner-1", now - kHourMicros));
  Accept(GoldLot(refiner, "base", kPostConsumer, 10'000));

  const Receipt used = Accept(GoldLot(refiner, "backed", kPostConsumer, 1000, 1000, {"c-valid"}));
  EXPECT_TRUE(GetLot("backed").certified());
  ExpectRefused(GoldLot(refiner, "too-early", kPostConsumer, 1000, 1000, {"c-future"}),
                Code::kFailedPrecondition,
                "certificate rule: certificate 'c-future' is valid from");
  ExpectRefused(GoldLot(refiner, "too-late", kPostConsumer, 1000, 1000, {"c-expired"}),
                Code::kFailedPrecondition, "certificate rule: certificate 'c-expired' expired at");
  ExpectRefused(Transform(refiner, "t-expired", v1::PROCESS_SPLIT, "gold", {{"base", 10}},
                          {{"t-expired-out", 10}}, 0, {"c-expired"}),
                Code::kFailedPrecondition, "certificate 'c-expired' expired at");

  // Suspended, then reinstated.
  Accept(StatusChange(lab, "c-status", v1::CERTIFICATE_STATUS_SUSPENDED));
  ExpectRefused(GoldLot(refiner, "while-suspended", kPostConsumer, 1000, 1000, {"c-status"}),
                Code::kFailedPrecondition,
                "certificate rule: certificate 'c-status' was suspended at");
  ExpectRefused(Transform(refiner, "t-suspended", v1::PROCESS_SPLIT, "gold", {{"base", 10}},
                          {{"t-suspended-out", 10}}, 0, {"c-status"}),
                Code::kFailedPrecondition, "certificate 'c-status' was suspended at");
  ExpectRefused(StatusChange(lab, "c-status", v1::CERTIFICATE_STATUS_REINSTATED, now - 1),
                Code::kFailedPrecondition,
                "certificate rule: a status change cannot take effect before its own event time");
  Accept(StatusChange(lab, "c-status", v1::CERTIFICATE_STATUS_REINSTATED));
  Accept(GoldLot(refiner, "after-reinstatement", kPostConsumer, 1000, 1000, {"c-status"}));

  // Validity is judged at the record's event time: a suspension effective in a
  // minute does not touch a record of now, but does touch one two minutes ahead.
  Accept(Certificate(lab, "c-soon", "refiner-1", now - kHourMicros));
  const int64_t soon = NextTime() + 60'000'000;
  Accept(StatusChange(lab, "c-soon", v1::CERTIFICATE_STATUS_SUSPENDED, soon));
  Accept(GoldLot(refiner, "before-effective", kPostConsumer, 1000, 1000, {"c-soon"}));
  v1::Record ahead = GoldLot(refiner, "after-effective", kPostConsumer, 1000, 1000, {"c-soon"});
  ahead.set_event_time_micros(soon + 60'000'000);
  ExpectRefused(ahead, Code::kFailedPrecondition, "certificate 'c-soon' was suspended at");
  v1::Record reinstate_earlier = StatusChange(lab, "c-soon", v1::CERTIFICATE_STATUS_REINSTATED);
  reinstate_earlier.mutable_certificate_status_changed()->set_effective_micros(
      reinstate_earlier.event_time_micros() + 1);
  ExpectRefused(reinstate_earlier, Code::kFailedPrecondition,
                "a status change cannot take effect before the last one");

  // A record cannot rely on a certificate by dating itself before a suspension
  // the log already holds.
  Accept(Certificate(lab, "c-back", "refiner-1", now - kHourMicros));
  const v1::Record suspend_back = StatusChange(lab, "c-back", v1::CERTIFICATE_STATUS_SUSPENDED);
  Accept(suspend_back);
  v1::Record backdated = GoldLot(refiner, "backdated", kPostConsumer, 1000, 1000, {"c-back"});
  backdated.set_event_time_micros(suspend_back.event_time_micros() - 1);
  ExpectRefused(backdated, Code::kFailedPrecondition,
                "certificate rule: certificate 'c-back' was suspended at");
  ExpectRefused(backdated, Code::kFailedPrecondition, "and the log records this record at");

  // A certificate backs what it is about: the signer, its facility, or a lot the
  // record uses; not someone else.
  Accept(Certificate(lab, "c-jeweler", "jeweler-1", now - kHourMicros));
  ExpectRefused(GoldLot(refiner, "borrowed", kPostConsumer, 1000, 1000, {"c-jeweler"}),
                Code::kPermissionDenied,
                "certificate rule: certificate 'c-jeweler' is about participant 'jeweler-1', not "
                "the signer, its facility or the lots of this record");
  v1::Record facility = Certificate(lab, "c-facility", "", now - kHourMicros);
  facility.mutable_certificate_issued()->set_subject_facility("facility of refiner-1");
  Accept(facility);
  Accept(GoldLot(refiner, "at-facility", kPostConsumer, 1000, 1000, {"c-facility"}));
  v1::Record about_lot = Certificate(lab, "c-lot", "", now - kHourMicros);
  about_lot.mutable_certificate_issued()->set_subject_lot("base");
  Accept(about_lot);
  ExpectRefused(GoldLot(refiner, "not-base", kPostConsumer, 1000, 1000, {"c-lot"}),
                Code::kPermissionDenied, "certificate 'c-lot' is about lot 'base'");
  Accept(Transform(refiner, "t-base", v1::PROCESS_SPLIT, "gold", {{"base", 10}}, {{"of-base", 10}},
                   0, {"c-lot"}));

  // Revoked for good; what relied on it earlier stays, and the certificate
  // shows the change with its index.
  const v1::Record revoke = StatusChange(lab, "c-valid", v1::CERTIFICATE_STATUS_REVOKED);
  const Receipt revoked = Accept(revoke);
  ExpectRefused(GoldLot(refiner, "after-revocation", kPostConsumer, 1000, 1000, {"c-valid"}),
                Code::kFailedPrecondition,
                "certificate rule: certificate 'c-valid' was revoked at");
  ExpectRefused(StatusChange(lab, "c-valid", v1::CERTIFICATE_STATUS_REINSTATED),
                Code::kFailedPrecondition, "certificate 'c-valid' is revoked for good");
  const v1::CertificateState cert = GetCertificate("c-valid");
  ASSERT_EQ(cert.changes_size(), 1);
  EXPECT_EQ(cert.changes(0).status(), v1::CERTIFICATE_STATUS_REVOKED);
  EXPECT_EQ(cert.changes(0).index(), revoked.index);
  EXPECT_EQ(cert.changes(0).effective_micros(), revoke.event_time_micros());
  EXPECT_THAT(cert.history(), ElementsAre(cert.issued_index(), revoked.index));
  absl::StatusOr<v1::Record> still_there = ledger().ReadRecord(used.index);
  ASSERT_TRUE(still_there.ok()) << still_there.status();
  EXPECT_EQ(still_there->lot_created().lot_id(), "backed");
  EXPECT_TRUE(GetLot("backed").certified());
  Transfer(refiner, jeweler, "backed");
  Accept(Piece(jeweler, "ring", {}, {{"backed", 500}}, {v1::CLAIM_CERTIFIED_CHAIN}));

  // A stone is set only while its grading report is valid.
  GradedStone(grower, lab, jeweler, "stone", kLabGrown);
  Accept(StatusChange(lab, "gr-stone", v1::CERTIFICATE_STATUS_SUSPENDED));
  ExpectRefused(Piece(jeweler, "stone-ring", {"stone"}, {}), Code::kFailedPrecondition,
                "certificate rule: certificate 'gr-stone' was suspended at");
  Accept(StatusChange(lab, "gr-stone", v1::CERTIFICATE_STATUS_REINSTATED));
  Accept(Piece(jeweler, "stone-ring", {"stone"}, {}));
}

// ---------------------------------------------------------------- event times

TEST_F(RulesTest, AbsurdEventTimesAreRefused) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Identity lab = Register("lab-1", v1::ROLE_CERTIFIER);
  Identity grower = Register("grower-1", v1::ROLE_GROWER);
  const int64_t registered = GetParticipant("jeweler-1").registered_micros();

  // Far in the future: more than five minutes ahead of the server clock.
  v1::Record future = GoldLot(refiner, "future", kPostConsumer, 1000);
  future.set_event_time_micros(testing::NowMicros() + 6 * 60'000'000LL);
  ExpectRefused(future, Code::kFailedPrecondition, "is in the future");

  // Before the records it refers to.
  v1::Record lot = GoldLot(refiner, "gold", kPostConsumer, 10'000);
  Accept(lot);
  v1::Record early_split = Split(refiner, "t-early", "gold", 10, "early");
  early_split.set_event_time_micros(lot.event_time_micros() - 1);
  ExpectRefused(early_split, Code::kFailedPrecondition, "event time rule: the record's event time");
  ExpectRefused(early_split, Code::kFailedPrecondition, "is before the last event of lot 'gold'");
  v1::Record early_ship = Ship(refiner, "s-early", "gold", "jeweler-1");
  early_ship.set_event_time_micros(lot.event_time_micros() - 1);
  ExpectRefused(early_ship, Code::kFailedPrecondition, "is before the last event of lot 'gold'");

  v1::Record ship = Ship(refiner, "s-1", "gold", "jeweler-1");
  Accept(ship);
  v1::Record early_receive = Receive(jeweler, "s-1", "gold");
  early_receive.set_event_time_micros(ship.event_time_micros() - 1);
  ExpectRefused(early_receive, Code::kFailedPrecondition, "is before the shipment");
  v1::Record receive = Receive(jeweler, "s-1", "gold");
  Accept(receive);

  v1::Record early_piece = Piece(jeweler, "ring", {}, {{"gold", 100}});
  early_piece.set_event_time_micros(receive.event_time_micros() - 1);
  ExpectRefused(early_piece, Code::kFailedPrecondition, "is before the last event of lot 'gold'");
  v1::Record piece = Piece(jeweler, "ring", {}, {{"gold", 100}});
  Accept(piece);
  v1::Record early_sale = Lifecycle(jeweler, "ring", v1::PIECE_EVENT_SOLD, kOwnerHash);
  early_sale.set_event_time_micros(piece.event_time_micros() - 1);
  ExpectRefused(early_sale, Code::kFailedPrecondition, "is before the piece's last event");

  v1::Record cert = Certificate(lab, "c-1", "refiner-1", registered);
  Accept(cert);
  v1::Record early_use = GoldLot(refiner, "early-use", kPostConsumer, 10, 1000, {"c-1"});
  early_use.set_event_time_micros(cert.event_time_micros() - 1);
  ExpectRefused(early_use, Code::kFailedPrecondition,
                "is before the issuance of certificate 'c-1'");
  v1::Record early_status = StatusChange(lab, "c-1", v1::CERTIFICATE_STATUS_SUSPENDED);
  early_status.set_event_time_micros(cert.event_time_micros() - 1);
  ExpectRefused(early_status, Code::kFailedPrecondition, "is before the certificate's issuance");

  v1::Record stone = StoneLot(grower, "stone", kLabGrown, 1000);
  Accept(stone);
  v1::Record early_grading = Grading(lab, "gr-1", "stone", v1::STONE_ORIGIN_LAB_GROWN, 1000);
  early_grading.set_event_time_micros(stone.event_time_micros() - 1);
  ExpectRefused(early_grading, Code::kFailedPrecondition, "is before the certified lot's creation");

  Identity late = Register("late-1", v1::ROLE_JEWELER);
  v1::Record early_cert = Certificate(lab, "c-late", "late-1", registered);
  early_cert.set_event_time_micros(GetParticipant("late-1").registered_micros() - 1);
  ExpectRefused(early_cert, Code::kFailedPrecondition,
                "is before the registration of the certified participant");
  v1::Record early_role = RoleGranted(op(), "late-1", v1::ROLE_CUTTER);
  early_role.set_event_time_micros(GetParticipant("late-1").registered_micros() - 1);
  ExpectRefused(early_role, Code::kFailedPrecondition, "is before the registration of 'late-1'");
  // Before its signer (and so its signer's key) existed.
  v1::Record before_signer = Piece(late, "late-ring", {}, {{"gold", 1}});
  before_signer.set_event_time_micros(GetParticipant("late-1").registered_micros() - 1);
  ExpectRefused(before_signer, Code::kPermissionDenied, "was added at");

  // A few minutes ahead is within the allowed clock skew.
  v1::Record skewed = GoldLot(refiner, "skewed", kPostConsumer, 1000);
  skewed.set_event_time_micros(testing::NowMicros() + 4 * 60'000'000LL);
  Accept(skewed);
}

// ---------------------------------------------------------------- corrections

TEST_F(RulesTest, AnErrorIsDeclaredByTheWrongRecordsSignerOrTheOperator) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Accept(GoldLot(refiner, "gold", kPostConsumer, 1000));
  Transfer(refiner, jeweler, "gold");
  const uint64_t wrong = Accept(GoldLot(refiner, "wrong", kPostConsumer, 1000)).index;
  const uint64_t jewelers = Accept(Piece(jeweler, "ring", {}, {{"gold", 100}})).index;
  const uint64_t replacement = Accept(GoldLot(refiner, "right", kPostConsumer, 100)).index;

  ExpectRefused(DeclareError(jeweler, wrong), Code::kPermissionDenied,
                "only 'refiner-1' (who signed entry " + std::to_string(wrong) +
                    ") or the operator may declare it wrong");
  // The wrong record is an earlier one (not genesis, not this one, not a later one).
  const std::string earlier =
      "wrong_index must name an earlier record (1 to " + std::to_string(ledger().Size() - 1) + ")";
  ExpectRefused(DeclareError(refiner, 0), Code::kInvalidArgument, earlier);
  ExpectRefused(DeclareError(refiner, ledger().Size()), Code::kInvalidArgument, earlier);
  ExpectRefused(DeclareError(refiner, ledger().Size() + 10), Code::kInvalidArgument, earlier);
  // The replacement lies between the wrong record and the declaration.
  const std::string between =
      "replacement_index must name a record after the wrong one and before this one";
  ExpectRefused(DeclareError(refiner, wrong, wrong), Code::kInvalidArgument, between);
  ExpectRefused(DeclareError(refiner, replacement, wrong), Code::kInvalidArgument, between);
  ExpectRefused(DeclareError(refiner, wrong, ledger().Size()), Code::kInvalidArgument, between);
  // ... and is signed by whoever signed the wrong record, whoever declares it.
  const std::string same_signer = "the replacement (entry " + std::to_string(jewelers) +
                                  ") is signed by 'jeweler-1', the wrong record by 'refiner-1'";
  ExpectRefused(DeclareError(refiner, wrong, jewelers), Code::kFailedPrecondition, same_signer);
  ExpectRefused(DeclareError(op(), wrong, jewelers), Code::kFailedPrecondition, same_signer);

  const uint64_t declared = Accept(DeclareError(refiner, wrong, replacement)).index;
  std::optional<v1::ErrorState> error = State<v1::ErrorState>(ErrorKey(wrong));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->wrong_index(), wrong);
  EXPECT_THAT(error->declared_at(), ElementsAre(declared));
  const uint64_t by_operator = Accept(DeclareError(op(), wrong)).index;
  error = State<v1::ErrorState>(ErrorKey(wrong));
  ASSERT_TRUE(error.has_value());
  EXPECT_THAT(error->declared_at(), ElementsAre(declared, by_operator));
  // Nothing is edited or deleted.
  EXPECT_EQ(ledger().ReadRecord(wrong).value().lot_created().lot_id(), "wrong");
  EXPECT_EQ(GetLot("wrong").quantity(), 1000);
  EXPECT_FALSE(State<v1::ErrorState>(ErrorKey(replacement)).has_value());
}

// ---------------------------------------------------------------- pieces

TEST_F(RulesTest, APiecesLifecycleIsRecordedByItsJewelerAndFollowsTheFacts) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Identity jeweler2 = Register("jeweler-2", v1::ROLE_JEWELER);
  Accept(GoldLot(refiner, "gold", kPostConsumer, 10'000));
  Transfer(refiner, jeweler, "gold");
  Accept(Piece(jeweler, "ring", {}, {{"gold", 1000}}));

  // A sale records the owner as a 32-byte salted hash, never a name.
  const std::string never_a_name =
      "a sale records the owner only as a 32-byte salted SHA-256, never a name";
  ExpectRefused(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_SOLD, "Jane Doe"),
                Code::kInvalidArgument, never_a_name);
  ExpectRefused(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_SOLD), Code::kInvalidArgument,
                never_a_name);
  ExpectRefused(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_SOLD, std::string(33, 'x')),
                Code::kInvalidArgument, never_a_name);
  ExpectRefused(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_REPAIRED, kOwnerHash),
                Code::kInvalidArgument, "only a sale records an owner hash");
  ExpectRefused(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_UNSPECIFIED), Code::kInvalidArgument,
                "a lifecycle record needs a known event");
  // Only the jeweler who registered it.
  const std::string only_that_jeweler =
      "piece 'ring' was registered by 'jeweler-1'; only that jeweler records it";
  ExpectRefused(Lifecycle(jeweler2, "ring", v1::PIECE_EVENT_SOLD, kOwnerHash),
                Code::kPermissionDenied, only_that_jeweler);
  ExpectRefused(ReplaceStone(jeweler2, "ring", "a", "b"), Code::kPermissionDenied,
                only_that_jeweler);

  std::vector<uint64_t> history = {GetPiece("ring").registered_index()};
  history.push_back(Accept(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_SOLD, kOwnerHash)).index);
  v1::PieceState piece = GetPiece("ring");
  EXPECT_EQ(piece.last_event(), v1::PIECE_EVENT_SOLD);
  EXPECT_EQ(piece.owner_salted_sha256(), kOwnerHash);
  ExpectRefused(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_RECOVERED), Code::kFailedPrecondition,
                "piece 'ring' is not lost or stolen");

  // Stolen: nothing but its recovery.
  history.push_back(Accept(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_STOLEN)).index);
  const std::string recover_first = "piece 'ring' is PIECE_EVENT_STOLEN; record its recovery first";
  ExpectRefused(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_SOLD, std::string(32, '\x01')),
                Code::kFailedPrecondition, recover_first);
  ExpectRefused(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_REPAIRED), Code::kFailedPrecondition,
                recover_first);
  ExpectRefused(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_LOST), Code::kFailedPrecondition,
                recover_first);
  EXPECT_EQ(GetPiece("ring").owner_salted_sha256(), kOwnerHash);
  history.push_back(Accept(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_RECOVERED)).index);
  const std::string new_owner(32, '\x02');
  history.push_back(Accept(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_SOLD, new_owner)).index);
  EXPECT_EQ(GetPiece("ring").owner_salted_sha256(), new_owner);

  // Lost works the same way.
  history.push_back(Accept(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_LOST)).index);
  ExpectRefused(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_STOLEN), Code::kFailedPrecondition,
                "piece 'ring' is PIECE_EVENT_LOST; record its recovery first");
  history.push_back(Accept(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_RECOVERED)).index);
  history.push_back(Accept(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_REPAIRED)).index);
  piece = GetPiece("ring");
  EXPECT_EQ(piece.last_event(), v1::PIECE_EVENT_REPAIRED);
  EXPECT_EQ(piece.jeweler(), "jeweler-1");
  EXPECT_THAT(piece.history(), ::testing::ElementsAreArray(history));
}

// ---------------------------------------------------------------- ids

TEST_F(RulesTest, AnIdThatMustBeNewIsNeverTakenTwice) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Identity lab = Register("lab-1", v1::ROLE_CERTIFIER);
  Accept(GoldLot(refiner, "gold", kPostConsumer, 10'000));
  Accept(GoldLot(refiner, "gold-2", kPostConsumer, 10'000));

  ExpectRefused(GoldLot(refiner, "gold", kPostConsumer, 10), Code::kAlreadyExists,
                "lot 'gold' already exists");
  ExpectRefused(Split(refiner, "t-1", "gold", 10, "gold-2"), Code::kAlreadyExists,
                "lot 'gold-2' already exists");
  ExpectRefused(Split(refiner, "t-2", "gold", 10, "gold"), Code::kInvalidArgument,
                "lot 'gold' is listed twice");
  Transfer(refiner, jeweler, "gold");
  Accept(Piece(jeweler, "ring", {}, {{"gold", 10}}));
  ExpectRefused(Piece(jeweler, "ring", {}, {{"gold", 10}}), Code::kAlreadyExists,
                "piece 'ring' already exists");
  ExpectRefused(Piece(jeweler, "has space", {}, {{"gold", 10}}), Code::kInvalidArgument,
                "piece_id must be 1 to 64 characters");
  ExpectRefused(Piece(jeweler, "empty", {}, {}), Code::kInvalidArgument,
                "a piece needs stones or metal");
  Accept(Certificate(lab, "cert", "refiner-1", NextTime() - kHourMicros));
  ExpectRefused(Certificate(lab, "cert", "jeweler-1", NextTime() - kHourMicros),
                Code::kAlreadyExists, "certificate 'cert' already exists");
  Identity impostor = testing::NewIdentity("refiner-1");
  ExpectRefused(Registration(op(), impostor, {v1::ROLE_JEWELER}), Code::kAlreadyExists,
                "participant 'refiner-1' is already registered");
  ExpectRefused(KeyAdded(refiner, "refiner-1", refiner.key.public_key()), Code::kAlreadyExists,
                "participant 'refiner-1' already has key");
  ExpectRefused(RoleGranted(op(), "refiner-1", v1::ROLE_REFINER), Code::kAlreadyExists,
                "participant 'refiner-1' already holds the role refiner");

  // A record id: the same signed bytes again are an idempotent retry, other
  // bytes under it are refused.
  v1::Record once = GoldLot(refiner, "once", kPostConsumer, 10);
  const Receipt first = Accept(once);
  const uint64_t size = ledger().Size();
  absl::StatusOr<Receipt> again = Submit(once);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->index, first.index);
  EXPECT_EQ(ledger().Size(), size);
  v1::Record other = once;
  other.mutable_lot_created()->set_quantity(11);
  ExpectRefused(other, Code::kAlreadyExists,
                "record id '" + once.record_id() + "' of 'refiner-1' is already used by entry " +
                    std::to_string(first.index));
}

TEST_F(RulesTest, AMissingEventTimeIsInvalid) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  v1::Record no_time = GoldLot(refiner, "no-time", kPostConsumer, 1000);
  no_time.set_event_time_micros(0);
  ExpectRefused(no_time, Code::kInvalidArgument, "event_time_micros is required");
}

TEST_F(RulesTest, AShipmentIsNotDatedBeforeItsAddresseeExisted) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  const v1::Record lot = GoldLot(refiner, "gold", kPostConsumer, 1000);
  Accept(lot);
  Register("jeweler-1", v1::ROLE_JEWELER);
  v1::Record ship = Ship(refiner, "s-1", "gold", "jeweler-1");
  ship.set_event_time_micros(lot.event_time_micros() + 1);
  ExpectRefused(ship, Code::kFailedPrecondition, "is before the registration of 'jeweler-1'");
}

TEST_F(RulesTest, AnErrorIsNotDeclaredBeforeTheWrongRecordHappened) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  const int64_t before = NextTime();
  const uint64_t wrong = Accept(GoldLot(refiner, "gold", kPostConsumer, 1000)).index;
  v1::Record declaration = DeclareError(refiner, wrong);
  declaration.set_event_time_micros(before);
  ExpectRefused(declaration, Code::kFailedPrecondition, "event time rule");
}

TEST_F(RulesTest, AStoneIsNotReplacedInAMissingPiece) {
  Identity grower = Register("grower-1", v1::ROLE_GROWER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Identity lab = Register("lab-1", v1::ROLE_CERTIFIER);
  GradedStone(grower, lab, jeweler, "s1", kLabGrown);
  GradedStone(grower, lab, jeweler, "s2", kLabGrown);
  Accept(Piece(jeweler, "ring", {"s1"}, {}));
  Accept(Lifecycle(jeweler, "ring", v1::PIECE_EVENT_STOLEN));
  ExpectRefused(ReplaceStone(jeweler, "ring", "s1", "s2"), Code::kFailedPrecondition,
                "piece 'ring' is PIECE_EVENT_STOLEN; record its recovery first");
}

TEST_F(RulesTest, APieceCannotTakeMetalInTransit) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Register("jeweler-2", v1::ROLE_JEWELER);
  Accept(GoldLot(refiner, "gold", kPostConsumer, 1000));
  Transfer(refiner, jeweler, "gold");
  Accept(Ship(jeweler, "s-2", "gold", "jeweler-2"));
  ExpectRefused(Piece(jeweler, "ring", {}, {{"gold", 10}}), Code::kFailedPrecondition,
                "custody rule: lot 'gold' is in transit to 'jeweler-2'");
}

TEST_F(RulesTest, APieceTakingNoMetalIsMalformed) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Accept(GoldLot(refiner, "gold", kPostConsumer, 1000));
  Transfer(refiner, jeweler, "gold");
  ExpectRefused(Piece(jeweler, "ring", {}, {{"gold", 0}}), Code::kInvalidArgument,
                "must be positive");
}

TEST_F(RulesTest, TheOperatorsLastActiveKeyIsNotRevokedButAParticipantsIs) {
  // Without an active operator key the log could never be extended again.
  Identity second_operator = Register("operator-2", v1::ROLE_OPERATOR);
  ExpectRefused(KeyRevoked(op(), "operator-2", second_operator.key.public_key().Fingerprint()),
                Code::kFailedPrecondition, "is the last active key of 'operator-2'");
  // A participant's only key can go at once (a stolen laptop); the operator then
  // gives it a new one.
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Accept(KeyRevoked(op(), "refiner-1", refiner.key.public_key().Fingerprint()));
  ExpectRefused(GoldLot(refiner, "after", kPostConsumer, 10), Code::kPermissionDenied, "revoked");
  Identity next{"refiner-1", PrivateKey::Generate().value()};
  LearnKey(next);
  Accept(KeyAdded(op(), "refiner-1", next.key.public_key()));
  Accept(GoldLot(next, "with-new-key", kPostConsumer, 10));
}

TEST_F(RulesTest, TheCheckpointKeyIsRevokedOnlyThroughAHandover) {
  // Even beside another active operator key: a revoked checkpoint key would
  // leave the log with no key to sign its checkpoints.
  Identity spare{"operator", PrivateKey::Generate().value()};
  LearnKey(spare);
  Accept(KeyAdded(op(), "operator", spare.key.public_key()));
  ExpectRefused(KeyRevoked(spare, "operator", op().key.public_key().Fingerprint()),
                Code::kFailedPrecondition, "signs this log's checkpoints");
  Accept(KeyRevoked(op(), "operator", spare.key.public_key().Fingerprint()));
}

TEST_F(RulesTest, TransformationAndShipmentIdsAreUsedOnce) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Accept(GoldLot(refiner, "gold", kPostConsumer, 1000));
  Accept(GoldLot(refiner, "gold-2", kPostConsumer, 1000));
  Accept(Split(refiner, "t-1", "gold", 500, "gold-a"));
  ExpectRefused(Split(refiner, "t-1", "gold-2", 500, "gold-b"), Code::kAlreadyExists,
                "transformation id 't-1' was already used");
  Accept(Ship(refiner, "s-1", "gold-a", jeweler.id));
  ExpectRefused(Ship(refiner, "s-1", "gold-2", jeweler.id), Code::kAlreadyExists,
                "shipment id 's-1' was already used");
}

}  // namespace
}  // namespace touchstone
