// Who may read an opening (ledger/provenance/opening_access.h): the signed
// request's exact message, its window and origin binding, and each reader the
// rules allow or refuse, over participants held in a map.
#include "ledger/provenance/opening_access.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/log/keys.h"

namespace touchstone {
namespace {

constexpr char kOrigin[] = "touchstone.test/openings";
constexpr int64_t kNow = int64_t{1'750'000'000} * 1'000'000;

// Participants by id, with one key each; a ParticipantLookup over them.
class OpeningAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Add("refiner", v1::ROLE_REFINER);
    Add("cutter", v1::ROLE_CUTTER);
    Add("competitor", v1::ROLE_REFINER);
    Add("auditor", v1::ROLE_AUDITOR);
  }

  void Add(const std::string& id, v1::Role role) {
    keys_.emplace(id, PrivateKey::Generate().value());
    v1::ParticipantState p;
    p.set_participant_id(id);
    p.add_roles(role);
    v1::KeyState* k = p.add_keys();
    k->set_key_id(keys_.at(id).public_key().Fingerprint());
    k->set_ed25519(keys_.at(id).public_key().raw());
    states_[id] = p;
  }

  ParticipantLookup Lookup() const {
    return [this](std::string_view id) -> absl::StatusOr<v1::ParticipantState> {
      auto it = states_.find(std::string(id));
      if (it == states_.end()) return absl::NotFoundError(absl::StrCat("no participant"));
      return it->second;
    };
  }

  // A request by `who` to read the opening at `index`, signed now for kOrigin.
  ReadRequest Request(const std::string& who, uint64_t index, int64_t micros = kNow,
                      std::string_view origin = kOrigin) const {
    return SignReadRequest(keys_.at(who), origin, who, OpeningWhat(index), micros);
  }

  // A sealed shipment by the refiner to the cutter, as opened.
  static v1::Record Shipment() {
    v1::Record r;
    r.set_record_id("ship-1");
    r.set_signer("refiner");
    r.set_key_id("0123456789abcdef");
    r.mutable_custody_shipped()->set_shipment_id("s-1");
    r.mutable_custody_shipped()->set_lot_id("lot-1");
    r.mutable_custody_shipped()->set_to_participant("cutter");
    r.mutable_sealed()->set_commitment(std::string(32, 'c'));
    return r;
  }

  ReadDecision Decide(const ReadRequest& request, const v1::Record& record = Shipment(),
                      uint64_t index = 7) const {
    return DecideOpeningRead(request, kOrigin, index, record, kNow, Lookup()).value();
  }

  std::map<std::string, PrivateKey> keys_;
  std::map<std::string, v1::ParticipantState> states_;
};

TEST_F(OpeningAccessTest, RequestMessageIsTheSpecifiedBytes) {
  EXPECT_EQ(ReadRequestMessage("log.example/a", "cutter", "0123456789abcdef", "opening 42",
                               1750000000123456),
            "touchstone-read/v1\nlog.example/a\ncutter\n0123456789abcdef\nopening 42\n"
            "1750000000123456\n");
  EXPECT_EQ(OpeningWhat(42), "opening 42");
  EXPECT_EQ(kOpeningReadsWhat, "reads");
  const ReadRequest r = SignReadRequest(keys_.at("cutter"), "log.example/a", "cutter",
                                        OpeningWhat(42), 1750000000123456);
  EXPECT_EQ(r.key_id, keys_.at("cutter").public_key().Fingerprint());
  EXPECT_TRUE(keys_.at("cutter").public_key().Verify(
      ReadRequestMessage("log.example/a", "cutter", r.key_id, "opening 42", 1750000000123456),
      r.signature));
}

TEST_F(OpeningAccessTest, CounterpartiesAreTheShipmentsReceiver) {
  EXPECT_EQ(Counterparties(Shipment()), std::vector<std::string>{"cutter"});
  v1::Record lot;
  lot.mutable_lot_created()->set_lot_id("lot-1");
  EXPECT_TRUE(Counterparties(lot).empty());
}

TEST_F(OpeningAccessTest, SignerMayRead) {
  const ReadDecision d = Decide(Request("refiner", 7));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.why, "signer");
}

TEST_F(OpeningAccessTest, CounterpartyMayRead) {
  const ReadDecision d = Decide(Request("cutter", 7));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.why, "counterparty");
}

TEST_F(OpeningAccessTest, AuditorMayRead) {
  const ReadDecision d = Decide(Request("auditor", 7));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.why, "auditor");
}

TEST_F(OpeningAccessTest, CompetitorIsRefused) {
  const ReadDecision d = Decide(Request("competitor", 7));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.why, "not the signer, a counterparty or an auditor");
}

TEST_F(OpeningAccessTest, CounterpartyOfTheSealedValueOnlyCountsOnceOpened) {
  // The public part of a sealed shipment names nobody: the receiver is committed.
  v1::Record public_part = Shipment();
  public_part.mutable_custody_shipped()->clear_to_participant();
  EXPECT_FALSE(Decide(Request("cutter", 7), public_part).allowed);
}

TEST_F(OpeningAccessTest, StaleOrFutureTimeIsRefused) {
  EXPECT_TRUE(Decide(Request("refiner", 7, kNow - kReadRequestWindowMicros)).allowed);
  EXPECT_TRUE(Decide(Request("refiner", 7, kNow + kReadRequestWindowMicros)).allowed);
  const ReadDecision stale = Decide(Request("refiner", 7, kNow - kReadRequestWindowMicros - 1));
  EXPECT_FALSE(stale.allowed);
  EXPECT_EQ(stale.why, "request time outside the window");
  EXPECT_FALSE(Decide(Request("refiner", 7, kNow + kReadRequestWindowMicros + 1)).allowed);
  // Extremes do not overflow into the window.
  EXPECT_FALSE(Decide(Request("refiner", 7, INT64_MIN)).allowed);
  EXPECT_FALSE(Decide(Request("refiner", 7, INT64_MAX)).allowed);
}

TEST_F(OpeningAccessTest, RequestForAnotherOriginIsRefused) {
  const ReadDecision d = Decide(Request("refiner", 7, kNow, "touchstone.test/other"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.why, "signature does not verify");
}

TEST_F(OpeningAccessTest, RequestForAnotherIndexIsRefused) {
  EXPECT_FALSE(Decide(Request("refiner", 8), Shipment(), 7).allowed);
}

TEST_F(OpeningAccessTest, RevokedKeyIsRefused) {
  states_["refiner"].mutable_keys(0)->set_revoked(true);
  const ReadDecision d = Decide(Request("refiner", 7));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.why, "revoked key");
}

TEST_F(OpeningAccessTest, SuspendedReaderIsRefused) {
  states_["auditor"].set_suspended(true);
  EXPECT_FALSE(Decide(Request("auditor", 7)).allowed);
}

TEST_F(OpeningAccessTest, TamperedSignatureIsRefused) {
  ReadRequest r = Request("refiner", 7);
  r.signature[5] ^= 1;
  const ReadDecision d = Decide(r);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.why, "signature does not verify");
  // Another key of the same name, or a request claiming another reader, fails the same way.
  ReadRequest claimed = Request("competitor", 7);
  claimed.reader = "refiner";
  claimed.key_id = keys_.at("refiner").public_key().Fingerprint();
  EXPECT_FALSE(Decide(claimed).allowed);
}

TEST_F(OpeningAccessTest, UnknownReaderOrKeyIsRefused) {
  ReadRequest r = Request("refiner", 7);
  r.key_id = "ffffffffffffffff";
  EXPECT_EQ(Decide(r).why, "unknown key");
  r = Request("refiner", 7);
  r.reader = "nobody";
  EXPECT_EQ(Decide(r).why, "unknown reader");
  r = Request("refiner", 7);
  r.reader = "refiner\nx";
  EXPECT_EQ(Decide(r).why, "malformed reader or key id");
}

TEST_F(OpeningAccessTest, ReadsRequestIsNotAnOpeningRequest) {
  // A request to list reads cannot be replayed to read an opening, and back.
  ReadRequest reads =
      SignReadRequest(keys_.at("refiner"), kOrigin, "refiner", kOpeningReadsWhat, kNow);
  EXPECT_FALSE(Decide(reads).allowed);
  EXPECT_TRUE(AuthenticateReadRequest(reads, kOrigin, kOpeningReadsWhat, kNow, Lookup())->allowed);
  EXPECT_FALSE(
      AuthenticateReadRequest(Request("refiner", 7), kOrigin, kOpeningReadsWhat, kNow, Lookup())
          ->allowed);
}

TEST_F(OpeningAccessTest, LookupErrorsOtherThanNotFoundAreErrors) {
  ParticipantLookup broken = [](std::string_view) -> absl::StatusOr<v1::ParticipantState> {
    return absl::UnavailableError("disk");
  };
  EXPECT_EQ(DecideOpeningRead(Request("refiner", 7), kOrigin, 7, Shipment(), kNow, broken)
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(OpeningAccessTest, EveryRefusalIsOneMessage) {
  EXPECT_EQ(OpeningReadDenied().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(OpeningReadDenied().message(), "not allowed to read this opening");
}

}  // namespace
}  // namespace touchstone
