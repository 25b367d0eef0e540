// Subscriptions: the Watcher (ledger/watch.h) against a small log, checked by
// the client's WatchChecker (ledger/bundle/watch_check.h), and the forgeries
// that checker must refuse, one per check.
#include "ledger/watch.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/status_macros.h"
#include "ledger/bundle/watch_check.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/hash.h"
#include "tests/rules_test_util.h"

namespace touchstone {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::Identity;
using testing::kHourMicros;
using Code = absl::StatusCode;

class WatchTest : public testing::RulesFixture {
 protected:
  WatchTest()
      : certifier_(Register("certifier", v1::ROLE_CERTIFIER)),
        refiner_(Register("refiner-1", v1::ROLE_REFINER)),
        other_(Register("refiner-2", v1::ROLE_REFINER)),
        jeweler_(Register("jeweler", v1::ROLE_JEWELER)) {
    Accept(Certificate(certifier_, "c1", "refiner-1", testing::NowMicros() - kHourMicros));
    g1_ = Accept(
              GoldLot(refiner_, "g1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, 10000, 1000, {"c1"}))
              .index;
    g2_ = Accept(GoldLot(other_, "g2", v1::ORIGIN_CLASS_MINED, 3000)).index;
    Transfer(refiner_, jeweler_, "g1");
    piece_ = Accept(Piece(jeweler_, "PIECE-A", {}, {{"g1", 2000}})).index;
  }

  static v1::WatchRequest Request(uint64_t from = 0, v1::WatchFilter filter = {},
                                  uint64_t known = 0) {
    v1::WatchRequest r;
    r.set_from_index(from);
    *r.mutable_filter() = std::move(filter);
    r.set_known_size(known);
    return r;
  }

  // Runs rounds until the watcher has considered the whole log; checks every
  // event with a WatchChecker and returns the proven entries' indices.
  std::vector<uint64_t> Follow(const v1::WatchRequest& req, WatchLimits limits,
                               std::optional<Checkpoint> known, WatchChecker* out = nullptr) {
    absl::StatusOr<Watcher> w = Watcher::Start(ledger(), req, limits);
    EXPECT_TRUE(w.ok()) << w.status();
    if (!w.ok()) return {};
    WatchChecker checker(ledger().verifier(), req.filter(), req.from_index(), std::move(known));
    std::vector<uint64_t> proven;
    for (int round = 0; checker.position() < ledger().Size() && round < 100; ++round) {
      absl::StatusOr<std::vector<v1::WatchEvent>> events = w->Next(absl::Now());
      EXPECT_TRUE(events.ok()) << events.status();
      if (!events.ok()) break;
      for (const v1::WatchEvent& e : *events) {
        if (e.has_entry()) {
          EXPECT_TRUE(checker.OnEntry(e.entry()).ok());
          continue;
        }
        absl::StatusOr<std::vector<v1::WatchEntry>> got = checker.OnCheckpoint(e.checkpoint());
        EXPECT_TRUE(got.ok()) << got.status();
        for (const v1::WatchEntry& entry : got.value_or(std::vector<v1::WatchEntry>{})) {
          proven.push_back(entry.index());
        }
      }
    }
    EXPECT_EQ(checker.position(), ledger().Size());
    if (out != nullptr) *out = std::move(checker);
    return proven;
  }

  // One round's events for `req`, from a fresh watcher.
  std::vector<v1::WatchEvent> Round(const v1::WatchRequest& req) {
    absl::StatusOr<Watcher> w = Watcher::Start(ledger(), req);
    EXPECT_TRUE(w.ok()) << w.status();
    if (!w.ok()) return {};
    return w->Next(absl::Now()).value_or(std::vector<v1::WatchEvent>{});
  }

  static std::vector<uint64_t> Range(uint64_t begin, uint64_t end) {
    std::vector<uint64_t> out;
    for (uint64_t i = begin; i < end; ++i) out.push_back(i);
    return out;
  }

  Identity certifier_, refiner_, other_, jeweler_;
  uint64_t g1_ = 0, g2_ = 0, piece_ = 0;
};

TEST_F(WatchTest, WithNoFilterEveryEntryComesOnceProvenUnderASignedCheckpoint) {
  EXPECT_THAT(Follow(Request(), {}, std::nullopt), ElementsAreArray(Range(0, ledger().Size())));
}

TEST_F(WatchTest, RoundsAndReconnectsTogetherDeliverEachEntryExactlyOnce) {
  // Three entries a round; the client "reconnects" (a new watcher) from its
  // checker's position after every round, with the checkpoint it kept.
  WatchLimits small;
  small.max_scan = 3;
  std::vector<uint64_t> all;
  uint64_t from = 0;
  std::optional<Checkpoint> known;
  for (int i = 0; from < ledger().Size() && i < 100; ++i) {
    absl::StatusOr<Watcher> w =
        Watcher::Start(ledger(), Request(from, {}, known ? known->size : 0), small);
    ASSERT_TRUE(w.ok()) << w.status();
    WatchChecker checker(ledger().verifier(), {}, from, known);
    absl::StatusOr<std::vector<v1::WatchEvent>> events = w->Next(absl::Now());
    ASSERT_TRUE(events.ok()) << events.status();
    ASSERT_FALSE(events->empty());
    ASSERT_TRUE(events->back().has_checkpoint());
    EXPECT_LE(events->size(), 4u) << "at most max_scan entries and the checkpoint";
    for (const v1::WatchEvent& e : *events) {
      if (e.has_entry()) {
        ASSERT_TRUE(checker.OnEntry(e.entry()).ok());
        continue;
      }
      absl::StatusOr<std::vector<v1::WatchEntry>> got = checker.OnCheckpoint(e.checkpoint());
      ASSERT_TRUE(got.ok()) << got.status();
      for (const v1::WatchEntry& entry : *got) all.push_back(entry.index());
    }
    from = checker.position();
    known = checker.checkpoint();
  }
  EXPECT_THAT(all, ElementsAreArray(Range(0, ledger().Size())));
}

TEST_F(WatchTest, ALotFilterKeepsTheEntriesThatNameTheLot) {
  v1::WatchFilter f;
  f.add_lots("g1");
  // The lot's creation, its shipment and receipt, the piece made of it.
  const std::vector<uint64_t> got = Follow(Request(0, f), {}, std::nullopt);
  EXPECT_THAT(got, ElementsAre(g1_, g2_ + 1, g2_ + 2, piece_));
}

TEST_F(WatchTest, TypeAndIdFiltersCombine) {
  v1::WatchFilter f;
  f.add_record_types("lot_created");
  EXPECT_THAT(Follow(Request(0, f), {}, std::nullopt), ElementsAre(g1_, g2_));
  f.add_participants("refiner-2");
  EXPECT_THAT(Follow(Request(0, f), {}, std::nullopt), ElementsAre(g2_));
}

TEST_F(WatchTest, ARevocationReachesTheJewelerOfEveryAffectedPiece) {
  const uint64_t revoked =
      Accept(StatusChange(certifier_, "c1", v1::CERTIFICATE_STATUS_REVOKED)).index;
  v1::WatchFilter f;
  f.add_participants("jeweler");
  f.add_record_types("certificate_status_changed");
  const std::vector<v1::WatchEvent> events = Round(Request(0, f));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].entry().index(), revoked);
  EXPECT_THAT(events[0].entry().affected_pieces(), ElementsAre("PIECE-A"));
  v1::WatchFilter by_piece;
  by_piece.add_pieces("PIECE-A");
  by_piece.add_record_types("certificate_status_changed");
  EXPECT_EQ(Round(Request(0, by_piece)).size(), 2u);
  v1::WatchFilter subject;  // the certificate's subject, and a lot that relied on it
  subject.add_participants("refiner-1");
  subject.add_record_types("certificate_status_changed");
  EXPECT_EQ(Round(Request(0, subject)).size(), 2u);
  v1::WatchFilter lot;
  lot.add_lots("g1");
  lot.add_record_types("certificate_status_changed");
  EXPECT_EQ(Round(Request(0, lot)).size(), 2u);
  v1::WatchFilter elsewhere;
  elsewhere.add_participants("refiner-2");
  elsewhere.add_record_types("certificate_status_changed");
  const std::vector<v1::WatchEvent> none = Round(Request(0, elsewhere));
  ASSERT_EQ(none.size(), 1u) << "only the checkpoint (first round's heartbeat)";
  EXPECT_TRUE(none[0].has_checkpoint());
}

TEST_F(WatchTest, AWaitingRoundWakesWhenAnEntryIsAppended) {
  const uint64_t size = ledger().Size();
  absl::StatusOr<Watcher> w = Watcher::Start(ledger(), Request(size));
  ASSERT_TRUE(w.ok()) << w.status();
  absl::StatusOr<std::vector<v1::WatchEvent>> events;
  std::thread waiter([&] { events = w->Next(absl::Now() + absl::Seconds(60)); });
  absl::SleepFor(absl::Milliseconds(50));
  Accept(GoldLot(other_, "g3", v1::ORIGIN_CLASS_MINED, 100));
  waiter.join();
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u) << "woken by the append, not by the deadline";
  EXPECT_EQ((*events)[0].entry().index(), size);
  EXPECT_EQ((*events)[1].checkpoint().next_index(), size + 1);
}

TEST_F(WatchTest, WhenTheLogGoesQuietThePositionSilentRoundsReachedIsSent) {
  WatchLimits limits;
  limits.max_scan = 3;
  limits.heartbeat = absl::Hours(1);
  v1::WatchFilter f;
  f.add_record_types("operator_key_rotated");  // matches nothing here
  absl::StatusOr<Watcher> w = Watcher::Start(ledger(), Request(0, f), limits);
  ASSERT_TRUE(w.ok()) << w.status();
  absl::StatusOr<std::vector<v1::WatchEvent>> first = w->Next(absl::Now());
  ASSERT_TRUE(first.ok() && first->size() == 1) << "the first round's checkpoint";
  EXPECT_EQ((*first)[0].checkpoint().next_index(), 3u);
  while (w->position() < ledger().Size()) {
    absl::StatusOr<std::vector<v1::WatchEvent>> silent = w->Next(absl::Now());
    ASSERT_TRUE(silent.ok()) << silent.status();
    EXPECT_TRUE(silent->empty()) << "no heartbeat due yet";
  }
  absl::StatusOr<std::vector<v1::WatchEvent>> quiet = w->Next(absl::Now() + absl::Milliseconds(10));
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  ASSERT_EQ(quiet->size(), 1u);
  EXPECT_EQ((*quiet)[0].checkpoint().next_index(), ledger().Size());
  EXPECT_TRUE(w->Next(absl::Now() + absl::Milliseconds(10))->empty()) << "said once";
}

TEST_F(WatchTest, NothingNewMeansNothingAtTheDeadline) {
  absl::StatusOr<Watcher> w = Watcher::Start(ledger(), Request(ledger().Size()));
  ASSERT_TRUE(w.ok()) << w.status();
  absl::StatusOr<std::vector<v1::WatchEvent>> events =
      w->Next(absl::Now() + absl::Milliseconds(20));
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_TRUE(events->empty());
}

TEST_F(WatchTest, BadRequestsAreRefused) {
  v1::WatchFilter f;
  f.add_record_types("lot_made");
  absl::StatusOr<Watcher> w = Watcher::Start(ledger(), Request(0, f));
  EXPECT_EQ(w.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(w.status().message(), HasSubstr("unknown record type 'lot_made'; one of: genesis"));
  EXPECT_EQ(Watcher::Start(ledger(), Request(ledger().Size() + 1)).status().code(),
            Code::kOutOfRange);
  w = Watcher::Start(ledger(), Request(0, {}, ledger().Size() + 5));
  EXPECT_EQ(w.status().code(), Code::kOutOfRange);
  EXPECT_THAT(w.status().message(), HasSubstr("rewound"));
  v1::WatchRequest cosigned = Request();
  cosigned.set_cosigned(true);  // no witness has cosigned anything: the head is 0
  EXPECT_EQ(Watcher::Start(ledger(), Request(1)).status().code(), Code::kOk);
  EXPECT_EQ(Watcher::Start(ledger(),
                           [&] {
                             v1::WatchRequest r = cosigned;
                             r.set_from_index(1);
                             return r;
                           }())
                .status()
                .code(),
            Code::kOutOfRange);
}

// ---- The client's checks: one forged stream per check. ----

class WatchForgeryTest : public WatchTest {
 protected:
  // A first round over the whole log, unfiltered.
  void SetUp() override {
    events_ = Round(Request());
    ASSERT_GE(events_.size(), 2u);
    ASSERT_TRUE(events_.back().has_checkpoint());
  }
  // Feeds `events` to a fresh checker; the first error.
  absl::Status Check(const std::vector<v1::WatchEvent>& events, v1::WatchFilter filter = {},
                     std::optional<Checkpoint> known = std::nullopt) {
    WatchChecker checker(ledger().verifier(), std::move(filter), 0, std::move(known));
    for (const v1::WatchEvent& e : events) {
      if (e.has_entry()) {
        RETURN_IF_ERROR(checker.OnEntry(e.entry()));
      } else {
        RETURN_IF_ERROR(checker.OnCheckpoint(e.checkpoint()).status());
      }
    }
    return absl::OkStatus();
  }
  v1::WatchCheckpoint& Cp() { return *events_.back().mutable_checkpoint(); }

  std::vector<v1::WatchEvent> events_;
};

TEST_F(WatchForgeryTest, TheGenuineStreamPasses) { EXPECT_TRUE(Check(events_).ok()); }

TEST_F(WatchForgeryTest, AnEntryWhoseBytesWereChangedIsRefused) {
  std::string& data = *events_[3].mutable_entry()->mutable_data();
  data[data.size() - 70] ^= 1;  // in the record, before the signature
  const absl::Status s = Check(events_);
  EXPECT_EQ(s.code(), Code::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("watch: entry 3"));
}

TEST_F(WatchForgeryTest, AnEntryWithAnotherEntrysLeafHashIsRefused) {
  events_[3].mutable_entry()->set_leaf_hash(events_[4].entry().leaf_hash());
  EXPECT_THAT(Check(events_).message(), HasSubstr("leaf hash is not that of its bytes"));
}

TEST_F(WatchForgeryTest, AnEntryWhoseBytesSayAnotherIndexIsRefused) {
  v1::WatchEntry& e = *events_[4].mutable_entry();
  e.set_data(events_[3].entry().data());  // entry 3's bytes, said to be entry 4
  e.set_leaf_hash(events_[3].entry().leaf_hash());
  EXPECT_THAT(Check(events_).message(), HasSubstr("entry 4 says it is entry 3"));
}

TEST_F(WatchForgeryTest, AnEntryThatLiesAboutItsTypeIsRefused) {
  events_[g1_].mutable_entry()->set_record_type("piece_registered");
  EXPECT_THAT(Check(events_).message(), HasSubstr("says it is a piece_registered"));
}

TEST_F(WatchForgeryTest, AnEntrySentTwiceIsRefused) {
  events_.insert(events_.begin() + 4, events_[3]);
  EXPECT_THAT(Check(events_).message(), HasSubstr("out of order (or again)"));
}

TEST_F(WatchForgeryTest, AnEntryTheFilterDidNotAskForIsRefused) {
  v1::WatchFilter f;
  f.add_lots("g2");
  std::vector<v1::WatchEvent> forged = {events_[g1_], events_[g2_], events_.back()};
  forged.back().mutable_checkpoint()->clear_proofs();
  EXPECT_THAT(Check(forged, f).message(),
              HasSubstr("entry " + std::to_string(g1_) + " concerns nothing the filter names"));
}

TEST_F(WatchForgeryTest, ACheckpointByAnotherKeyIsRefused) {
  const NoteSigner impostor = NoteSigner::Create(origin(), PrivateKey::Generate().value()).value();
  absl::StatusOr<Checkpoint> real = ParseCheckpointNote(Cp().checkpoint());
  ASSERT_TRUE(real.ok());
  Cp().set_checkpoint(impostor.Sign(real->ToText()).value());
  EXPECT_EQ(Check(events_).code(), Code::kPermissionDenied);
}

TEST_F(WatchForgeryTest, AWrongOrMissingInclusionProofIsRefused) {
  std::vector<v1::WatchEvent> forged = events_;
  forged.back().mutable_checkpoint()->mutable_proofs(2)->set_hashes(0, std::string(32, 'x'));
  EXPECT_THAT(Check(forged).message(), HasSubstr("entry 2 is not in the tree"));
  forged = events_;
  forged.back().mutable_checkpoint()->mutable_proofs()->RemoveLast();
  EXPECT_THAT(Check(forged).message(), HasSubstr("proofs for"));
}

TEST_F(WatchForgeryTest, ACheckpointThatGoesBackOrSkipsPastItsSizeIsRefused) {
  Cp().set_next_index(Cp().size() + 1);
  EXPECT_THAT(Check(events_).message(), HasSubstr("does not follow position"));
}

TEST_F(WatchForgeryTest, ACheckpointInconsistentWithTheOneKeptIsRefused) {
  // The client kept a checkpoint of a different history of the same size
  // (another log under the same key): the stream's cannot extend it.
  absl::StatusOr<Checkpoint> cp = ParseCheckpointNote(Cp().checkpoint());
  ASSERT_TRUE(cp.ok());
  Checkpoint other = *cp;
  other.size = 3;
  other.root[0] ^= 1;
  const absl::Status s = Check(events_, {}, other);
  EXPECT_EQ(s.code(), Code::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("consistency"));
  // And the genuine one kept at size 3 passes once the server proves it.
  absl::StatusOr<std::string> note3 = ledger().GetCheckpoint(3);
  ASSERT_TRUE(note3.ok()) << note3.status();
  std::vector<v1::WatchEvent> resumed = Round(Request(0, {}, 3));
  EXPECT_TRUE(Check(resumed, {}, ParseCheckpointNote(*note3).value()).ok());
}

TEST_F(WatchForgeryTest, ACheckpointSmallerThanTheOneKeptIsARewind) {
  absl::StatusOr<Checkpoint> cp = ParseCheckpointNote(Cp().checkpoint());
  ASSERT_TRUE(cp.ok());
  Checkpoint later = *cp;
  later.size = cp->size + 10;
  EXPECT_THAT(Check(events_, {}, later).message(), HasSubstr("was rewound"));
}

}  // namespace
}  // namespace touchstone
