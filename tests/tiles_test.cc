// Tests of the C2SP tlog-tiles export: path encoding, tile layout, an exported
// log that verifies, incremental re-export, and tampering that is named.
#include "ledger/tiles.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/log/checkpoint.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

// The origin of the test log, which record signatures bind.
constexpr char kOrigin[] = "test.example/tiles";

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Identity;
using testing::LotRecord;
using testing::RegisterRecord;
using testing::Signed;
using testing::TempDir;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void FlipByte(const std::string& path, size_t offset) {
  std::string bytes = Slurp(path);
  ASSERT_LT(offset, bytes.size()) << path;
  bytes[offset] ^= 0x01;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

struct FileId {
  ino_t inode;
  int64_t mtime_ns;
  bool operator==(const FileId&) const = default;
};

FileId IdOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return {st.st_ino, static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

TEST(TilesPathTest, EncodesIndexInThreeDigitGroupsAsTheSpecSays) {
  EXPECT_EQ(TileIndexPath(1234067), "x001/x234/067");
  EXPECT_EQ(TileIndexPath(0), "000");
  EXPECT_EQ(TileIndexPath(5), "005");
  EXPECT_EQ(TileIndexPath(999), "999");
  EXPECT_EQ(TileIndexPath(1000), "x001/000");
  EXPECT_EQ(TilePath(0, 1234067, 256), "tile/0/x001/x234/067");
  EXPECT_EQ(TilePath(2, 1234067, 17), "tile/2/x001/x234/067.p/17");
  EXPECT_EQ(TilePath(1, 3, 1), "tile/1/003.p/1");
  EXPECT_EQ(EntryBundlePath(1234067, 256), "tile/entries/x001/x234/067");
  EXPECT_EQ(EntryBundlePath(5, 20), "tile/entries/005.p/20");
}

TEST(TilesPathTest, TreeOf70000HasTheTilesTheSpecLists) {
  std::vector<TileRef> tiles = HashTilesForSize(70000);
  // 273 full level 0 tiles, a partial of 112, a full level 1 tile, a partial of
  // 17, a partial level 2 tile of 1.
  ASSERT_EQ(tiles.size(), 277u);
  for (int i = 0; i < 273; ++i) EXPECT_EQ(tiles[i].width, 256u);
  EXPECT_EQ(tiles[273].Path(), "tile/0/273.p/112");
  EXPECT_EQ(tiles[274].Path(), "tile/1/000");
  EXPECT_EQ(tiles[275].Path(), "tile/1/001.p/17");
  EXPECT_EQ(tiles[276].Path(), "tile/2/000.p/1");
  std::vector<std::string> of256;
  for (const TileRef& t : HashTilesForSize(256)) of256.push_back(t.Path());
  EXPECT_THAT(of256, ElementsAre("tile/0/000", "tile/1/000.p/1"));
  std::vector<std::string> bundles;
  for (const TileRef& t : EntryBundlesForSize(257)) bundles.push_back(t.Path());
  EXPECT_THAT(bundles, ElementsAre("tile/entries/000", "tile/entries/001.p/1"));
}

TEST(TilesPathTest, EntryBundleIsUint16LengthPrefixedEntries) {
  std::vector<std::string> entries = {"ab", "", std::string(300, 'x')};
  std::string bundle = EncodeEntryBundle(entries).value();
  EXPECT_EQ(bundle.substr(0, 4), std::string("\x00\x02"
                                             "ab",
                                             4));
  EXPECT_EQ(bundle.substr(4, 2), std::string("\x00\x00", 2));
  EXPECT_EQ(bundle.substr(6, 2), std::string("\x01\x2c", 2));
  auto decoded = DecodeEntryBundle(bundle).value();
  EXPECT_THAT(decoded, ElementsAre("ab", "", std::string(300, 'x')));
  EXPECT_FALSE(DecodeEntryBundle(bundle.substr(0, bundle.size() - 1)).ok());
  std::vector<std::string> too_long = {std::string(65536, 'x')};
  EXPECT_FALSE(EncodeEntryBundle(too_long).ok());
}

class TilesExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions o;
    o.data_dir = dir_.path() + "/data";
    o.origin = kOrigin;
    ledger_ = Ledger::Open(o).value();
    op_ = Identity{"operator", PrivateKey::LoadPemFile(o.data_dir + "/operator.pem").value()};
    refiner_ = testing::NewIdentity("refiner");
    auto [bytes, sig] =
        Signed(op_, RegisterRecord(op_, refiner_, v1::ROLE_REFINER, "reg-refiner"), kOrigin);
    ASSERT_TRUE(ledger_->Submit(bytes, sig).ok());
    AppendLots(1000 - ledger_->Size());
    ASSERT_EQ(ledger_->Size(), 1000u);
  }

  void AppendLots(uint64_t n) {
    std::vector<std::pair<std::string, std::string>> batch;
    for (uint64_t i = 0; i < n; ++i) {
      batch.push_back(
          Signed(refiner_, LotRecord(refiner_, absl::StrCat("lot-", next_lot_++)), kOrigin));
    }
    auto results = ledger_->SubmitBatch(std::move(batch));
    ASSERT_TRUE(results.ok()) << results.status();
    for (const auto& r : *results) ASSERT_TRUE(r.ok()) << r.status();
  }

  std::string Out() const { return dir_.path() + "/tiles"; }
  std::string At(const std::string& rel) const { return Out() + "/" + rel; }

  TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
  Identity op_{"", PrivateKey::Generate().value()};
  Identity refiner_{"", PrivateKey::Generate().value()};
  uint64_t next_lot_ = 0;
};

TEST_F(TilesExportTest, ExportedTilesHoldTheTreeNodesAndVerify) {
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  auto report = ExportTiles(ledger_->store(), Out(), [&](uint64_t done, uint64_t total) {
    progress.emplace_back(done, total);
  });
  ASSERT_TRUE(report.ok()) << report.status();
  // One progress call per bundle and tile (9 here), counting up to the total.
  ASSERT_EQ(progress.size(), 9u);
  for (size_t i = 0; i < progress.size(); ++i) {
    EXPECT_EQ(progress[i], std::make_pair(uint64_t{i + 1}, uint64_t{9}));
  }
  EXPECT_EQ(report->size, 1000u);
  EXPECT_EQ(report->unchanged, 0u);
  EXPECT_THAT(report->written,
              ElementsAre("tile/entries/000", "tile/entries/001", "tile/entries/002",
                          "tile/entries/003.p/232", "tile/0/000", "tile/0/001", "tile/0/002",
                          "tile/0/003.p/232", "tile/1/000.p/3", "checkpoint"));
  EXPECT_EQ(Slurp(At("checkpoint")), ledger_->LatestCheckpoint().second);

  for (const TileRef& t : HashTilesForSize(1000)) {
    std::string tile = Slurp(At(t.Path()));
    ASSERT_EQ(tile.size(), t.width * 32) << t.Path();
    for (uint64_t i = 0; i < t.width; ++i) {
      Hash node = ledger_->store().GetNode(t.level * 8, t.index * 256 + i).value();
      ASSERT_EQ(tile.substr(i * 32, 32), HashBytes(node)) << t.Path() << " hash " << i;
    }
  }
  const std::string bundle = Slurp(At("tile/entries/003.p/232"));
  std::vector<std::string_view> entries = DecodeEntryBundle(bundle).value();
  ASSERT_EQ(entries.size(), 232u);
  EXPECT_EQ(entries[0], ledger_->GetEntry(768).value());
  EXPECT_EQ(entries[231], ledger_->GetEntry(999).value());

  auto verified = VerifyTilesDir(Out(), ledger_->verifier());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->size, 1000u);
  EXPECT_EQ(verified->entries, 1000u);
  EXPECT_EQ(verified->bundles, 4u);
  EXPECT_EQ(verified->tiles, 5u);
  EXPECT_EQ(verified->origin, "test.example/tiles");
}

TEST_F(TilesExportTest, ReExportRewritesOnlyWhatChanged) {
  ASSERT_TRUE(ExportTiles(ledger_->store(), Out()).ok());
  const FileId full_tile = IdOf(At("tile/0/001"));
  const FileId full_bundle = IdOf(At("tile/entries/002"));

  auto again = ExportTiles(ledger_->store(), Out());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->unchanged, 6u);
  EXPECT_THAT(again->written, ElementsAre("tile/entries/003.p/232", "tile/0/003.p/232",
                                          "tile/1/000.p/3", "checkpoint"));

  AppendLots(300);
  ASSERT_EQ(ledger_->Size(), 1300u);
  auto grown = ExportTiles(ledger_->store(), Out());
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_EQ(grown->size, 1300u);
  EXPECT_EQ(grown->unchanged, 6u);
  EXPECT_THAT(grown->written, ElementsAre("tile/entries/003", "tile/entries/004",
                                          "tile/entries/005.p/20", "tile/0/003", "tile/0/004",
                                          "tile/0/005.p/20", "tile/1/000.p/5", "checkpoint"));
  EXPECT_EQ(IdOf(At("tile/0/001")), full_tile);
  EXPECT_EQ(IdOf(At("tile/entries/002")), full_bundle);
  EXPECT_EQ(Slurp(At("checkpoint")), ledger_->LatestCheckpoint().second);

  auto verified = VerifyTilesDir(Out(), ledger_->verifier());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->entries, 1300u);
}

TEST_F(TilesExportTest, TamperingIsFoundAndNamed) {
  struct Case {
    std::string file;
    size_t offset;
    std::string want;  // in the error message
  };
  const std::vector<Case> cases = {
      {"tile/0/001", 32 * 7 + 3, "tile/0/001: hash 7 (tree node height 0 index 263)"},
      {"tile/0/003.p/232", 32 * 231, "tile/0/003.p/232: hash 231"},
      {"tile/1/000.p/3", 32 * 2 + 31, "tile/1/000.p/3: hash 2 (tree node height 8 index 2)"},
      // The first byte of entry 768's magic: it no longer decodes.
      {"tile/entries/003.p/232", 2, "tile/entries/003.p/232: entry 768: "},
      {"checkpoint", 0, "checkpoint: "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    std::filesystem::remove_all(Out());
    ASSERT_TRUE(ExportTiles(ledger_->store(), Out()).ok());
    ASSERT_TRUE(VerifyTilesDir(Out(), ledger_->verifier()).ok());
    FlipByte(At(c.file), c.offset);
    auto verified = VerifyTilesDir(Out(), ledger_->verifier());
    ASSERT_FALSE(verified.ok());
    EXPECT_THAT(std::string(verified.status().message()), HasSubstr(c.want));
  }

  // An entry's last byte: its leaf hash changes, so the next entry's chain link breaks.
  std::filesystem::remove_all(Out());
  ASSERT_TRUE(ExportTiles(ledger_->store(), Out()).ok());
  std::string bundle = Slurp(At("tile/entries/001"));
  std::vector<std::string_view> entries = DecodeEntryBundle(bundle).value();
  const size_t end_of_entry_10 = (entries[10].data() - bundle.data()) + entries[10].size();
  FlipByte(At("tile/entries/001"), end_of_entry_10 - 1);
  auto verified = VerifyTilesDir(Out(), ledger_->verifier());
  ASSERT_FALSE(verified.ok());
  EXPECT_THAT(std::string(verified.status().message()),
              HasSubstr("tile/entries/001: entry 267: prev_leaf_hash"));

  // And the last entry of the log: only the level 0 tile shows it.
  std::filesystem::remove_all(Out());
  ASSERT_TRUE(ExportTiles(ledger_->store(), Out()).ok());
  FlipByte(At("tile/entries/003.p/232"), Slurp(At("tile/entries/003.p/232")).size() - 1);
  verified = VerifyTilesDir(Out(), ledger_->verifier());
  ASSERT_FALSE(verified.ok());
  EXPECT_THAT(std::string(verified.status().message()),
              HasSubstr("tile/0/003.p/232: hash 231 (tree node height 0 index 999) is not the "
                        "leaf hash of entry 999 in tile/entries/003.p/232"));
}

TEST_F(TilesExportTest, AnotherLogsKeyDoesNotVerify) {
  ASSERT_TRUE(ExportTiles(ledger_->store(), Out()).ok());
  NoteSigner other =
      NoteSigner::Create("test.example/tiles", PrivateKey::Generate().value()).value();
  auto verified = VerifyTilesDir(Out(), NoteVerifier::Parse(other.VerifierKey()).value());
  ASSERT_FALSE(verified.ok());
  EXPECT_THAT(std::string(verified.status().message()), HasSubstr("checkpoint: "));
}

TEST_F(TilesExportTest, MissingTileIsNamed) {
  ASSERT_TRUE(ExportTiles(ledger_->store(), Out()).ok());
  std::filesystem::remove(At("tile/0/002"));
  auto verified = VerifyTilesDir(Out(), ledger_->verifier());
  ASSERT_FALSE(verified.ok());
  EXPECT_THAT(std::string(verified.status().message()), HasSubstr("tile/0/002"));
}

}  // namespace
}  // namespace touchstone
