// Tests of the storage map (ledger/store/storage_map.h): every key builder
// produces exactly the bytes the store wrote before the map existed (written
// out here as literals), so that logs written by earlier versions still open;
// and the typed state reads (ledger/provenance/state_view.h) built on it.
#include "ledger/store/storage_map.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/provenance/state_view.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;

std::string Bytes(const char* s, size_t n) { return std::string(s, n); }

TEST(StorageMapTest, ColumnFamiliesKeepTheirNamesAndOrder) {
  ASSERT_EQ(std::size(kColumnFamilyNames), size_t{kColumnFamilyCount});
  EXPECT_STREQ(kColumnFamilyNames[kDefaultFamily], "default");
  EXPECT_STREQ(kColumnFamilyNames[kEntriesFamily], "entries");
  EXPECT_STREQ(kColumnFamilyNames[kTreeFamily], "tree");
  EXPECT_STREQ(kColumnFamilyNames[kCheckpointsFamily], "checkpoints");
  EXPECT_STREQ(kColumnFamilyNames[kIndexFamily], "index");
  EXPECT_STREQ(kColumnFamilyNames[kStateFamily], "state");
  EXPECT_STREQ(kColumnFamilyNames[kMetaFamily], "meta");
}

TEST(StorageMapTest, LogKeysAreBigEndianIntegers) {
  EXPECT_EQ(EntryKey(0x0102030405060708), Bytes("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(EntryKey(1), Bytes("\0\0\0\0\0\0\0\x01", 8));
  EXPECT_EQ(CheckpointKey(258), Bytes("\0\0\0\0\0\0\x01\x02", 8));
  EXPECT_EQ(TreeNodeKey(3, 258), Bytes("\x03\0\0\0\0\0\0\x01\x02", 9));
  EXPECT_EQ(TreeNodeKey(0, 0), Bytes("\0\0\0\0\0\0\0\0\0", 9));
  EXPECT_EQ(ParseEntryKey(EntryKey(77)), 77u);
  EXPECT_EQ(ParseCheckpointKey(CheckpointKey(1u << 20)), uint64_t{1} << 20);
  EXPECT_EQ(ParseEntryKey("short"), std::nullopt);
  EXPECT_EQ(DecodeU64Value(EncodeU64(42)), 42u);
  EXPECT_EQ(DecodeU64Value(std::string(9, '\0')), std::nullopt);
}

TEST(StorageMapTest, IndexKeys) {
  Hash h;
  for (int i = 0; i < 32; ++i) h[i] = static_cast<uint8_t>(0xa0 + i);
  EXPECT_EQ(LeafIndexKey(h), "leaf/" + HashBytes(h));
  EXPECT_EQ(LeafIndexKey(h).size(), 5u + 32u);
  EXPECT_EQ(RecordIdKey("grower-1", "lot-7"), Bytes("rid/grower-1\0lot-7", 18));
}

TEST(StorageMapTest, StateKeys) {
  EXPECT_EQ(ParticipantStateKey("refiner"), "participant/refiner");
  EXPECT_EQ(ParticipantStateKeyPrefix(), "participant/");
  EXPECT_EQ(CertificateKey("GIA-1"), "cert/GIA-1");
  EXPECT_EQ(LotKey("lot-1"), "lot/lot-1");
  EXPECT_EQ(PieceKey("ring-1"), "piece/ring-1");
  EXPECT_EQ(ErrorKey(5), Bytes("error/\0\0\0\0\0\0\0\x05", 14));
  EXPECT_EQ(ReportNumberKey("2141438171"), "report/2141438171");
  EXPECT_EQ(InscriptionKey("GIA 2141438171"), "inscription/GIA 2141438171");
  EXPECT_EQ(kCheckpointKeyStateKey, "log/checkpoint_key");
  EXPECT_EQ(kLogPolicyStateKey, "log/policy");
}

TEST(StorageMapTest, MetaKeys) {
  EXPECT_EQ(kTreeSizeMetaKey, "tree_size");
  EXPECT_EQ(kOriginMetaKey, "origin");
  EXPECT_EQ(kCosignedSizeMetaKey, "cosigned_size");
}

TEST(TypedStateReadsTest, FindMissAndCorrupt) {
  MemoryState state;
  v1::PieceState piece;
  piece.set_piece_id("ring-1");
  state.Put(PieceKey("ring-1"), piece.SerializeAsString());
  state.Put(LotKey("bad"), "\xff\xff\xff");
  absl::StatusOr<v1::PieceState> found = ReadPiece(state, "ring-1");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->piece_id(), "ring-1");
  absl::StatusOr<v1::PieceState> missing = ReadPiece(state, "ring-2");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "no piece 'ring-2'");
  EXPECT_EQ(ReadLot(state, "lot-9").status().message(), "no lot 'lot-9'");
  EXPECT_EQ(ReadCertificate(state, "c").status().message(), "no certificate 'c'");
  EXPECT_EQ(ReadParticipant(state, "p").status().message(), "no participant 'p'");
  absl::StatusOr<v1::LotState> corrupt = ReadLot(state, "bad");
  EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(corrupt.status().message(), HasSubstr("stored state 'lot/bad' is corrupt"));
  absl::StatusOr<std::optional<v1::ErrorState>> no_errors = ReadErrorState(state, 3);
  ASSERT_TRUE(no_errors.ok());
  EXPECT_FALSE(no_errors->has_value());
}

}  // namespace
}  // namespace touchstone
