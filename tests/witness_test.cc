// Tests of the tlog-witness logic: a witness cosigns a growing log given valid
// consistency proofs, its cosignatures verify, and it refuses forks, rewinds, a
// stale old size (409 with its size), other keys and unknown logs; its state
// survives a restart.
#include "ledger/witness.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/log/compact_range.h"
#include "ledger/log/cosignature.h"
#include "ledger/log/merkle.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Kind = AddCheckpointResult::Kind;

constexpr char kOrigin[] = "test.example/log";

// A small in-memory log whose leaves are "<prefix><i>", signed by `signer`.
struct Log {
  Log(const NoteSigner& signer, const std::string& prefix, uint64_t n) : signer(signer) {
    Grow(prefix, n);
  }
  void Grow(const std::string& prefix, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      std::vector<NewNode> made;
      range.Append(LeafHash(prefix + std::to_string(range.size())), &made);
      for (const NewNode& m : made) nodes[{m.level, m.index}] = m.hash;
    }
  }
  Checkpoint At(uint64_t size) const {
    return Checkpoint{signer.name(), size, RootFromNodes(size, Reader()).value(), {}};
  }
  std::string Note(uint64_t size) const { return signer.Sign(At(size).ToText()).value(); }
  std::vector<Hash> Proof(uint64_t from, uint64_t to) const {
    if (from == 0 || from == to) return {};
    return ConsistencyProof(from, to, Reader()).value();
  }
  // The add-checkpoint body from `old` to `size`.
  std::string Body(uint64_t old, uint64_t size) const {
    return AddCheckpointRequest{old, Proof(old, size), Note(size)}.ToText();
  }
  NodeReader Reader() const {
    return [this](int level, uint64_t index) -> absl::StatusOr<Hash> {
      auto it = nodes.find({level, index});
      if (it == nodes.end()) return absl::NotFoundError("no node");
      return it->second;
    };
  }
  const NoteSigner& signer;
  CompactRange range;
  std::map<std::pair<int, uint64_t>, Hash> nodes;
};

NoteSigner MakeSigner(const std::string& name) {
  return NoteSigner::Create(name, PrivateKey::Generate().value()).value();
}

NoteVerifier VerifierOf(const NoteSigner& s) {
  return NoteVerifier::Parse(s.VerifierKey()).value();
}

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("witness_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    state_ = (dir_ / "state").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Witness> Start(std::vector<NoteVerifier> logs) {
    auto signer = CosignatureSigner::Create("witness.example/w1", witness_key_).value();
    auto w = Witness::Create(std::move(signer), std::move(logs), state_, [this] { return now_; });
    EXPECT_TRUE(w.ok()) << w.status();
    return std::move(w).value();
  }

  // Checks that `result` cosigned `note` and the cosignature verifies.
  void ExpectCosigned(const Witness& w, const AddCheckpointResult& result,
                      const std::string& note) {
    ASSERT_TRUE(result.ok()) << result.HttpStatus() << " " << result.message;
    EXPECT_EQ(result.HttpStatus(), 200);
    EXPECT_THAT(result.cosignature, StartsWith("\xE2\x80\x94 witness.example/w1 "));
    const NoteVerifier wv = ParseCosignatureVerifier(w.VerifierKey()).value();
    absl::StatusOr<size_t> n = CountCosignatures(note + result.cosignature, {wv});
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n, 1u);
    EXPECT_EQ(w.signer().Verifier().key_id, wv.key_id);
  }

  std::filesystem::path dir_;
  std::string state_;
  PrivateKey witness_key_ = PrivateKey::Generate().value();
  uint64_t now_ = 1700000000;
};

TEST_F(WitnessTest, CosignsAGrowingLogWithValidConsistencyProofs) {
  NoteSigner log_key = MakeSigner(kOrigin);
  Log log(log_key, "a", 40);
  auto w = Start({VerifierOf(log_key)});
  ExpectCosigned(*w, w->AddCheckpoint(log.Body(0, 5)), log.Note(5));
  EXPECT_EQ(w->Latest(kOrigin)->size, 5u);
  ExpectCosigned(*w, w->AddCheckpoint(log.Body(5, 17)), log.Note(17));
  ExpectCosigned(*w, w->AddCheckpoint(log.Body(17, 17)), log.Note(17));  // same tree again
  ExpectCosigned(*w, w->AddCheckpoint(log.Body(17, 40)), log.Note(40));
  EXPECT_EQ(w->Latest(kOrigin)->size, 40u);
  EXPECT_EQ(w->Latest(kOrigin)->root, log.At(40).root);
}

TEST_F(WitnessTest, TheCosignatureIsTimestampedCosignatureV1) {
  NoteSigner log_key = MakeSigner(kOrigin);
  Log log(log_key, "a", 3);
  auto w = Start({VerifierOf(log_key)});
  AddCheckpointResult r = w->AddCheckpoint(log.Body(0, 3));
  ASSERT_TRUE(r.ok()) << r.message;
  // The same line CosignatureLine makes (Ed25519 is deterministic).
  EXPECT_EQ(r.cosignature,
            CosignatureLine("witness.example/w1", witness_key_, now_, log.At(3).ToText()).value());
  // Another timestamp gives another line; a changed text does not verify.
  const NoteVerifier wv = ParseCosignatureVerifier(w->VerifierKey()).value();
  std::string tampered = log.Note(3);
  tampered[0] = 'X';
  EXPECT_FALSE(CountCosignatures(tampered + r.cosignature, {wv}).ok());
  EXPECT_THAT(w->VerifierKey(), StartsWith("witness.example/w1+"));
}

TEST_F(WitnessTest, RefusesAForkAtTheSameSizeAndAtALargerSize) {
  NoteSigner log_key = MakeSigner(kOrigin);
  Log honest(log_key, "a", 40);
  Log forked(log_key, "a", 20);
  forked.Grow("b", 20);  // same first 20 leaves, then others
  auto w = Start({VerifierOf(log_key)});
  ASSERT_TRUE(w->AddCheckpoint(honest.Body(0, 30)).ok());

  AddCheckpointResult same = w->AddCheckpoint(forked.Body(30, 30));
  EXPECT_EQ(same.kind, Kind::kRootMismatch);
  EXPECT_EQ(same.HttpStatus(), 409);
  EXPECT_NE(same.ContentType(), kTlogSizeContentType);  // not a "retry from size" answer
  EXPECT_THAT(same.message, HasSubstr("forked"));

  AddCheckpointResult larger = w->AddCheckpoint(forked.Body(30, 40));  // fork's own proof
  EXPECT_EQ(larger.kind, Kind::kInconsistent);
  EXPECT_EQ(larger.HttpStatus(), 422);
  EXPECT_THAT(larger.message, HasSubstr("does not extend"));

  // A proof that is simply wrong (the honest proof, for the fork's checkpoint).
  AddCheckpointRequest mixed{30, honest.Proof(30, 40), forked.Note(40)};
  EXPECT_EQ(w->AddCheckpoint(mixed).kind, Kind::kInconsistent);
  // No proof at all.
  EXPECT_EQ(w->AddCheckpoint(AddCheckpointRequest{30, {}, honest.Note(40)}).kind,
            Kind::kInconsistent);

  // Nothing changed: the honest log still advances.
  EXPECT_EQ(w->Latest(kOrigin)->root, honest.At(30).root);
  ExpectCosigned(*w, w->AddCheckpoint(honest.Body(30, 40)), honest.Note(40));
  // ...and the fork is refused at that size too.
  EXPECT_EQ(w->AddCheckpoint(forked.Body(40, 40)).kind, Kind::kRootMismatch);
}

TEST_F(WitnessTest, KeepsBothSignedCheckpointsOfAForkAsEvidence) {
  NoteSigner log_key = MakeSigner(kOrigin);
  Log honest(log_key, "a", 30);
  Log forked(log_key, "a", 20);
  forked.Grow("b", 10);
  auto w = Start({VerifierOf(log_key)});
  ASSERT_TRUE(w->AddCheckpoint(honest.Body(0, 30)).ok());
  EXPECT_FALSE(std::filesystem::exists(w->EvidenceDir()));  // nothing refused yet

  AddCheckpointResult r = w->AddCheckpoint(forked.Body(30, 30));
  ASSERT_EQ(r.kind, Kind::kRootMismatch);
  EXPECT_THAT(r.message, HasSubstr("evidence kept in " + w->EvidenceDir() + "/"));
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(w->EvidenceDir())) {
    files.push_back(e.path());
  }
  ASSERT_EQ(files.size(), 1u);
  std::ifstream in(files[0]);
  const std::string evidence((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THAT(evidence, StartsWith("touchstone witness evidence v1\nkind fork\n"));
  EXPECT_THAT(evidence, HasSubstr(absl::StrCat("cosigned 30 ", HashToBase64(honest.At(30).root))));
  // Both notes, each signed by the log's key: the honest one this witness
  // cosigned, and the fork's in the refused request.
  EXPECT_THAT(evidence, HasSubstr(honest.Note(30)));
  EXPECT_THAT(evidence, HasSubstr("request\n" + forked.Body(30, 30)));
  EXPECT_TRUE(VerifyCheckpoint(honest.Note(30), VerifierOf(log_key)).ok());
  EXPECT_TRUE(VerifyCheckpoint(forked.Note(30), VerifierOf(log_key)).ok());
  EXPECT_NE(honest.At(30).root, forked.At(30).root);
}

TEST_F(WitnessTest, RefusesARewindAndAStaleOldSizeWithItsSize) {
  NoteSigner log_key = MakeSigner(kOrigin);
  Log log(log_key, "a", 40);
  auto w = Start({VerifierOf(log_key)});
  ASSERT_TRUE(w->AddCheckpoint(log.Body(0, 30)).ok());

  // A smaller tree, claiming the old size the witness has: old > checkpoint size.
  AddCheckpointResult rewind =
      w->AddCheckpoint(AddCheckpointRequest{30, {}, log.Note(20)}.ToText());
  EXPECT_EQ(rewind.kind, Kind::kOldSizeTooLarge);
  EXPECT_EQ(rewind.HttpStatus(), 400);
  // A smaller tree from an honest-looking old size: 409, the witness is at 30.
  AddCheckpointResult stale = w->AddCheckpoint(log.Body(10, 20));
  EXPECT_EQ(stale.kind, Kind::kStaleOldSize);
  EXPECT_EQ(stale.HttpStatus(), 409);
  EXPECT_EQ(stale.witness_size, 30u);
  EXPECT_EQ(stale.HttpBody(), "30\n");
  EXPECT_EQ(stale.ContentType(), "text/x.tlog.size");
  // A larger tree from a wrong old size (and first contact assumed: old 0).
  EXPECT_EQ(w->AddCheckpoint(log.Body(20, 40)).HttpBody(), "30\n");
  EXPECT_EQ(w->AddCheckpoint(log.Body(0, 40)).HttpBody(), "30\n");
  EXPECT_EQ(w->Latest(kOrigin)->size, 30u);
  // With the right old size it goes on.
  EXPECT_TRUE(w->AddCheckpoint(log.Body(30, 40)).ok());
}

TEST_F(WitnessTest, FirstContactNeedsOldSizeZeroAndNoProof) {
  NoteSigner log_key = MakeSigner(kOrigin);
  Log log(log_key, "a", 10);
  auto w = Start({VerifierOf(log_key)});
  AddCheckpointResult wrong = w->AddCheckpoint(log.Body(4, 10));
  EXPECT_EQ(wrong.kind, Kind::kStaleOldSize);
  EXPECT_EQ(wrong.HttpBody(), "0\n");
  AddCheckpointResult with_proof =
      w->AddCheckpoint(AddCheckpointRequest{0, log.Proof(4, 10), log.Note(10)});
  EXPECT_EQ(with_proof.HttpStatus(), 400);
  EXPECT_FALSE(w->Latest(kOrigin).has_value());
  // A size-0 checkpoint must be the empty tree.
  Checkpoint bogus{kOrigin, 0, LeafHash("x"), {}};
  EXPECT_EQ(w->AddCheckpoint(AddCheckpointRequest{0, {}, log_key.Sign(bogus.ToText()).value()})
                .HttpStatus(),
            422);
  Checkpoint empty{kOrigin, 0, EmptyRoot(), {}};
  EXPECT_TRUE(
      w->AddCheckpoint(AddCheckpointRequest{0, {}, log_key.Sign(empty.ToText()).value()}).ok());
  EXPECT_TRUE(w->AddCheckpoint(log.Body(0, 10)).ok());
}

TEST_F(WitnessTest, RefusesACheckpointSignedByAnotherKeyAndAnUnknownOrigin) {
  NoteSigner log_key = MakeSigner(kOrigin);
  NoteSigner impostor = MakeSigner(kOrigin);  // same name, other key
  NoteSigner other_log = MakeSigner("other.example/log");
  Log log(log_key, "a", 10);
  Log forged(impostor, "a", 10);
  Log unknown(other_log, "a", 10);
  auto w = Start({VerifierOf(log_key)});

  AddCheckpointResult bad = w->AddCheckpoint(forged.Body(0, 10));
  EXPECT_EQ(bad.kind, Kind::kBadSignature);
  EXPECT_EQ(bad.HttpStatus(), 403);
  AddCheckpointResult unk = w->AddCheckpoint(unknown.Body(0, 10));
  EXPECT_EQ(unk.kind, Kind::kUnknownOrigin);
  EXPECT_EQ(unk.HttpStatus(), 404);
  // A tampered checkpoint (size changed after signing) is not signed.
  std::string note = log.Note(10);
  note.replace(note.find("\n10\n"), 4, "\n11\n");
  EXPECT_EQ(w->AddCheckpoint(AddCheckpointRequest{0, {}, note}).HttpStatus(), 403);
  EXPECT_FALSE(w->Latest(kOrigin).has_value());
  // The log's real key still works, and a second key for the same origin is accepted.
  ASSERT_TRUE(w->AddCheckpoint(log.Body(0, 10)).ok());
  w.reset();
  auto w2 = Start({VerifierOf(log_key), VerifierOf(impostor)});
  EXPECT_TRUE(w2->AddCheckpoint(forged.Body(10, 10)).ok());  // same leaves, same tree
}

TEST_F(WitnessTest, MalformedBodiesAre400) {
  NoteSigner log_key = MakeSigner(kOrigin);
  Log log(log_key, "a", 10);
  auto w = Start({VerifierOf(log_key)});
  const std::string note = log.Note(10);
  for (const std::string& body : std::vector<std::string>{
           "", "old 0\n", "old 0\n\n", "old 00\n\n" + note, "old -1\n\n" + note, "old x\n\n" + note,
           "Old 0\n\n" + note, "old 0\nnotbase64!\n\n" + note, "old 0\nAAAA\n\n" + note,
           "old 0\n\n" + log.At(10).ToText(), "old 0\n\n" + note.substr(0, note.size() - 1)}) {
    AddCheckpointResult r = w->AddCheckpoint(body);
    EXPECT_EQ(r.HttpStatus(), 400) << body;
  }
  std::string many = "old 5\n";
  for (int i = 0; i < 64; ++i) many += HashToBase64(LeafHash("x")) + "\n";
  EXPECT_EQ(w->AddCheckpoint(many + "\n" + note).HttpStatus(), 400);
  EXPECT_FALSE(w->Latest(kOrigin).has_value());
}

TEST_F(WitnessTest, StateSurvivesARestart) {
  NoteSigner log_key = MakeSigner(kOrigin);
  NoteSigner log2_key = MakeSigner("second.example/log");
  Log log(log_key, "a", 40);
  Log log2(log2_key, "z", 8);
  Log forked(log_key, "a", 20);
  forked.Grow("b", 20);
  {
    auto w = Start({VerifierOf(log_key), VerifierOf(log2_key)});
    ASSERT_TRUE(w->AddCheckpoint(log.Body(0, 25)).ok());
    ASSERT_TRUE(w->AddCheckpoint(log2.Body(0, 8)).ok());
  }
  {
    auto w = Start({VerifierOf(log_key), VerifierOf(log2_key)});
    ASSERT_TRUE(w->Latest(kOrigin).has_value());
    EXPECT_EQ(w->Latest(kOrigin)->size, 25u);
    EXPECT_EQ(w->Latest(kOrigin)->root, log.At(25).root);
    EXPECT_EQ(w->Latest("second.example/log")->size, 8u);
    // Still refuses the fork and a fresh start after the restart.
    EXPECT_EQ(w->AddCheckpoint(forked.Body(0, 40)).HttpBody(), "25\n");
    EXPECT_EQ(w->AddCheckpoint(forked.Body(25, 40)).HttpStatus(), 422);
    EXPECT_EQ(w->AddCheckpoint(forked.Body(25, 25)).HttpStatus(), 409);
    ASSERT_TRUE(w->AddCheckpoint(log.Body(25, 40)).ok());
  }
  {
    // A witness configured without the second log keeps its state anyway.
    auto w = Start({VerifierOf(log_key)});
    EXPECT_EQ(w->Latest(kOrigin)->size, 40u);
    EXPECT_EQ(w->AddCheckpoint(log2.Body(0, 8)).HttpStatus(), 404);
    ASSERT_TRUE(w->AddCheckpoint(log.Body(40, 40)).ok());
  }
  auto w = Start({VerifierOf(log_key), VerifierOf(log2_key)});
  EXPECT_EQ(w->Latest("second.example/log")->size, 8u);
  // No temporary of the durable replacement is left beside the state file.
  for (const auto& f :
       std::filesystem::directory_iterator(std::filesystem::path(state_).parent_path())) {
    EXPECT_EQ(f.path().string().find(state_ + ".tmp"), std::string::npos) << f.path();
  }
}

TEST_F(WitnessTest, ACorruptStateFileStopsTheWitness) {
  NoteSigner log_key = MakeSigner(kOrigin);
  std::ofstream(state_) << "touchstone-witness-state/v1\n" << kOrigin << " 12 notahash\n";
  auto signer = CosignatureSigner::Create("witness.example/w1", witness_key_).value();
  auto w = Witness::Create(std::move(signer), {VerifierOf(log_key)}, state_);
  EXPECT_EQ(w.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(CosignatureSigner::Create("bad name", witness_key_).ok());
}

TEST_F(WitnessTest, ConcurrentRequestsNeverRollBack) {
  NoteSigner log_key = MakeSigner(kOrigin);
  Log log(log_key, "a", 64);
  auto w = Start({VerifierOf(log_key)});
  ASSERT_TRUE(w->AddCheckpoint(log.Body(0, 1)).ok());
  // Many clients race from size 1 to different sizes: exactly one wins.
  std::vector<std::thread> threads;
  std::atomic<int> won{0};
  for (uint64_t size = 2; size <= 64; ++size) {
    threads.emplace_back([&, size] {
      if (w->AddCheckpoint(log.Body(1, size)).ok()) ++won;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_GT(w->Latest(kOrigin)->size, 1u);
}

}  // namespace
}  // namespace touchstone
