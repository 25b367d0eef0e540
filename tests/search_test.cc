// Search by what people hold (ledger/search.h) and its offline check
// (ledger/bundle/search_check.h): the GTIN and identifier rules that keep the
// indexes one-to-one, answers found through each index and checked, and
// forged answers (another key, an entry swapped, a proof altered, a match
// renamed, a query it does not answer) refused by the check.
#include "ledger/search.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/bundle/search_check.h"
#include "ledger/log/keys.h"
#include "ledger/log/note.h"
#include "ledger/provenance/gs1.h"
#include "ledger/store/storage_map.h"
#include "ledger/store/store.h"
#include "tests/rules_test_util.h"

namespace touchstone {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Identity;
using Code = absl::StatusCode;

class SearchTest : public testing::RulesFixture {
 protected:
  SearchTest()
      : grower_(Register("grower", v1::ROLE_GROWER)),
        lab_(Register("lab", v1::ROLE_CERTIFIER)),
        jeweler_(Register("jeweler", v1::ROLE_JEWELER)) {
    GradedStone(grower_, lab_, jeweler_, "s1", v1::ORIGIN_CLASS_LAB_GROWN);
    GradedStone(grower_, lab_, jeweler_, "s2", v1::ORIGIN_CLASS_LAB_GROWN);
  }

  v1::Record GtinPiece(const std::string& id, const std::string& stone, const std::string& gtin,
                       const std::string& serial) {
    v1::Record r = Piece(jeweler_, id, {stone}, {});
    r.mutable_piece_registered()->set_gtin(gtin);
    r.mutable_piece_registered()->set_serial(serial);
    return r;
  }

  v1::Record WithIdentifier(const Identity& who, const std::string& scheme,
                            const std::string& value) {
    LearnKey(who);
    v1::Record r = Registration(op(), who, {v1::ROLE_REFINER});
    v1::Identifier* id = r.mutable_participant_registered()->add_identifiers();
    id->set_scheme(scheme);
    id->set_value(value);
    return r;
  }

  static v1::SearchQuery Report(const std::string& lab, const std::string& number) {
    v1::SearchQuery q;
    q.mutable_grading_report()->set_lab(lab);
    q.mutable_grading_report()->set_value(number);
    return q;
  }

  absl::StatusOr<SearchCheck> Check(const v1::SearchQuery& q, const v1::SearchAnswer& a) {
    return CheckSearchAnswer(q, a, ledger().verifier());
  }

  Identity grower_, lab_, jeweler_;
};

TEST_F(SearchTest, GradingReportFindsTheStoneAndThePieceItIsSetIn) {
  const uint64_t registered = Accept(Piece(jeweler_, "RING-1", {"s1"}, {})).index;
  const v1::SearchQuery q = Report("grading-report", "RN-gr-s1");
  absl::StatusOr<v1::SearchAnswer> a = Search(ledger(), q);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<SearchCheck> c = Check(q, *a);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->matches.size(), 2u);
  EXPECT_EQ(c->matches[0].kind, "lot");
  EXPECT_EQ(c->matches[0].id, "s1");
  const uint64_t issued = GetCertificate("gr-s1").issued_index();
  EXPECT_THAT(c->matches[0].indices, ElementsAre(issued));
  EXPECT_EQ(c->matches[1].kind, "piece");
  EXPECT_EQ(c->matches[1].id, "RING-1");
  EXPECT_THAT(c->matches[1].indices, ElementsAre(issued, registered));
  EXPECT_EQ(c->size, ledger().Size());

  // The inscription finds it too; a stone not set anywhere is a lot alone.
  v1::SearchQuery by_inscription;
  by_inscription.mutable_inscription()->set_lab("grading-report");
  by_inscription.mutable_inscription()->set_value("LG-gr-s2");
  absl::StatusOr<v1::SearchAnswer> loose = Search(ledger(), by_inscription);
  ASSERT_TRUE(loose.ok()) << loose.status();
  ASSERT_TRUE(Check(by_inscription, *loose).ok());
  ASSERT_EQ(loose->matches_size(), 1);
  EXPECT_EQ(loose->matches(0).id(), "s2");
}

TEST_F(SearchTest, AReplacedStoneLeadsToTheReplacementThatSetIt) {
  Accept(Piece(jeweler_, "RING-1", {"s1"}, {}));
  v1::Record swap = NewRecord(jeweler_);
  swap.mutable_stone_replaced()->set_piece_id("RING-1");
  swap.mutable_stone_replaced()->set_old_stone_lot_id("s1");
  swap.mutable_stone_replaced()->set_new_stone_lot_id("s2");
  swap.mutable_stone_replaced()->set_reason("chipped");
  const uint64_t swapped = Accept(swap).index;
  const v1::SearchQuery q = Report("grading-report", "RN-gr-s2");
  absl::StatusOr<v1::SearchAnswer> a = Search(ledger(), q);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<SearchCheck> c = Check(q, *a);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->matches.size(), 2u);
  EXPECT_EQ(c->matches[1].id, "RING-1");
  EXPECT_EQ(c->matches[1].indices.back(), swapped);
  // The released stone is a lot again, in no piece.
  absl::StatusOr<v1::SearchAnswer> old = Search(ledger(), Report("grading-report", "RN-gr-s1"));
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->matches_size(), 1);
}

TEST_F(SearchTest, UnknownOrMalformedQueriesSayWhy) {
  absl::StatusOr<v1::SearchAnswer> a = Search(ledger(), Report("another-lab", "RN-gr-s1"));
  EXPECT_EQ(a.status().code(), Code::kNotFound);
  EXPECT_THAT(a.status().message(), HasSubstr("another-lab grading report number 'RN-gr-s1'"));
  EXPECT_EQ(Search(ledger(), Report("", "RN-gr-s1")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Search(ledger(), v1::SearchQuery()).status().code(), Code::kInvalidArgument);
  v1::SearchQuery link;
  link.set_digital_link("https://example.com/01/04006381333932/21/X");  // bad check digit
  absl::StatusOr<v1::SearchAnswer> bad = Search(ledger(), link);
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("check digit"));
}

TEST_F(SearchTest, GtinRuleKeepsOneCanonicalPairPerPiece) {
  const uint64_t before = ledger().Size();
  ExpectRefused(GtinPiece("RING-1", "s1", "4006381333931", "R7"), Code::kInvalidArgument,
                "written as GTIN-14: '04006381333931'");
  ExpectRefused(GtinPiece("RING-1", "s1", "04006381333932", "R7"), Code::kInvalidArgument,
                "check digit");
  ExpectRefused(GtinPiece("RING-1", "s1", "04006381333931", ""), Code::kInvalidArgument,
                "give both or neither");
  ExpectRefused(GtinPiece("RING-1", "s1", "04006381333931", "R 7"), Code::kInvalidArgument,
                "GS1 serial");
  EXPECT_EQ(ledger().Size(), before) << "a refused record changes nothing";
  const uint64_t at = Accept(GtinPiece("RING-1", "s1", "04006381333931", "R/7")).index;
  ExpectRefused(GtinPiece("RING-2", "s2", "04006381333931", "R/7"), Code::kFailedPrecondition,
                "gtin rule: GTIN 04006381333931 serial 'R/7' already names piece 'RING-1'");
  EXPECT_EQ(GetPiece("RING-1").gtin(), "04006381333931");
  EXPECT_EQ(GetPiece("RING-2").piece_id(), "") << "the refused piece was not registered";

  // Found by the GTIN as printed on a label (GTIN-13), and by the QR code's URI.
  v1::SearchQuery by_gtin;
  by_gtin.mutable_gtin()->set_gtin("4006381333931");
  by_gtin.mutable_gtin()->set_serial("R/7");
  v1::SearchQuery by_link;
  by_link.set_digital_link("https://id.example.com/01/04006381333931/21/R%2F7?linkType=all");
  for (const v1::SearchQuery& q : {by_gtin, by_link}) {
    absl::StatusOr<v1::SearchAnswer> a = Search(ledger(), q);
    ASSERT_TRUE(a.ok()) << a.status();
    absl::StatusOr<SearchCheck> c = Check(q, *a);
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_EQ(c->matches.size(), 1u);
    EXPECT_EQ(c->matches[0].id, "RING-1");
    EXPECT_THAT(c->matches[0].indices, ElementsAre(at));
  }
  EXPECT_EQ(DigitalLinkPath("04006381333931", "R/7"), "/01/04006381333931/21/R%2F7");
}

TEST_F(SearchTest, IdentifierRuleKeepsOneParticipantPerIdentifier) {
  const Identity a = testing::NewIdentity("refiner-a");
  const Identity b = testing::NewIdentity("refiner-b");
  const uint64_t at = Accept(WithIdentifier(a, "LEI", "5299009DEMOREFINE042")).index;
  ExpectRefused(WithIdentifier(b, "LEI", "5299009DEMOREFINE042"), Code::kFailedPrecondition,
                "identifier rule: LEI '5299009DEMOREFINE042' already identifies participant "
                "'refiner-a'");
  EXPECT_EQ(GetParticipant("refiner-b").participant_id(), "");
  EXPECT_EQ(GetParticipant("refiner-a").identifiers(0).value(), "5299009DEMOREFINE042");
  v1::Record twice = WithIdentifier(b, "GLN", "0614141000005");
  *twice.mutable_participant_registered()->add_identifiers() =
      twice.participant_registered().identifiers(0);
  ExpectRefused(twice, Code::kInvalidArgument, "listed twice");
  // Another scheme with the same value is another identifier.
  Accept(WithIdentifier(b, "RJC", "5299009DEMOREFINE042"));

  v1::SearchQuery q;
  q.mutable_identifier()->set_scheme("LEI");
  q.mutable_identifier()->set_value("5299009DEMOREFINE042");
  absl::StatusOr<v1::SearchAnswer> found = Search(ledger(), q);
  ASSERT_TRUE(found.ok()) << found.status();
  absl::StatusOr<SearchCheck> c = Check(q, *found);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->matches[0].id, "refiner-a");
  EXPECT_THAT(c->matches[0].indices, ElementsAre(at));
}

TEST_F(SearchTest, TheIndexesComeBackWhenStateIsRebuilt) {
  Accept(GtinPiece("RING-1", "s1", "04006381333931", "R7"));
  Accept(WithIdentifier(testing::NewIdentity("refiner-a"), "LEI", "5299009DEMOREFINE042"));
  // A data directory whose state an older version wrote is rebuilt from the
  // log when it is opened (storage_map.h kStateFormat): the indexes with it.
  // Here: a state that lacks both indexes, marked as the previous format.
  CloseLedger();
  {
    std::unique_ptr<Store> store = Store::Open({.path = data_dir() + "/db"}).value();
    StoreBatch batch = store->NewBatch();
    batch.DeleteState(GtinKey("04006381333931", "R7"));
    batch.DeleteState(IdentifierKey("LEI", "5299009DEMOREFINE042"));
    batch.PutMeta(kStateFormatMetaKey, "2");
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  ReopenLedger();
  v1::SearchQuery q;
  q.mutable_gtin()->set_gtin("04006381333931");
  q.mutable_gtin()->set_serial("R7");
  absl::StatusOr<v1::SearchAnswer> a = Search(ledger(), q);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->matches(0).id(), "RING-1");
  ExpectRefused(WithIdentifier(testing::NewIdentity("refiner-b"), "LEI", "5299009DEMOREFINE042"),
                Code::kFailedPrecondition, "identifier rule");
}

// A hostile server (or anyone between it and the client) edits a true answer.
TEST_F(SearchTest, ForgedAnswersAreRefused) {
  Accept(Piece(jeweler_, "RING-1", {"s1"}, {}));
  Accept(Piece(jeweler_, "RING-2", {"s2"}, {}));
  const v1::SearchQuery q = Report("grading-report", "RN-gr-s1");
  const v1::SearchAnswer truth = Search(ledger(), q).value();
  ASSERT_TRUE(Check(q, truth).ok());
  const v1::SearchAnswer other = Search(ledger(), Report("grading-report", "RN-gr-s2")).value();

  struct Forgery {
    const char* what;
    std::function<void(v1::SearchAnswer&)> edit;
    Code code;
    const char* says;
  };
  const std::vector<Forgery> forgeries = {
      {"the piece renamed", [](v1::SearchAnswer& a) { a.mutable_matches(1)->set_id("RING-2"); },
       Code::kDataLoss, "does not set lot 's1' in piece 'RING-2'"},
      {"another stone's setting entry",
       [&](v1::SearchAnswer& a) {
         *a.mutable_matches(1)->mutable_evidence(1) = other.matches(1).evidence(1);
       },
       Code::kDataLoss, "does not set lot 's1'"},
      {"an entry's bytes altered",
       [](v1::SearchAnswer& a) {
         std::string* e = a.mutable_matches(0)->mutable_evidence(0)->mutable_entry();
         (*e)[e->size() - 1] ^= 1;
       },
       Code::kDataLoss, "is not in the tree the checkpoint signs"},
      {"an entry moved to another index",
       [](v1::SearchAnswer& a) { a.mutable_matches(0)->mutable_evidence(0)->set_index(1); },
       Code::kDataLoss, "says it is entry"},
      {"a proof hash altered",
       [](v1::SearchAnswer& a) {
         std::string* h = a.mutable_matches(0)->mutable_evidence(0)->mutable_inclusion_proof(0);
         (*h)[0] ^= 1;
       },
       Code::kDataLoss, "is not in the tree"},
      {"a match of a kind a stone query cannot have",
       [](v1::SearchAnswer& a) { a.mutable_matches(0)->set_kind("participant"); }, Code::kDataLoss,
       "names a lot or a piece"},
      {"the piece's certificate entry left out",
       [](v1::SearchAnswer& a) { a.mutable_matches(1)->mutable_evidence()->RemoveLast(); },
       Code::kDataLoss, "needs 2 evidence entries"},
      {"no match at all", [](v1::SearchAnswer& a) { a.clear_matches(); }, Code::kDataLoss,
       "no match"},
  };
  for (const Forgery& f : forgeries) {
    v1::SearchAnswer forged = truth;
    f.edit(forged);
    absl::StatusOr<SearchCheck> c = Check(q, forged);
    EXPECT_EQ(c.status().code(), f.code) << f.what << ": " << c.status();
    EXPECT_THAT(c.status().message(), HasSubstr(f.says)) << f.what;
  }

  // The true answer, for a question it does not answer: another lab's report.
  absl::StatusOr<SearchCheck> lab = Check(Report("gia", "RN-gr-s1"), truth);
  EXPECT_EQ(lab.status().code(), Code::kDataLoss);
  EXPECT_THAT(lab.status().message(), HasSubstr("not 'gia'"));

  // Signed by a key that is not the log's.
  const PrivateKey stranger = PrivateKey::Generate().value();
  NoteVerifier wrong = ledger().verifier();
  wrong.key = stranger.public_key();
  EXPECT_FALSE(CheckSearchAnswer(q, truth, wrong).ok());
}

}  // namespace
}  // namespace touchstone
