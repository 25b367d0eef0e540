// The log policy through the append path (ledger/provenance/log_policy.h): records dated
// further back than the bound are refused, a certificate a record relies on
// must be in force when the log records it too, imports of history pass only
// while the recorded policy allows them, signatures bind the log's origin, and
// a log made before LogPolicy keeps its legacy entries valid after the policy
// entry its first start with this version appends.
#include "ledger/provenance/log_policy.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/audit.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/bundle_builder.h"
#include "ledger/ledger.h"
#include "ledger/provenance/rebuild.h"
#include "ledger/provenance/record.h"
#include "tests/rules_test_util.h"

namespace touchstone {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Identity;
using testing::kHourMicros;
using Code = absl::StatusCode;

constexpr int64_t kDayMicros = 24 * kHourMicros;

class LogPolicyTest : public testing::RulesFixture {
 protected:
  explicit LogPolicyTest(const std::function<void(LedgerOptions&)>& configure = nullptr)
      : RulesFixture(RuleOptions(), configure) {}

  v1::LogPolicyState PolicyState() {
    return State<v1::LogPolicyState>(std::string(kLogPolicyStateKey))
        .value_or(v1::LogPolicyState());
  }

  // `r` claiming event time `t`.
  static v1::Record At(v1::Record r, int64_t t) {
    r.set_event_time_micros(t);
    return r;
  }
};

TEST_F(LogPolicyTest, ANewLogsGenesisCarriesThePolicyAndItsStateRecordsIt) {
  const v1::Record genesis = ledger().ReadRecord(0).value();
  ASSERT_TRUE(genesis.genesis().has_policy());
  EXPECT_EQ(genesis.genesis().policy().record_signature_version(), kOriginBoundRecordSignatures);
  EXPECT_EQ(genesis.genesis().policy().max_backdate_micros(), 3 * kDayMicros);
  const v1::LogPolicyState state = PolicyState();
  EXPECT_EQ(state.since_index(), 0u);
  EXPECT_EQ(state.policy().max_backdate_micros(), 3 * kDayMicros);
  EXPECT_TRUE(state.changes().empty());
  // Opening it again with the same options appends nothing.
  ReopenLedger([](LedgerOptions&) {});
  EXPECT_EQ(ledger().Size(), 1u);
}

TEST_F(LogPolicyTest, ARecordDatedFurtherBackThanTheBoundIsRefusedAndNothingAppended) {
  const Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  AdvanceServerClock(10 * kDayMicros);  // the log records ten days after the registration
  const int64_t now = ServerNow();
  ExpectRefused(At(GoldLot(refiner, "old", v1::ORIGIN_CLASS_MINED, 1000), now - 4 * kDayMicros),
                Code::kFailedPrecondition, "backdating rule: the record's event time");
  ExpectRefused(At(GoldLot(refiner, "old", v1::ORIGIN_CLASS_MINED, 1000), now - 4 * kDayMicros),
                Code::kFailedPrecondition, "the log's policy allows at most 3 days");
  Accept(At(GoldLot(refiner, "recent", v1::ORIGIN_CLASS_MINED, 1000), now - 2 * kDayMicros));
}

TEST_F(LogPolicyTest, ACertificateExpiredWhenTheRecordIsRecordedIsRefused) {
  const Identity scheme = Register("scheme", v1::ROLE_CERTIFIER);
  const Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  AdvanceServerClock(kHourMicros);
  const int64_t now = ServerNow();
  // The case found: a certificate expiring 30 s before the lot is submitted,
  // cited by a lot that claims an event time 45 s back.
  Accept(At(Certificate(scheme, "coc-1", refiner.id, now - 50 * 60'000'000LL, now - 30'000'000),
            now - 50 * 60'000'000LL));
  ExpectRefused(At(GoldLot(refiner, "gold-1", v1::ORIGIN_CLASS_MINED, 1000, 1000, {"coc-1"}),
                   now - 45'000'000),
                Code::kFailedPrecondition, "certificate rule: certificate 'coc-1' expired at");
  ExpectRefused(At(GoldLot(refiner, "gold-1", v1::ORIGIN_CLASS_MINED, 1000, 1000, {"coc-1"}),
                   now - 45'000'000),
                Code::kFailedPrecondition, "must be in force then too");
  // One in force at both times is fine.
  Accept(At(Certificate(scheme, "coc-2", refiner.id, now - 50 * 60'000'000LL, now + kHourMicros),
            now - 50 * 60'000'000LL));
  Accept(At(GoldLot(refiner, "gold-2", v1::ORIGIN_CLASS_MINED, 1000, 1000, {"coc-2"}),
            now - 45'000'000));
}

TEST_F(LogPolicyTest, ImportsOfHistoryPassOnlyWhileTheRecordedPolicyAllowsThem) {
  const Identity scheme = Register("scheme", v1::ROLE_CERTIFIER);
  const Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  AdvanceServerClock(60 * kDayMicros);
  const int64_t now = ServerNow();
  auto imported = [&](const std::string& id) {
    v1::Record r = At(GoldLot(refiner, id, v1::ORIGIN_CLASS_MINED, 1000, 1000, {"old-coc"}),
                      now - 40 * kDayMicros);
    r.set_history_import(true);
    return r;
  };
  ExpectRefused(imported("import-1"), Code::kFailedPrecondition,
                "history import rule: the record is marked history_import, and the log's policy "
                "does not allow imports of history");

  // The operator allows imports: the ledger records that policy as an entry.
  const uint64_t before = ledger().Size();
  ReopenLedger([](LedgerOptions& o) { o.allow_history_import = true; });
  ASSERT_EQ(ledger().Size(), before + 1);
  const v1::Record policy = ledger().ReadRecord(before).value();
  ASSERT_TRUE(policy.has_log_policy());
  EXPECT_TRUE(policy.log_policy().history_import_allowed());
  EXPECT_EQ(policy.signer(), "operator");
  EXPECT_THAT(PolicyState().changes(), ElementsAre(before));
  // A certificate of the past, in force 45 to 35 days ago, imported too; and a
  // lot of that time relying on it (expired when recorded: an import is exempt).
  v1::Record old_coc =
      At(Certificate(scheme, "old-coc", refiner.id, now - 45 * kDayMicros, now - 35 * kDayMicros),
         now - 50 * kDayMicros);
  old_coc.set_history_import(true);
  Accept(old_coc);
  Accept(imported("import-1"));
  // Not marked, the same backdating is still refused.
  v1::Record unmarked = imported("import-2");
  unmarked.set_history_import(false);
  ExpectRefused(unmarked, Code::kFailedPrecondition, "backdating rule");

  // Imports off again: a second policy entry, and the mark no longer helps.
  ReopenLedger([](LedgerOptions& o) { o.allow_history_import = false; });
  ASSERT_EQ(ledger().Size(), before + 4);
  EXPECT_THAT(PolicyState().changes(), ElementsAre(before, before + 3));
  ExpectRefused(imported("import-3"), Code::kFailedPrecondition, "history import rule");
}

TEST_F(LogPolicyTest, APolicyRecordFromOutsideIsRefused) {
  v1::Record r = NewRecord(op());
  *r.mutable_log_policy() = ledger().ReadRecord(0).value().genesis().policy();
  r.mutable_log_policy()->set_history_import_allowed(true);
  ExpectRefused(r, Code::kFailedPrecondition, "--allow_history_import");
}

TEST_F(LogPolicyTest, ARecordSignedForAnotherLogOrWithoutTheOriginIsRefused) {
  const Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  const v1::Record lot = GoldLot(refiner, "gold-1", v1::ORIGIN_CLASS_MINED, 1000);
  const std::string bytes = SerializeRecord(lot);
  // Signed for the staging log, where the same participant and key exist.
  ExpectRefusedBytes(
      bytes, SignRecord(refiner.key, "staging.example/ledger", bytes), Code::kInvalidArgument,
      "is not signed by key " + lot.key_id() + " of 'refiner-1' for log 'rules.test/ledger'");
  ExpectRefusedBytes(bytes, SignLegacyRecord(refiner.key, bytes), Code::kInvalidArgument,
                     "it is signed in the legacy form, without the log's origin");
  Accept(lot);
}

// A log made before LogPolicy: its legacy entries stay valid after the first
// start of this version appends its policy, and only then are signatures bound.
class LegacyLogTest : public LogPolicyTest {
 protected:
  LegacyLogTest() : LogPolicyTest([](LedgerOptions& o) { o.legacy_log = true; }) {}
};

TEST_F(LegacyLogTest, LegacyEntriesStillVerifyAndOriginBoundSignaturesStartAtThePolicyEntry) {
  ASSERT_FALSE(ledger().ReadRecord(0).value().genesis().has_policy());
  SignLegacy(true);
  const Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  const Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  Accept(GoldLot(refiner, "gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, 10000));
  Transfer(refiner, jeweler, "gold-1");
  // Before any policy: no backdating bound.
  AdvanceServerClock(10 * kDayMicros);
  Accept(GoldLot(refiner, "gold-old", v1::ORIGIN_CLASS_MINED, 1000));
  // An origin-bound signature is not the form this log's entries have yet.
  SignLegacy(false);
  ExpectRefused(GoldLot(refiner, "gold-2", v1::ORIGIN_CLASS_MINED, 1000), Code::kInvalidArgument,
                "it is an origin-bound signature, but the entry comes before the log's first "
                "LogPolicy");

  // The first start of this version appends the policy.
  const uint64_t policy_index = ledger().Size();
  ReopenLedger([](LedgerOptions& o) { o.legacy_log = false; });
  ASSERT_EQ(ledger().Size(), policy_index + 1);
  EXPECT_TRUE(ledger().ReadRecord(policy_index).value().has_log_policy());
  // Legacy signatures are refused from then on, naming the form; origin-bound ones pass,
  // and the bound holds.
  SignLegacy(true);
  ExpectRefused(GoldLot(refiner, "gold-3", v1::ORIGIN_CLASS_MINED, 1000), Code::kInvalidArgument,
                "signed in the legacy form");
  SignLegacy(false);
  ExpectRefused(GoldLot(refiner, "gold-3", v1::ORIGIN_CLASS_MINED, 1000), Code::kFailedPrecondition,
                "backdating rule");
  Accept(At(Piece(jeweler, "ring-1", {}, {{"gold-1", 3000}}, {v1::CLAIM_RECYCLED_METAL}),
            ServerNow()));

  // The state rebuilt from the log (legacy and origin-bound entries, each checked in its
  // form) is the live state, and the audit passes.
  absl::StatusOr<MemoryState> rebuilt =
      RebuildState(ledger().store(), ledger().Size(), RuleOptions());
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_TRUE(CompareState(*rebuilt, ledger().store()).ok());
  absl::StatusOr<AuditReport> audit = AuditStore(ledger().store(), AuditOptions());
  EXPECT_TRUE(audit.ok()) << audit.status();

  // The piece's bundle holds the policy entry and verifies, legacy entries and all.
  absl::StatusOr<v1::PieceBundle> bundle = BuildPieceBundle(ledger(), "ring-1");
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  bool has_policy = false;
  for (const v1::BundleEntry& e : bundle->entries()) has_policy |= e.index() == policy_index;
  EXPECT_TRUE(has_policy);
  absl::StatusOr<BundleReport> report = VerifyPieceBundle(*bundle, ledger().verifier());
  ASSERT_TRUE(report.ok()) << report.status();
  // Leaving the policy entry out makes the origin-bound records fail, not pass.
  v1::PieceBundle without = *bundle;
  without.clear_entries();
  for (const v1::BundleEntry& e : bundle->entries()) {
    if (e.index() != policy_index) *without.add_entries() = e;
  }
  absl::StatusOr<BundleReport> refused = VerifyPieceBundle(without, ledger().verifier());
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied) << refused.status();
  EXPECT_THAT(refused.status().message(),
              HasSubstr("it is an origin-bound signature, but the entry comes before"));
}

}  // namespace
}  // namespace touchstone

namespace touchstone {

// A record carrying a policy that is not valid (a negative bound) reaches the
// time rule before its own rule refuses it; extreme times must not overflow
// (the fuzzer found 9223372036854775806 - -916 here; UBSan in CI reports it).
TEST(CheckRecordTimeTest, ExtremeTimesAndAnInvalidCarriedBoundDoNotOverflow) {
  v1::Record r;
  r.set_event_time_micros(0);
  v1::LogPolicy bad;
  bad.set_max_backdate_micros(-916);
  EXPECT_TRUE(CheckRecordTime(r, INT64_MAX - 1, &bad).ok());
  v1::LogPolicy good;
  good.set_max_backdate_micros(1000);
  r.set_event_time_micros(INT64_MIN);
  absl::Status s = CheckRecordTime(r, INT64_MAX - 1, &good);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("backdating rule"), std::string_view::npos) << s;
}

}  // namespace touchstone
