// Tests of the entry byte layout (ledger/log/entry_format.h) and record validation.
#include "ledger/log/entry_format.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/provenance/record.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

TEST(EntryFormatTest, LayoutIsExactlyAsDocumented) {
  Hash prev;
  for (int i = 0; i < 32; ++i) prev[i] = static_cast<uint8_t>(i);
  const std::string e = EncodeEntry(0x0102030405060708, 0x1112131415161718, prev, "REC", "SIG!");
  std::string want("TSE1", 4);
  want += std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  want += std::string("\x11\x12\x13\x14\x15\x16\x17\x18", 8);
  want += HashBytes(prev);
  want += std::string("\x00\x00\x00\x03", 4) + "REC";
  want += std::string("\x00\x04", 2) + "SIG!";
  EXPECT_EQ(e, want);
}

TEST(EntryFormatTest, DecodeRoundTripsEveryField) {
  Hash prev = LeafHash("previous");
  const std::string e = EncodeEntry(42, 1'700'000'000'123'456, prev, "record bytes", "signature");
  auto v = DecodeEntry(e);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->index, 42u);
  EXPECT_EQ(v->recorded_at_micros, 1'700'000'000'123'456);
  EXPECT_EQ(v->prev_leaf_hash, prev);
  EXPECT_EQ(v->record, "record bytes");
  EXPECT_EQ(v->signature, "signature");
}

TEST(EntryFormatTest, DecodeRejectsEveryMalformedEntry) {
  const std::string e = EncodeEntry(1, 2, Hash{}, "record", std::string(64, 's'));
  EXPECT_EQ(DecodeEntry(e.substr(0, e.size() - 1)).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEntry(e + "x").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEntry(e.substr(0, 20)).status().code(), absl::StatusCode::kDataLoss);
  std::string bad_magic = e;
  bad_magic[0] = 'X';
  EXPECT_EQ(DecodeEntry(bad_magic).status().code(), absl::StatusCode::kDataLoss);
  std::string long_record = e;
  long_record[55] = 0x7f;  // record length beyond the entry
  EXPECT_EQ(DecodeEntry(long_record).status().code(), absl::StatusCode::kDataLoss);
}

TEST(EntryFormatTest, ChainLinkChecksIndexAndPredecessor) {
  const std::string first = EncodeEntry(0, 1, Hash{}, "R0", "S");
  const Hash first_leaf = LeafHash(first);
  const std::string second = EncodeEntry(1, 2, first_leaf, "R1", "S");
  const EntryView v0 = DecodeEntry(first).value();
  const EntryView v1 = DecodeEntry(second).value();
  const Hash zeros{};
  EXPECT_TRUE(CheckEntryLink(v0, 0, &zeros).ok());
  EXPECT_TRUE(CheckEntryLink(v1, 1, &first_leaf).ok());
  // Mid-log, the predecessor may be unknown: only the index is checked.
  EXPECT_TRUE(CheckEntryLink(v1, 1, nullptr).ok());

  const absl::Status moved = CheckEntryLink(v1, 2, &first_leaf);
  EXPECT_EQ(moved.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(moved.message(), " says it is entry 1");
  EXPECT_EQ(CheckEntryIndex(v1, 2).message(), " says it is entry 1");

  const absl::Status broken = CheckEntryLink(v1, 1, &zeros);
  EXPECT_EQ(broken.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(broken.message(), ": prev_leaf_hash is not the leaf hash of entry 0");
  EXPECT_EQ(CheckEntryChain(v0, 0, first_leaf).message(),
            ": prev_leaf_hash is not the leaf hash of entry (none: zeros)");
}

TEST(RecordTest, SignatureBindsTheLogsOriginAndIsDomainSeparated) {
  auto key = PrivateKey::Generate().value();
  const PublicKey& pub = key.public_key();
  const std::string sig = SignRecord(key, "log.a/x", "abc");
  // The exact bytes ledger/provenance/record.h documents.
  EXPECT_TRUE(pub.Verify("touchstone.v1 record signature for log\nlog.a/x\nabc", sig));
  EXPECT_EQ(RecordSigningMessage(kOriginBoundRecordSignatures, "log.a/x", "abc"),
            "touchstone.v1 record signature for log\nlog.a/x\nabc");
  EXPECT_FALSE(
      pub.Verify(RecordSigningMessage(kOriginBoundRecordSignatures, "log.b/x", "abc"), sig));
  EXPECT_FALSE(pub.Verify(RecordSigningMessage(kLegacyRecordSignatures, "log.a/x", "abc"), sig));
  EXPECT_FALSE(pub.Verify("abc", sig));
  // The legacy form: the context and the record, no origin.
  const std::string legacy = SignLegacyRecord(key, "abc");
  EXPECT_TRUE(pub.Verify("touchstone.v1 record signature\nabc", legacy));
  EXPECT_FALSE(
      pub.Verify(RecordSigningMessage(kOriginBoundRecordSignatures, "log.a/x", "abc"), legacy));
  // A refusal names the origin checked for, and recognizes the legacy form.
  EXPECT_THAT(SignatureMismatch(pub, kOriginBoundRecordSignatures, "log.b/x", "abc", sig),
              ::testing::HasSubstr("for log 'log.b/x'"));
  EXPECT_THAT(SignatureMismatch(pub, kOriginBoundRecordSignatures, "log.a/x", "abc", legacy),
              ::testing::HasSubstr("signed in the legacy form, without the log's origin"));
}

TEST(RecordTest, ParseRecordRejectsStructuralProblems) {
  auto who = testing::NewIdentity("refiner-1");
  v1::Record ok = testing::LotRecord(who, "r1");
  EXPECT_TRUE(ParseRecord(SerializeRecord(ok)).ok());

  auto with = [&](auto mutate) {
    v1::Record r = ok;
    mutate(r);
    return ParseRecord(SerializeRecord(r)).status().code();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(with([](v1::Record& r) { r.set_record_id(""); }), kInvalid);
  EXPECT_EQ(with([](v1::Record& r) { r.set_record_id("has space"); }), kInvalid);
  EXPECT_EQ(with([](v1::Record& r) { r.set_record_id(std::string(129, 'a')); }), kInvalid);
  EXPECT_EQ(with([](v1::Record& r) { r.set_signer("Upper"); }), kInvalid);
  EXPECT_EQ(with([](v1::Record& r) { r.set_signer("-dash"); }), kInvalid);
  EXPECT_EQ(with([](v1::Record& r) { r.set_key_id("ABCDEF0123456789"); }), kInvalid);
  EXPECT_EQ(with([](v1::Record& r) { r.set_key_id("abc"); }), kInvalid);
  EXPECT_EQ(with([](v1::Record& r) { r.set_event_time_micros(-1); }), kInvalid);
  EXPECT_EQ(with([](v1::Record& r) { r.clear_lot_created(); }), kInvalid);
  // Unknown field 999 (varint 1): a signer cannot smuggle bytes the ledger ignores.
  std::string extra = SerializeRecord(ok) + std::string("\xb8\x3e\x01", 3);
  EXPECT_EQ(ParseRecord(extra).status().code(), kInvalid);
  EXPECT_EQ(ParseRecord(SerializeRecord(ok), 10).status().code(), kInvalid);
}

}  // namespace
}  // namespace touchstone
