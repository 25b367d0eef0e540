// micro_bench: Google Benchmark micro-benchmarks of the pieces of an append and
// of a receipt: leaf and node hashing, entry encoding, record parsing, Ed25519,
// checkpoint notes, Merkle proof generation (from memory and from RocksDB) and
// verification, the node cache, and the provenance rules of one record.
// Single-threaded; see bench/README.md. Run with --benchmark_min_time=0.2 for a quick pass.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "ledger/ledger.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/compact_range.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/hash.h"
#include "ledger/log/keys.h"
#include "ledger/log/merkle.h"
#include "ledger/log/note.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/registry.h"
#include "ledger/provenance/rules.h"
#include "ledger/provenance/state_view.h"
#include "ledger/scrub.h"
#include "ledger/store/node_cache.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using testing::Identity;

// A 700-byte LotCreated, as append_bench sends.
v1::Record Record700(const Identity& who, const std::string& id) {
  v1::Record r = testing::LotRecord(who, id);
  const size_t size = SerializeRecord(r).size();
  if (size < 700) r.mutable_lot_created()->mutable_note()->append(700 - size, 'n');
  return r;
}

const Identity& Signer() {
  static const Identity* who = new Identity(testing::NewIdentity("refiner"));
  return *who;
}

// ---------------------------------------------------------------- hashing, encoding

void BM_LeafHash(benchmark::State& state) {
  const std::string entry(state.range(0), 'e');
  for (auto _ : state) benchmark::DoNotOptimize(LeafHash(entry));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LeafHash)->Arg(64)->Arg(820)->Arg(4096);

void BM_NodeHash(benchmark::State& state) {
  Hash a = Sha256("a"), b = Sha256("b");
  for (auto _ : state) {
    a = NodeHash(a, b);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_NodeHash);

void BM_EncodeEntry(benchmark::State& state) {
  const auto [bytes, sig] = testing::Signed(Signer(), Record700(Signer(), "r1"), kDefaultOrigin);
  const Hash prev = Sha256("prev");
  for (auto _ : state)
    benchmark::DoNotOptimize(EncodeEntry(12345, 1700000000000000, prev, bytes, sig));
}
BENCHMARK(BM_EncodeEntry);

void BM_DecodeEntry(benchmark::State& state) {
  const auto [bytes, sig] = testing::Signed(Signer(), Record700(Signer(), "r1"), kDefaultOrigin);
  const std::string entry = EncodeEntry(12345, 1700000000000000, Sha256("prev"), bytes, sig);
  for (auto _ : state) benchmark::DoNotOptimize(DecodeEntry(entry));
}
BENCHMARK(BM_DecodeEntry);

void BM_ParseRecord700(benchmark::State& state) {
  const std::string bytes = SerializeRecord(Record700(Signer(), "r1"));
  for (auto _ : state) benchmark::DoNotOptimize(ParseRecord(bytes, kDefaultMaxRecordBytes));
}
BENCHMARK(BM_ParseRecord700);

// ---------------------------------------------------------------- signatures, notes

void BM_Ed25519Sign(benchmark::State& state) {
  const std::string msg = RecordSigningMessage(kOriginBoundRecordSignatures, kDefaultOrigin,
                                               SerializeRecord(Record700(Signer(), "r1")));
  for (auto _ : state) benchmark::DoNotOptimize(Signer().key.Sign(msg));
}
BENCHMARK(BM_Ed25519Sign);

void BM_Ed25519Verify(benchmark::State& state) {
  const auto [bytes, sig] = testing::Signed(Signer(), Record700(Signer(), "r1"), kDefaultOrigin);
  const std::string msg = RecordSigningMessage(kOriginBoundRecordSignatures, kDefaultOrigin, bytes);
  const PublicKey& key = Signer().key.public_key();
  for (auto _ : state) {
    if (!key.Verify(msg, sig)) state.SkipWithError("verify failed");
  }
}
BENCHMARK(BM_Ed25519Verify);

void BM_CheckpointSign(benchmark::State& state) {
  const NoteSigner signer = NoteSigner::Create("bench.example/log", Signer().key).value();
  const Checkpoint cp{
      .origin = "bench.example/log", .size = 10'000'000, .root = Sha256("root"), .extensions = {}};
  for (auto _ : state) benchmark::DoNotOptimize(signer.Sign(cp.ToText()));
}
BENCHMARK(BM_CheckpointSign);

void BM_CheckpointVerify(benchmark::State& state) {
  const NoteSigner signer = NoteSigner::Create("bench.example/log", Signer().key).value();
  const NoteVerifier verifier = NoteVerifier::Parse(signer.VerifierKey()).value();
  const Checkpoint cp{
      .origin = "bench.example/log", .size = 10'000'000, .root = Sha256("root"), .extensions = {}};
  const std::string note = signer.Sign(cp.ToText()).value();
  for (auto _ : state) {
    if (!VerifyCheckpoint(note, verifier).ok()) state.SkipWithError("verify failed");
  }
}
BENCHMARK(BM_CheckpointVerify);

// What a served proof's check adds besides hashing: reading the root out of
// the checkpoint note it is served with (no signature check).
void BM_ParseCheckpointNote(benchmark::State& state) {
  const NoteSigner signer = NoteSigner::Create("bench.example/log", Signer().key).value();
  const Checkpoint cp{
      .origin = "bench.example/log", .size = 10'000'000, .root = Sha256("root"), .extensions = {}};
  const std::string note = signer.Sign(cp.ToText()).value();
  for (auto _ : state) benchmark::DoNotOptimize(ParseCheckpointNote(note));
}
BENCHMARK(BM_ParseCheckpointNote);

// ---------------------------------------------------------------- Merkle proofs

// Every complete node of a tree of `size` leaves, in memory.
struct MemoryTree {
  explicit MemoryTree(uint64_t size) {
    CompactRange range;
    std::vector<NewNode> nodes;
    for (uint64_t i = 0; i < size; ++i) {
      nodes.clear();
      range.Append(LeafHash(std::to_string(i)), &nodes);
      for (const NewNode& n : nodes) {
        if (levels.size() <= static_cast<size_t>(n.level)) levels.resize(n.level + 1);
        levels[n.level].push_back(n.hash);
      }
    }
    root = range.Root();
  }
  NodeReader Reader() const {
    return
        [this](int level, uint64_t index) -> absl::StatusOr<Hash> { return levels[level][index]; };
  }
  std::vector<std::vector<Hash>> levels;
  Hash root;
};

const MemoryTree& Tree() {
  static const MemoryTree* tree = new MemoryTree(1'000'003);
  return *tree;
}

void BM_InclusionProofFromMemory(benchmark::State& state) {
  const MemoryTree& tree = Tree();
  const uint64_t size = tree.levels[0].size();
  const NodeReader read = tree.Reader();
  uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(InclusionProof(i, size, read));
    i = (i + 7919) % size;
  }
}
BENCHMARK(BM_InclusionProofFromMemory);

void BM_VerifyInclusion(benchmark::State& state) {
  const MemoryTree& tree = Tree();
  const uint64_t size = tree.levels[0].size();
  const uint64_t index = size / 3;
  const std::vector<Hash> proof = InclusionProof(index, size, tree.Reader()).value();
  for (auto _ : state) {
    if (!VerifyInclusion(index, size, tree.levels[0][index], proof, tree.root).ok()) {
      state.SkipWithError("proof failed");
    }
  }
  state.counters["proof_hashes"] = static_cast<double>(proof.size());
}
BENCHMARK(BM_VerifyInclusion);

void BM_ConsistencyProofFromMemory(benchmark::State& state) {
  const MemoryTree& tree = Tree();
  const uint64_t size = tree.levels[0].size();
  for (auto _ : state)
    benchmark::DoNotOptimize(ConsistencyProof(size / 2 + 1, size, tree.Reader()));
}
BENCHMARK(BM_ConsistencyProofFromMemory);

// The check every served consistency proof passes (proof_check.h), on the proof above.
void BM_VerifyConsistency(benchmark::State& state) {
  const MemoryTree& tree = Tree();
  const uint64_t size = tree.levels[0].size();
  const uint64_t old_size = size / 2 + 1;
  const std::vector<Hash> proof = ConsistencyProof(old_size, size, tree.Reader()).value();
  std::vector<Hash> leaves(tree.levels[0].begin(), tree.levels[0].begin() + old_size);
  const Hash old_root = RootFromLeafHashes(leaves);
  for (auto _ : state) {
    if (!VerifyConsistency(old_size, size, old_root, tree.root, proof).ok()) {
      state.SkipWithError("proof failed");
    }
  }
  state.counters["proof_hashes"] = static_cast<double>(proof.size());
}
BENCHMARK(BM_VerifyConsistency);

// Proof length grows with log n: the same proof at tree sizes 2^10 .. 2^20.
void BM_InclusionProofBySize(benchmark::State& state) {
  const MemoryTree& tree = Tree();
  const uint64_t size = uint64_t{1} << state.range(0);
  const NodeReader read = tree.Reader();
  for (auto _ : state) benchmark::DoNotOptimize(InclusionProof(size / 3, size, read));
}
BENCHMARK(BM_InclusionProofBySize)->DenseRange(10, 20, 5);

void BM_NodeCacheGet(benchmark::State& state) {
  NodeCache cache;
  for (uint64_t i = 0; i < 1000; ++i) cache.Put(0, i, Sha256("x"));
  uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.Get(0, i));
    i = (i + 1) % 1000;
  }
}
BENCHMARK(BM_NodeCacheGet);

// ---------------------------------------------------------------- a ledger on disk

// A ledger in a temp dir with `entries` LotCreated entries by one refiner.
struct DiskLedger {
  explicit DiskLedger(uint64_t entries) {
    LedgerOptions o;
    o.data_dir = dir.path();
    o.scrub_entries_per_second = 0;  // no background reads beside the timed ones
    ledger = Ledger::Open(o).value();
    const Identity op{"operator", PrivateKey::LoadPemFile(dir.path() + "/operator.pem").value()};
    const auto [rb, rs] = testing::Signed(
        op, testing::RegisterRecord(op, Signer(), v1::ROLE_REFINER, "reg"), kDefaultOrigin);
    ledger->Submit(rb, rs).value();
    for (uint64_t done = 0; done < entries;) {
      std::vector<std::pair<std::string, std::string>> batch;
      for (; batch.size() < 1000 && done < entries; ++done) {
        batch.push_back(testing::Signed(Signer(), Record700(Signer(), "f" + std::to_string(done)),
                                        kDefaultOrigin));
      }
      ledger->SubmitBatch(std::move(batch)).value();
    }
  }
  testing::TempDir dir;
  std::unique_ptr<Ledger> ledger;
};

DiskLedger& Disk() {
  static DiskLedger d(20'000);  // its directory is removed at exit
  return d;
}

// Making the proof of an old entry alone: log2(n) RocksDB reads (block cache warm).
void BM_InclusionProofFromRocksDb(benchmark::State& state) {
  Ledger& ledger = *Disk().ledger;
  const uint64_t size = ledger.Size();
  const NodeReader read = [&ledger](int level, uint64_t index) {
    return ledger.store().GetNode(level, index);
  };
  uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(InclusionProof(i, size, read));
    i = (i + 7919) % (size / 2);  // the older half: outside the node cache
  }
}
BENCHMARK(BM_InclusionProofFromRocksDb);

// The same proof as GetInclusionProof serves it (Ledger::InclusionProof): the
// entry read for its leaf hash, the proof, and its check against the checkpoint.
void BM_ServedInclusionProofFromRocksDb(benchmark::State& state) {
  Ledger& ledger = *Disk().ledger;
  const auto [size, note] = ledger.LatestCheckpoint();
  uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ledger.InclusionProof(i, note));
    i = (i + 7919) % (size / 2);
  }
}
BENCHMARK(BM_ServedInclusionProofFromRocksDb);

// The proof of one of the newest entries, from the node cache, with a leaf
// hash in hand, as a receipt's and a bundle's: the proof and its check.
void BM_InclusionProofNewest(benchmark::State& state) {
  Ledger& ledger = *Disk().ledger;
  const auto [size, note] = ledger.LatestCheckpoint();
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < 1000; ++i) {
    leaves.push_back(LeafHash(ledger.GetEntry(size - 1 - i).value()));
  }
  uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ledger.InclusionProof(size - 1 - i, leaves[i], note));
    i = (i + 1) % 1000;
  }
}
BENCHMARK(BM_InclusionProofNewest);

// The provenance rules of one LotCreated (state reads from RocksDB, no write).
void BM_RulesLotCreated(benchmark::State& state) {
  Ledger& ledger = *Disk().ledger;
  Registry registry(&ledger.store());
  const v1::Record rec = Record700(Signer(), "rule-check");
  const RecordReader none = [](uint64_t) -> absl::StatusOr<v1::Record> {
    return absl::NotFoundError("none");
  };
  for (auto _ : state) {
    StateView view(&ledger.store(), &registry);
    const PublicKey key = Signer().key.public_key();
    const RecordContext ctx{rec, &key, ledger.Size(), testing::NowMicros(), none};
    if (!CheckAndApply(ctx, RuleOptions(), view).ok()) state.SkipWithError("refused");
    view.RollbackRecord();
  }
}
BENCHMARK(BM_RulesLotCreated);

void BM_FindRecordIdMiss(benchmark::State& state) {
  const Store& store = Disk().ledger->store();
  uint64_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(store.FindRecordId("refiner", "new-" + std::to_string(i++)));
}
BENCHMARK(BM_FindRecordIdMiss);

// The background scrub's work per entry (ledger/scrub.h): re-hash, leaf and
// interior node reads, chain link, and the checkpoints it passes (one per
// commit group here: 1000 entries), in steps of 256 entries as its thread takes them.
void BM_ScrubEntries(benchmark::State& state) {
  Ledger& ledger = *Disk().ledger;
  LedgerMetrics metrics;
  ScrubPass pass(ScrubSource{
      .store = &ledger.store(),
      .size = [&ledger] { return ledger.Size(); },
      .key_handovers = [] { return std::vector<uint64_t>(); },
      .report = [&state](const Damage& d, uint64_t) { state.SkipWithError(d.what.c_str()); },
      .metrics = &metrics});
  uint64_t entries = 0;
  for (auto _ : state) entries += pass.Step(256).value();
  state.SetItemsProcessed(static_cast<int64_t>(entries));
}
BENCHMARK(BM_ScrubEntries);

}  // namespace
}  // namespace touchstone

int main(int argc, char** argv) {
  // As touchstoned does (services/server.cc).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
