// Impact of a recall (ledger/impact.h) on a small hand-built graph whose
// answer is derived by hand below: a refiner's certified gold, split, merged
// with uncertified gold and made into pieces; a graded stone set in a piece;
// a piece registered after the checkpoint asked about.
#include "ledger/impact.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules_test_util.h"

namespace touchstone {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Identity;
using testing::kHourMicros;
using ::testing::UnorderedElementsAre;
using Code = absl::StatusCode;

class ImpactTest : public testing::RulesFixture {
 protected:
  ImpactTest()
      : certifier_(Register("certifier", v1::ROLE_CERTIFIER)),
        refiner_(Register("refiner-1", v1::ROLE_REFINER)),
        other_(Register("refiner-2", v1::ROLE_REFINER)),
        jeweler_(Register("jeweler", v1::ROLE_JEWELER)),
        jeweler2_(Register("jeweler-2", v1::ROLE_JEWELER)),
        grower_(Register("grower", v1::ROLE_GROWER)),
        lab_(Register("lab", v1::ROLE_CERTIFIER)) {
    Accept(Certificate(certifier_, "c1", "refiner-1", testing::NowMicros() - kHourMicros));
    at_["g1"] = Accept(GoldLot(refiner_, "g1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, 10000, 1000,
                               {"c1"}))
                    .index;
    Accept(GoldLot(other_, "g2", v1::ORIGIN_CLASS_MINED, 3000));
    at_["split"] = Accept(Split(refiner_, "split", "g1", 4000, "g1a")).index;
    Transfer(other_, refiner_, "g2");
    at_["merge"] = Accept(Transform(refiner_, "merge", v1::PROCESS_MERGE, "gold",
                                    {{"g1a", 4000}, {"g2", 1000}}, {{"mix-1", 5000, 1000}}))
                       .index;
    Transfer(refiner_, jeweler_, "mix-1");
    at_["A"] = Accept(Piece(jeweler_, "PIECE-A", {}, {{"mix-1", 2000}})).index;
    at_["B"] = Accept(Piece(jeweler_, "PIECE-B", {}, {{"mix-1", 1000}})).index;
    Transfer(refiner_, jeweler2_, "g2");
    at_["C"] = Accept(Piece(jeweler2_, "PIECE-C", {}, {{"g2", 500}})).index;
    GradedStone(grower_, lab_, jeweler_, "s1", v1::ORIGIN_CLASS_LAB_GROWN);
    at_["D"] = Accept(Piece(jeweler_, "PIECE-D", {"s1"}, {})).index;
    before_e_ = ledger().Size();
    at_["E"] = Accept(Piece(jeweler_, "PIECE-E", {}, {{"mix-1", 500}})).index;
  }

  v1::ImpactAnswer Ask(v1::ImpactQuery q) {
    absl::StatusOr<v1::ImpactAnswer> a = Impact(ledger(), q);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.value_or(v1::ImpactAnswer());
  }
  static v1::ImpactQuery OfCertificate(const std::string& id, uint64_t at = 0) {
    v1::ImpactQuery q;
    q.set_certificate(id);
    q.set_at_size(at);
    return q;
  }
  // kind:id -> path
  static std::map<std::string, std::vector<uint64_t>> Items(const v1::ImpactAnswer& a) {
    std::map<std::string, std::vector<uint64_t>> out;
    for (const v1::ImpactItem& i : a.items()) {
      EXPECT_TRUE(out.emplace(i.kind() + ":" + i.id(),
                              std::vector<uint64_t>(i.path().begin(), i.path().end()))
                      .second)
          << "reported twice: " << i.kind() << " " << i.id();
    }
    return out;
  }
  static std::set<std::string> Pieces(const v1::ImpactAnswer& a) {
    std::set<std::string> out;
    for (const v1::ImpactItem& i : a.items()) {
      if (i.kind() == "piece") out.insert(i.id() + " by " + i.participant());
    }
    return out;
  }

  Identity certifier_, refiner_, other_, jeweler_, jeweler2_, grower_, lab_;
  std::map<std::string, uint64_t> at_;
  uint64_t before_e_ = 0;
};

TEST_F(ImpactTest, ACertificateReachesExactlyThePiecesMadeOfWhatReliedOnIt) {
  const v1::ImpactAnswer a = Ask(OfCertificate("c1"));
  EXPECT_EQ(a.size(), ledger().Size());
  // By hand: c1 <- g1 (cites it) -> split -> g1a -> merge (with g2) -> mix-1 -> A, B, E.
  // Not C (made of g2 alone, which never met g1) nor D (a stone).
  EXPECT_THAT(Pieces(a), UnorderedElementsAre("PIECE-A by jeweler", "PIECE-B by jeweler",
                                              "PIECE-E by jeweler"));
  const auto items = Items(a);
  EXPECT_EQ(items.size(), 8u);  // g1, split, g1a, merge, mix-1, A, B, E
  EXPECT_THAT(items.at("lot:g1"), ElementsAre(at_["g1"]));
  EXPECT_THAT(items.at("transformation:split"), ElementsAre(at_["g1"], at_["split"]));
  EXPECT_THAT(items.at("lot:mix-1"), ElementsAre(at_["g1"], at_["split"], at_["merge"]));
  EXPECT_THAT(items.at("piece:PIECE-A"),
              ElementsAre(at_["g1"], at_["split"], at_["merge"], at_["A"]));
  EXPECT_FALSE(items.contains("lot:g2")) << "an input merged in is not downstream";
}

TEST_F(ImpactTest, AsOfAnEarlierCheckpointLaterPiecesAreNotReached) {
  const v1::ImpactAnswer a = Ask(OfCertificate("c1", before_e_));
  EXPECT_EQ(a.size(), before_e_);
  EXPECT_THAT(Pieces(a), UnorderedElementsAre("PIECE-A by jeweler", "PIECE-B by jeweler"));
  EXPECT_NE(a.checkpoint().find(absl::StrCat("\n", before_e_, "\n")), std::string::npos)
      << "the checkpoint of that size: " << a.checkpoint();
  v1::ImpactQuery early = OfCertificate("c1", at_["g1"]);  // before anything cited it
  EXPECT_EQ(Ask(early).items_size(), 0);
}

TEST_F(ImpactTest, ALotAndAGradingReportReachTheirOwnDescendants) {
  v1::ImpactQuery lot;
  lot.set_lot("g2");
  // g2 -> merge -> mix-1 -> A, B, E; and g2 -> C directly.
  EXPECT_THAT(Pieces(Ask(lot)), UnorderedElementsAre("PIECE-A by jeweler", "PIECE-B by jeweler",
                                                     "PIECE-E by jeweler", "PIECE-C by jeweler-2"));
  const v1::ImpactAnswer report = Ask(OfCertificate("gr-s1"));
  EXPECT_THAT(Pieces(report), ElementsAre("PIECE-D by jeweler"));
  EXPECT_THAT(Items(report).at("lot:s1"), ElementsAre(GetCertificate("gr-s1").issued_index()));
}

TEST_F(ImpactTest, AParticipantReachesWhatItMadeNotWhatItOnlyHeld) {
  v1::ImpactQuery q;
  q.set_participant("refiner-1");
  // By hand: refiner-1 created g1, split it (g1a) and merged g1a with g2 (mix-1) -> A, B, E.
  // It also held g2 and shipped it to jeweler-2, who made C: custody is not making, so not C.
  // It is the subject of c1, which is not something it issued: c1 is not a root.
  const v1::ImpactAnswer a = Ask(q);
  EXPECT_THAT(Pieces(a), UnorderedElementsAre("PIECE-A by jeweler", "PIECE-B by jeweler",
                                              "PIECE-E by jeweler"));
  const auto items = Items(a);
  EXPECT_EQ(items.size(), 8u);  // g1, split, g1a, merge, mix-1, A, B, E
  EXPECT_THAT(items.at("lot:g1"), ElementsAre(at_["g1"]));
  EXPECT_THAT(items.at("transformation:merge"), ElementsAre(at_["merge"]));
  EXPECT_THAT(items.at("piece:PIECE-A"), ElementsAre(at_["merge"], at_["A"]));
  EXPECT_FALSE(items.contains("lot:g2")) << "held, not made";
  EXPECT_FALSE(items.contains("piece:PIECE-C"));

  // The laboratory issued gr-s1: the stone it graded and the piece it is set in.
  q.set_participant("lab");
  const v1::ImpactAnswer lab = Ask(q);
  EXPECT_THAT(Pieces(lab), ElementsAre("PIECE-D by jeweler"));
  const uint64_t graded = GetCertificate("gr-s1").issued_index();
  EXPECT_THAT(Items(lab).at("lot:s1"), ElementsAre(graded));
  EXPECT_THAT(Items(lab).at("piece:PIECE-D"), ElementsAre(graded, at_["D"]));

  // A jeweler: the pieces it registered, and as of an earlier checkpoint not E.
  q.set_participant("jeweler");
  EXPECT_THAT(Pieces(Ask(q)), UnorderedElementsAre("PIECE-A by jeweler", "PIECE-B by jeweler",
                                                   "PIECE-D by jeweler", "PIECE-E by jeweler"));
  q.set_at_size(before_e_);
  EXPECT_THAT(Pieces(Ask(q)), UnorderedElementsAre("PIECE-A by jeweler", "PIECE-B by jeweler",
                                                   "PIECE-D by jeweler"));
  // A participant who made nothing reaches nothing.
  q.set_participant("jeweler-2");
  q.set_at_size(at_["C"]);  // before it registered C
  EXPECT_EQ(Ask(q).items_size(), 0);
}

TEST_F(ImpactTest, RevokingTheCertificateChangesNothingItReaches) {
  const v1::ImpactAnswer before = Ask(OfCertificate("c1"));
  Accept(StatusChange(certifier_, "c1", v1::CERTIFICATE_STATUS_REVOKED));
  const v1::ImpactAnswer after = Ask(OfCertificate("c1"));
  EXPECT_EQ(Items(after), Items(before));
  EXPECT_EQ(after.size(), before.size() + 1);
}

TEST_F(ImpactTest, BadQueriesSayWhy) {
  absl::StatusOr<v1::ImpactAnswer> a = Impact(ledger(), v1::ImpactQuery());
  EXPECT_EQ(a.status().code(), Code::kInvalidArgument);
  a = Impact(ledger(), OfCertificate("no-such"));
  EXPECT_EQ(a.status().code(), Code::kNotFound);
  EXPECT_THAT(a.status().message(), HasSubstr("no-such"));
  a = Impact(ledger(), OfCertificate("c1", ledger().Size() + 5));
  EXPECT_EQ(a.status().code(), Code::kOutOfRange);
  // As of the checkpoint just before its issuance, the certificate is not in the log yet.
  a = Impact(ledger(), OfCertificate("c1", GetCertificate("c1").issued_index()));
  EXPECT_EQ(a.status().code(), Code::kNotFound);
  EXPECT_THAT(a.status().message(), HasSubstr("is not in the log at size"));
  v1::ImpactQuery who;
  who.set_participant("no-such");
  a = Impact(ledger(), who);
  EXPECT_EQ(a.status().code(), Code::kNotFound);
  EXPECT_THAT(a.status().message(), HasSubstr("no participant 'no-such'"));
  who.set_participant("lab");
  who.set_at_size(GetParticipant("lab").registered_index());
  a = Impact(ledger(), who);
  EXPECT_EQ(a.status().code(), Code::kNotFound);
  EXPECT_THAT(a.status().message(), HasSubstr("participant 'lab' is not in the log at size"));
}

}  // namespace
}  // namespace touchstone
