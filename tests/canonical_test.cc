// The one encoding the ledger accepts (ledger/provenance/canonical.h): the shared vectors in
// tests/testdata/canonical_encoding.json, which the page's verifier must read
// with the same verdict and words (tests/browser/verify_test.mjs), and the
// ledger refusing a record in any other encoding, naming the first offence.
#include "ledger/provenance/canonical.h"

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/audit.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/log_mirror.h"
#include "ledger/provenance/record.h"
#include "nlohmann/json.hpp"
#include "proto/record.pb.h"
#include "tests/support/fake_log.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;

nlohmann::json Vectors() {
  std::ifstream in(TOUCHSTONE_CANONICAL_VECTORS);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

TEST(CanonicalTest, EveryVectorGetsItsVerdictAndWords) {
  const nlohmann::json vectors = Vectors()["vectors"];
  ASSERT_GE(vectors.size(), 15u);
  for (const auto& v : vectors) {
    const std::string bytes = absl::HexStringToBytes(v["hex"].get<std::string>());
    const absl::Status s = CheckCanonicalEncoding(*v1::Record::descriptor(), bytes);
    const std::string want = v["error"];
    if (want.empty()) {
      EXPECT_TRUE(s.ok()) << v["name"] << ": " << s;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << v["name"];
      EXPECT_EQ(s.message(), want) << v["name"];
    }
  }
}

TEST(CanonicalTest, WhatTheWalkAcceptsIsWhatProtobufWritesAgain) {
  // Every vector the walk accepts re-serializes to its own bytes. The
  // document is held in a local: a range-for over a member of a temporary
  // reads freed memory.
  const nlohmann::json vectors = Vectors()["vectors"];
  for (const auto& v : vectors) {
    if (!v["error"].get<std::string>().empty()) continue;
    const std::string bytes = absl::HexStringToBytes(v["hex"].get<std::string>());
    v1::Record r;
    ASSERT_TRUE(r.ParseFromString(bytes)) << v["name"];
    EXPECT_TRUE(CheckReserializesTo(r, bytes).ok()) << v["name"];
  }
}

v1::Record Repaired() {
  v1::Record r;
  r.set_record_id("repair-1");
  r.set_signer("jeweler-1");
  r.set_key_id("0123456789abcdef");
  r.set_event_time_micros(1'700'000'000'000'000);
  r.mutable_piece_lifecycle()->set_piece_id("RING-1");
  r.mutable_piece_lifecycle()->set_event(v1::PIECE_EVENT_REPAIRED);
  return r;
}

TEST(CanonicalTest, ParseRecordRefusesTheTwoBodyForgeryNamingBothBodies) {
  // The forgery of issue 12: a fake registration (field 24) written before a
  // genuine repair (field 25). Protobuf's parser keeps the last body; a decoder
  // that keeps the first would read a registration.
  v1::PieceRegistered fake;
  fake.set_piece_id("RING-1");
  fake.set_description("1.00 ct NATURAL diamond, recycled gold");
  fake.add_claims(v1::CLAIM_RECYCLED_METAL);
  fake.add_claims(v1::CLAIM_NATURAL_DIAMONDS);
  const std::string genuine = SerializeRecord(Repaired());
  // Insert field 24 (key 0xc2 0x01) just before field 25 (key 0xca 0x01).
  const size_t at = genuine.find("\xca\x01");
  ASSERT_NE(at, std::string::npos);
  const std::string body = fake.SerializeAsString();
  const std::string forged = genuine.substr(0, at) + "\xc2\x01" + static_cast<char>(body.size()) +
                             body + genuine.substr(at);
  v1::Record lenient;
  ASSERT_TRUE(lenient.ParseFromString(forged));  // protobuf itself takes it
  EXPECT_TRUE(lenient.has_piece_lifecycle());
  absl::StatusOr<v1::Record> parsed = ParseRecord(forged);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(),
              HasSubstr("fields piece_registered (24) and piece_lifecycle (25) of oneof body "
                        "are both set"));
  EXPECT_TRUE(ParseRecord(genuine).ok());
}

TEST(CanonicalTest, TheReserializationBackstopNamesTheFirstDifferingByte) {
  // ParseRecord's second check, behind the walk: the bytes must be what the
  // parsed record serializes to ("repair-1" vs "repair-2": byte 2 + 7).
  v1::Record r = Repaired();
  const std::string bytes = SerializeRecord(r);
  r.set_record_id("repair-2");
  const absl::Status s = CheckReserializesTo(r, bytes);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("first difference at byte 9"));
}

// What the walk accepts, protobuf parses and writes again byte for byte.
void ExpectAcceptedOnlyIfCanonical(const std::string& bytes) {
  if (!CheckCanonicalEncoding(*v1::Record::descriptor(), bytes).ok()) return;
  v1::Record r;
  ASSERT_TRUE(r.ParseFromString(bytes)) << absl::BytesToHexString(bytes);
  EXPECT_TRUE(CheckReserializesTo(r, bytes).ok()) << absl::BytesToHexString(bytes);
}

TEST(CanonicalTest, EveryTruncationAndByteChangeIsJudgedAsProtobufWouldWriteIt) {
  const std::string bytes = SerializeRecord(Repaired());
  int accepted = 0;
  for (size_t n = 0; n <= bytes.size(); ++n) {
    ExpectAcceptedOnlyIfCanonical(bytes.substr(0, n));
    accepted += CheckCanonicalEncoding(*v1::Record::descriptor(), bytes.substr(0, n)).ok();
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int b = 0; b < 256; ++b) {
      std::string changed = bytes;
      changed[i] = static_cast<char>(b);
      ExpectAcceptedOnlyIfCanonical(changed);
    }
  }
  // The empty prefix, the whole record and the prefixes that end between
  // fields (each a smaller canonical record) are the only ones accepted.
  EXPECT_GE(accepted, 3);
  EXPECT_LT(accepted, static_cast<int>(bytes.size()) / 2);
}

TEST(CanonicalTest, TheAuditListsAStoredNonCanonicalEntryByIndexAndEveryBundleWithItFails) {
  // A log written before the ledger checked encodings may hold a record whose
  // bytes parse to a valid record but are not its canonical encoding: here
  // entry 2 carries its record_id a second time, after the body.
  testing::FakeLog log;
  log.Register(testing::NewIdentity("refiner-1"), {v1::ROLE_REFINER});
  v1::Record r;
  auto* p = r.mutable_participant_registered();
  p->set_participant_id("refiner-2");
  p->set_legal_name("Refiner Two");
  p->add_roles(v1::ROLE_REFINER);
  p->add_keys()->set_ed25519(testing::NewIdentity("refiner-2").key.public_key().raw());
  const std::string record_id = std::string("\x0a\x06", 2) + "fake-2";
  ASSERT_EQ(log.AppendForged(log.op(), r, {.extra = record_id}), 2u);

  absl::StatusOr<std::unique_ptr<LogMirror>> mirror = LogMirror::Create();
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  for (uint64_t i = 0; i < log.size(); ++i) ASSERT_TRUE((*mirror)->Append(log.entry(i)).ok());
  ASSERT_TRUE((*mirror)->Flush().ok());
  absl::StatusOr<AuditReport> report =
      AuditMirror((*mirror)->store(), log.Checkpoint(), log.verifier(), AuditOptions());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->non_canonical,
              ::testing::ElementsAre(
                  "entry 2: non-canonical encoding: Record: record_id (1) comes after "
                  "participant_registered (11); fields must be in increasing number order"));

  absl::StatusOr<BundleReport> verified = VerifyPieceBundle(log.Bundle("any"), log.verifier());
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(rule::RuleOf(verified.status()), "encoding");
  EXPECT_THAT(verified.status().message(), HasSubstr("entry 2: record does not parse"));
}

}  // namespace
}  // namespace touchstone
