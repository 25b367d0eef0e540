// Tests of offline bundle verification (ledger/bundle/bundle_verify.h) on bundles the
// ledger builds (ledger/bundle_builder.h) for a realistic story: recycled gold
// from scrap to castings and a lab-grown diamond from rough to graded stones,
// three pieces, a sale, a revoked grading report, a stone replaced and a repair
// booked on the wrong piece and declared wrong. Each bundle verifies with the
// claims and timeline the records support; every kind of tampering is refused.
#include <chrono>
#include <iostream>
#include <set>
#include <string>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/audit.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/bundle_builder.h"
#include "ledger/log/checkpoint.h"
#include "ledger/tiles.h"
#include "tests/rules_test_util.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Identity;
using ::testing::IsEmpty;
using ::testing::Not;
using Code = absl::StatusCode;

constexpr auto kPost = v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER;

class BundleVerifyTest : public testing::RulesFixture {
 protected:
  void SetUp() override {
    recycler_ = Register("recycler", v1::ROLE_RECYCLER);
    refiner_ = Register("refiner", v1::ROLE_REFINER);
    maker_ = Register("maker", v1::ROLE_MANUFACTURER);
    grower_ = Register("grower", v1::ROLE_GROWER);
    cutter_ = Register("cutter", v1::ROLE_CUTTER);
    jeweler_ = Register("jeweler", v1::ROLE_JEWELER);
    scheme_ = Register("scheme", v1::ROLE_CERTIFIER);
    lab_ = Register("lab", v1::ROLE_CERTIFIER);
    const int64_t from = NextTime() - testing::kHourMicros;
    for (const Identity* who : {&recycler_, &refiner_, &grower_}) {
      Accept(Certificate(scheme_, "cert-" + who->id, who->id, from));
    }
    // Recycled gold: scrap merged, refined, split, alloyed with silver-copper, cast.
    Accept(GoldLot(recycler_, "scrap-14k", kPost, 150000, 585, {"cert-recycler"}));
    Accept(GoldLot(recycler_, "scrap-18k", kPost, 100000, 750, {"cert-recycler"}));
    Accept(Transform(recycler_, "merge", v1::PROCESS_MERGE, "gold",
                     {{"scrap-14k", 150000}, {"scrap-18k", 100000}}, {{"melt-1", 250000, 651}}));
    Transfer(recycler_, refiner_, "melt-1");
    Accept(Transform(refiner_, "refine", v1::PROCESS_REFINE, "gold", {{"melt-1", 250000}},
                     {{"grain-1", 162500, 999}}, 412500, {"cert-refiner"}));
    Accept(Transform(refiner_, "split", v1::PROCESS_SPLIT, "gold", {{"grain-1", 162500}},
                     {{"grain-1a", 100000, 999}, {"grain-1b", 62500, 999}}));
    Accept(Lot(refiner_, "agcu-1", "silver-copper", v1::ORIGIN_CLASS_RECYCLED_PRE_CONSUMER, 40000,
               v1::UNIT_MILLIGRAM, 1000, {"cert-refiner"}));
    Transfer(refiner_, maker_, "grain-1a");
    Transfer(refiner_, maker_, "agcu-1");
    Accept(Transform(maker_, "alloy", v1::PROCESS_ALLOY, "gold",
                     {{"grain-1a", 100000}, {"agcu-1", 33300}}, {{"18k-1", 133100, 750}}, 75000));
    Accept(Transform(maker_, "cast", v1::PROCESS_CAST, "gold", {{"18k-1", 133100}},
                     {{"cast-1", 132900, 750, "castings"}}, 150000));
    Transfer(maker_, jeweler_, "cast-1");
    // A lab-grown diamond: grown, cut into three stones, graded, sent to the jeweler.
    Accept(Lot(grower_, "rough-1", "diamond", v1::ORIGIN_CLASS_LAB_GROWN, 3420,
               v1::UNIT_CARAT_THOUSANDTH, 1000, {"cert-grower"}));
    Transfer(grower_, cutter_, "rough-1");
    Accept(Transform(cutter_, "cut", v1::PROCESS_CUT_AND_POLISH, "diamond", {{"rough-1", 3420}},
                     {{"stone-1", 520, 1000, "polished"},
                      {"stone-2", 510, 1000, "polished"},
                      {"stone-3", 505, 1000, "polished"}},
                     1885 * 1000));
    for (const auto& [stone, ct] :
         {std::pair{"stone-1", 520}, {"stone-2", 510}, {"stone-3", 505}}) {
      Accept(
          Grading(lab_, std::string("report-") + stone[6], stone, v1::STONE_ORIGIN_LAB_GROWN, ct));
      Transfer(cutter_, jeweler_, stone);
    }
    // Three pieces; a sale; report 2 revoked after the pendant used it; its stone
    // replaced; a repair booked on the band instead of the ring, declared wrong.
    const std::vector<v1::Claim> all = {v1::CLAIM_RECYCLED_METAL, v1::CLAIM_LAB_GROWN_DIAMONDS,
                                        v1::CLAIM_CERTIFIED_CHAIN};
    ring_ = Accept(Piece(jeweler_, "RING-1", {"stone-1"}, {{"cast-1", 3850}}, all)).index;
    pendant_ = Accept(Piece(jeweler_, "PENDANT-1", {"stone-2"}, {{"cast-1", 2100}},
                            {v1::CLAIM_RECYCLED_METAL, v1::CLAIM_LAB_GROWN_DIAMONDS}))
                   .index;
    Accept(Piece(jeweler_, "BAND-1", {}, {{"cast-1", 5600}}, {v1::CLAIM_RECYCLED_METAL}));
    sold_ = Accept(Lifecycle(jeweler_, "RING-1", v1::PIECE_EVENT_SOLD, std::string(32, 'o'))).index;
    revoked_ = Accept(StatusChange(lab_, "report-2", v1::CERTIFICATE_STATUS_REVOKED)).index;
    Accept(ReplaceStone(jeweler_, "PENDANT-1", "stone-2", "stone-3"));
    wrong_ = Accept(Lifecycle(jeweler_, "BAND-1", v1::PIECE_EVENT_REPAIRED)).index;
    right_ = Accept(Lifecycle(jeweler_, "RING-1", v1::PIECE_EVENT_REPAIRED)).index;
    declared_ = Accept(DeclareError(jeweler_, wrong_, right_)).index;
  }

  v1::PieceBundle Bundle(const std::string& piece) {
    absl::StatusOr<v1::PieceBundle> b = BuildPieceBundle(ledger(), piece);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.value_or(v1::PieceBundle());
  }
  [[nodiscard]] absl::StatusOr<BundleReport> Verify(const v1::PieceBundle& b) {
    return VerifyPieceBundle(b, ledger().verifier());
  }
  static const TimelineEntry& At(const BundleReport& r, uint64_t index) {
    for (const TimelineEntry& t : r.timeline) {
      if (t.index == index) return t;
    }
    ADD_FAILURE() << "no timeline entry " << index;
    return r.timeline.front();
  }

  Identity recycler_ = testing::NewIdentity(""), refiner_ = recycler_, maker_ = recycler_,
           grower_ = recycler_, cutter_ = recycler_, jeweler_ = recycler_, scheme_ = recycler_,
           lab_ = recycler_;
  uint64_t ring_ = 0, pendant_ = 0, sold_ = 0, revoked_ = 0, wrong_ = 0, right_ = 0, declared_ = 0;
};

TEST_F(BundleVerifyTest, TheRingsBundleVerifiesWithItsClaimsAndTimeline) {
  const v1::PieceBundle b = Bundle("RING-1");
  constexpr int kRuns = 20;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 1; i < kRuns; ++i) ASSERT_TRUE(Verify(b).ok());
  absl::StatusOr<BundleReport> r = Verify(b);
  const auto took = (std::chrono::steady_clock::now() - start) / kRuns;
  ASSERT_TRUE(r.ok()) << r.status();
  std::cout << "[ bundle  ] RING-1: " << b.entries_size() << " entries, " << b.ByteSizeLong()
            << " bytes, verified in "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count()
            << " us (mean of " << kRuns << ")\n";
  EXPECT_EQ(r->piece_id, "RING-1");
  EXPECT_EQ(r->origin, "rules.test/ledger");
  EXPECT_EQ(r->tree_size, ledger().Size());
  EXPECT_EQ(r->jeweler, "jeweler");
  EXPECT_THAT(r->stones, ElementsAre("stone-1"));
  EXPECT_THAT(r->asserted_claims,
              ElementsAre(v1::CLAIM_RECYCLED_METAL, v1::CLAIM_LAB_GROWN_DIAMONDS,
                          v1::CLAIM_CERTIFIED_CHAIN));
  EXPECT_EQ(r->derived_claims, r->asserted_claims);
  ASSERT_EQ(r->timeline.size(), static_cast<size_t>(b.entries_size()));
  EXPECT_THAT(r->warnings, IsEmpty());  // report-1 stays valid; nothing about the ring is wrong

  const TimelineEntry& piece = At(*r, ring_);
  EXPECT_EQ(piece.signer, "jeweler");
  EXPECT_EQ(piece.signer_name, "Legal name of jeweler");
  EXPECT_THAT(piece.description,
              AllOf(HasSubstr("registers piece RING-1"), HasSubstr("3.850 g of cast-1"),
                    HasSubstr("stone-1 (diamond polished, lab-grown)"),
                    HasSubstr("claims recycled metal, lab-grown diamonds, certified chain")));
  EXPECT_THAT(piece.certificates, ElementsAre("report-1 (grading-report): valid then; valid now"));
  EXPECT_THAT(At(*r, sold_).description, HasSubstr("records piece RING-1 sold"));
  EXPECT_THAT(At(*r, right_).description, HasSubstr("records piece RING-1 repaired"));
  EXPECT_THAT(At(*r, 0).description, HasSubstr("starts the log rules.test/ledger"));
  // The metal's whole story is there, back to the scrap, with the certificates it cites.
  std::string all_text;
  for (const TimelineEntry& t : r->timeline) {
    all_text += t.description + "\n" + absl::StrJoin(t.certificates, "\n") + "\n";
  }
  EXPECT_THAT(all_text,
              AllOf(HasSubstr("creates lot scrap-14k (gold grain @585, recycled "
                              "post-consumer), 150.000 g at facility of recycler, "
                              "citing cert-recycler"),
                    HasSubstr("merge gold at workshop of recycler"), HasSubstr("refine gold"),
                    HasSubstr("alloy gold"), HasSubstr("cast gold"), HasSubstr("ships lot melt-1"),
                    HasSubstr("receives lot cast-1"), HasSubstr("cut and polish diamond"),
                    HasSubstr("18k-1 (gold grain @750, recycled mixed)"),
                    HasSubstr("cert-refiner (rjc-coc): valid then; valid now"),
                    HasSubstr("issues grading report report-1 for stone stone-1")));
  EXPECT_THAT(all_text, Not(HasSubstr("PENDANT-1")));
}

TEST_F(BundleVerifyTest, ThePendantShowsItsRevokedReportValidThenRevokedNow) {
  absl::StatusOr<BundleReport> r = Verify(Bundle("PENDANT-1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->stones, ElementsAre("stone-3"));
  EXPECT_THAT(r->asserted_claims,
              ElementsAre(v1::CLAIM_RECYCLED_METAL, v1::CLAIM_LAB_GROWN_DIAMONDS));
  EXPECT_THAT(r->derived_claims, ElementsAre(v1::CLAIM_RECYCLED_METAL, v1::CLAIM_LAB_GROWN_DIAMONDS,
                                             v1::CLAIM_CERTIFIED_CHAIN));
  const std::string revoked_now =
      "report-2 (grading-report): valid then; revoked now (entry " + std::to_string(revoked_) + ")";
  EXPECT_THAT(At(*r, pendant_).certificates, ElementsAre(revoked_now));
  EXPECT_THAT(At(*r, revoked_).description, HasSubstr("revokes certificate report-2 from"));
  EXPECT_THAT(r->warnings, ElementsAre(AllOf(HasSubstr("certificate report-2, relied on by entry " +
                                                       std::to_string(pendant_)),
                                             HasSubstr("is revoked now"))));
}

TEST_F(BundleVerifyTest, TheBandShowsTheErrorDeclarationBesideTheWrongRecord) {
  absl::StatusOr<BundleReport> r = Verify(Bundle("BAND-1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->derived_claims, ElementsAre(v1::CLAIM_RECYCLED_METAL, v1::CLAIM_CERTIFIED_CHAIN));
  const std::string what = "declared wrong by entry " + std::to_string(declared_) +
                           ": wrong quantity; entry " + std::to_string(right_) + " replaces it";
  EXPECT_THAT(At(*r, wrong_).declared_wrong, ElementsAre(what));
  EXPECT_THAT(r->warnings, Contains(HasSubstr("(piece_lifecycle) was " + what)));
}

// Records nothing else in a bundle refers to can be left out without a trace
// (see ledger/bundle/bundle_verify.h); every other removal is caught and named.
TEST_F(BundleVerifyTest, RemovingAnySingleRecordIsRefusedUnlessNothingRefersToIt) {
  std::set<std::string> undetected;
  for (const std::string piece : {"RING-1", "PENDANT-1", "BAND-1"}) {
    const v1::PieceBundle full = Bundle(piece);
    for (int i = 0; i < full.entries_size(); ++i) {
      v1::PieceBundle b = full;
      b.mutable_entries()->DeleteSubrange(i, 1);
      absl::StatusOr<BundleReport> r = Verify(b);
      const uint64_t index = full.entries(i).index();
      if (index == sold_ || index == revoked_ || (index == right_ && piece == "RING-1")) {
        EXPECT_TRUE(r.ok()) << piece << " without entry " << index << ": " << r.status();
        continue;
      }
      EXPECT_FALSE(r.ok()) << piece << " without entry " << index << " verified";
      EXPECT_THAT(r.status().code(),
                  ::testing::AnyOf(Code::kFailedPrecondition, Code::kPermissionDenied));
      EXPECT_THAT(std::string(r.status().message()),
                  ::testing::AnyOf(HasSubstr("not in the bundle"),
                                   HasSubstr("not registered in the bundle"),
                                   HasSubstr("is not linked to piece"), HasSubstr("custody rule"),
                                   HasSubstr("holds no PieceRegistered")))
          << piece << " without entry " << index;
    }
  }
}

// The records a bundle may leave out without VerifyPieceBundle noticing (a sale,
// a later revocation, a later repair: nothing else in the bundle refers to
// them) are caught by CheckBundleComplete against an export of the log; a
// bundle built from the export alone is the ledger's own bundle.
TEST_F(BundleVerifyTest, AnExportOfTheLogCatchesAnyRecordABundleLeavesOut) {
  testing::TempDir dir;
  const std::string tiles = dir.path() + "/tiles";
  ASSERT_TRUE(ExportTiles(ledger().store(), tiles).ok());
  absl::StatusOr<MirroredExport> exp = MirrorTiles(tiles, ledger().verifier());
  ASSERT_TRUE(exp.ok()) << exp.status();
  MemoryState state;
  ASSERT_TRUE(
      AuditMirror(exp->mirror->store(), exp->note, ledger().verifier(), AuditOptions(), &state)
          .ok());
  const MirrorBundleSource source(*exp->mirror, state);
  for (const std::string piece : {"RING-1", "PENDANT-1", "BAND-1"}) {
    const v1::PieceBundle full = Bundle(piece);
    const uint64_t size = exp->checkpoint.size;
    ASSERT_EQ(ledger().LatestCheckpoint().first, size);
    EXPECT_TRUE(CheckBundleComplete(full, size, source).ok()) << piece;

    absl::StatusOr<v1::PieceBundle> rebuilt = BuildPieceBundle(source, piece, size, exp->note);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    ASSERT_EQ(rebuilt->entries_size(), full.entries_size()) << piece;
    for (int i = 0; i < full.entries_size(); ++i) {
      EXPECT_EQ(rebuilt->entries(i).index(), full.entries(i).index());
      EXPECT_EQ(rebuilt->entries(i).entry(), full.entries(i).entry());
      EXPECT_EQ(rebuilt->entries(i).tlog_proof(), full.entries(i).tlog_proof());
    }
    EXPECT_TRUE(Verify(*rebuilt).ok()) << piece;

    int left_out = 0;
    for (int i = 0; i < full.entries_size(); ++i) {
      v1::PieceBundle b = full;
      b.mutable_entries()->DeleteSubrange(i, 1);
      const uint64_t index = full.entries(i).index();
      const absl::Status s = CheckBundleComplete(b, size, source);
      EXPECT_EQ(s.code(), Code::kFailedPrecondition) << piece << " without entry " << index;
      EXPECT_THAT(std::string(s.message()), HasSubstr(absl::StrCat("has entry ", index, " (")))
          << piece << " without entry " << index;
      left_out += Verify(b).ok();
    }
    // The ring's bundle holds records only the export can vouch for.
    if (piece == "RING-1") {
      EXPECT_GE(left_out, 2);
    }
  }
}

TEST_F(BundleVerifyTest, SwappingTwoEntriesBytesIsRefused) {
  const v1::PieceBundle full = Bundle("RING-1");
  for (int i = 0; i + 1 < full.entries_size(); i += 3) {
    const int j = (i * 7 + 5) % full.entries_size();
    if (i == j) continue;
    v1::PieceBundle b = full;
    b.mutable_entries(i)->set_entry(full.entries(j).entry());
    b.mutable_entries(j)->set_entry(full.entries(i).entry());
    absl::StatusOr<BundleReport> r = Verify(b);
    EXPECT_EQ(r.status().code(), Code::kDataLoss) << i << " <-> " << j << ": " << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("is not in the log"));
  }
}

TEST_F(BundleVerifyTest, AlteringAnyByteOfAnyEntryIsRefused) {
  const v1::PieceBundle full = Bundle("RING-1");
  v1::PieceBundle b = full;
  int tried = 0;
  for (int i = 0; i < full.entries_size(); ++i) {
    const std::string& bytes = full.entries(i).entry();
    for (size_t at = i % 3; at < bytes.size(); at += 3) {
      std::string altered = bytes;
      altered[at] ^= static_cast<char>(1 << (at % 8));
      b.mutable_entries(i)->set_entry(altered);
      absl::StatusOr<BundleReport> r = Verify(b);
      ++tried;
      ASSERT_EQ(r.status().code(), Code::kDataLoss) << "entry " << i << " byte " << at;
      ASSERT_THAT(
          std::string(r.status().message()),
          HasSubstr("entry " + std::to_string(full.entries(i).index()) + " is not in the log"));
    }
    b.mutable_entries(i)->set_entry(bytes);
  }
  EXPECT_GT(tried, 1000);
  EXPECT_TRUE(Verify(b).ok());
}

TEST_F(BundleVerifyTest, ACheckpointSignedByAnotherKeyIsRefused) {
  v1::PieceBundle b = Bundle("RING-1");
  // The same checkpoint text signed by a key of the same name that is not the log's.
  const NoteSigner impostor =
      NoteSigner::Create(ledger().verifier().name, PrivateKey::Generate().value()).value();
  const std::string text = ParseNote(b.checkpoint()).value().text;
  v1::PieceBundle forged = b;
  forged.set_checkpoint(impostor.Sign(text).value());
  for (v1::BundleEntry& e : *forged.mutable_entries()) {
    TlogProof p = TlogProof::FromText(e.tlog_proof()).value();
    p.checkpoint_note = forged.checkpoint();
    e.set_tlog_proof(p.ToText());
  }
  absl::StatusOr<BundleReport> r = Verify(forged);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("checkpoint: no signature by"));
  // The genuine bundle checked against another log's key.
  r = VerifyPieceBundle(b, NoteVerifier::Parse(impostor.VerifierKey()).value());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied) << r.status();
}

TEST_F(BundleVerifyTest, AfterAKeyHandoverABundleVerifiesFromTheGenesisKeyOrTheNewOne) {
  const NoteVerifier genesis = ledger().verifier();
  testing::TempDir keys;
  const PrivateKey next = PrivateKey::Generate().value();
  ASSERT_TRUE(next.SavePemFile(keys.path() + "/next.pem").ok());
  const Receipt handover = ledger().RotateOperatorKey(keys.path() + "/next.pem", "yearly").value();
  // From now on the operator signs with the new key, and so does the log.
  const Identity op_now{"operator", next};
  LearnKey(op_now);
  const uint64_t grant = Accept(RoleGranted(op_now, "jeweler", v1::ROLE_CUTTER)).index;
  Accept(Lifecycle(jeweler_, "RING-1", v1::PIECE_EVENT_REPAIRED));
  const NoteVerifier next_key =
      NoteVerifier::Parse(FormatVerifierKey(genesis.name, next.public_key())).value();

  const v1::PieceBundle b = Bundle("RING-1");
  for (const NoteVerifier& pinned : {genesis, next_key}) {
    absl::StatusOr<BundleReport> r = VerifyPieceBundle(b, pinned);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->checkpoint_key, FormatVerifierKey(genesis.name, next.public_key()));
    EXPECT_THAT(At(*r, handover.index).description,
                HasSubstr("hands the log's checkpoint key over"));
    EXPECT_EQ(At(*r, grant).signer, "operator");
  }
  // Without the handover, neither key gets to the checkpoint's signer and the
  // new key's records have no key.
  v1::PieceBundle cut = b;
  cut.clear_entries();
  for (const v1::BundleEntry& e : b.entries()) {
    if (e.index() != handover.index) *cut.add_entries() = e;
  }
  ASSERT_EQ(cut.entries_size() + 1, b.entries_size());
  absl::StatusOr<BundleReport> r = VerifyPieceBundle(cut, genesis);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("a handover is missing"));
  EXPECT_FALSE(VerifyPieceBundle(cut, next_key).ok());
  // A key that is none of the log's.
  const NoteVerifier stranger =
      NoteVerifier::Parse(FormatVerifierKey(genesis.name, PrivateKey::Generate()->public_key()))
          .value();
  EXPECT_EQ(VerifyPieceBundle(b, stranger).status().code(), Code::kPermissionDenied);
}

TEST_F(BundleVerifyTest, AProofWithAFlippedHashOrAnotherCheckpointIsRefused) {
  const v1::PieceBundle full = Bundle("RING-1");
  v1::PieceBundle b = full;
  TlogProof p = TlogProof::FromText(b.entries(3).tlog_proof()).value();
  ASSERT_FALSE(p.hashes.empty());
  p.hashes[p.hashes.size() / 2][7] ^= 0x20;
  b.mutable_entries(3)->set_tlog_proof(p.ToText());
  absl::StatusOr<BundleReport> r = Verify(b);
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("entry " + std::to_string(full.entries(3).index()) +
                        " is not in the log under the checkpoint"));

  b = full;  // a proof against an older checkpoint of the same log
  const uint64_t old_size = ledger().Size() - 1;
  TlogProof older{
      .extra = std::nullopt,
      .index = b.entries(2).index(),
      .hashes = ledger()
                    .InclusionProof(b.entries(2).index(), ledger().GetCheckpoint(old_size).value())
                    .value(),
      .checkpoint_note = ledger().GetCheckpoint(old_size).value()};
  b.mutable_entries(2)->set_tlog_proof(older.ToText());
  r = Verify(b);
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("against another checkpoint"));

  b = full;  // entries out of order, a wrong index, a foreign format
  b.mutable_entries()->SwapElements(1, 2);
  EXPECT_EQ(Verify(b).status().code(), Code::kInvalidArgument);
  b = full;
  b.mutable_entries(4)->set_index(b.entries(4).index() + 1);
  EXPECT_NE(Verify(b).status().code(), Code::kOk);
  b = full;
  b.set_format("touchstone-bundle/v0");
  EXPECT_EQ(Verify(b).status().code(), Code::kInvalidArgument);
  b = full;
  b.set_piece_id("PENDANT-1");  // RING-1's records are not PENDANT-1's provenance
  EXPECT_EQ(Verify(b).status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace touchstone
