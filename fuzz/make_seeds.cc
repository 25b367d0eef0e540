// Writes the seed corpus of every fuzz target from the fixture's log
// (fuzz/fixture.h) into DIR/<target>/: `make_seeds DIR`. The checked-in
// fuzz/corpus/ was made with it. Before writing, it checks that the fixture is a
// log the real code accepts: its bundle verifies with its claims derived, every
// proof verifies, and the witness cosigns.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "fuzz/fixture.h"
#include "fuzz/replica_fixture.h"
#include "ledger/bundle/bundle_verify.h"

namespace {

using touchstone::fuzz::OrDie;

void Write(const std::filesystem::path& dir, const std::string& target, const std::string& name,
           const std::string& bytes) {
  std::filesystem::create_directories(dir / target);
  std::ofstream out(dir / target / name, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) touchstone::fuzz::Fail("cannot write " + (dir / target / name).string());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace touchstone;
  if (argc != 2) {
    std::cerr << "usage: make_seeds DIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const fuzz::FixtureLog& log = fuzz::FixtureLog::Get();
  const uint64_t n = log.size();

  const v1::PieceBundle bundle = log.Bundle();
  const BundleReport report = OrDie(
      VerifyPieceBundle(bundle, log.verifier(), {log.witness_verifier()}, 1), "fixture bundle");
  if (report.timeline.size() != n || report.asserted_claims.empty()) fuzz::Fail("fixture bundle");
  for (uint64_t i = 0; i < n; ++i) {
    OrDie(VerifyTlogProof(OrDie(TlogProof::FromText(log.ProofText(i, n)), "proof"),
                          log.entries()[i], log.verifier()),
          "fixture proof");
  }

  Write(dir, "fuzz_bundle", "ring", bundle.SerializeAsString());
  Write(dir, "fuzz_records", "log", log.EntryBundle());
  Write(dir, "fuzz_entry_bundle", "log", log.EntryBundle());
  for (uint64_t i : {0ul, 3ul, n - 1}) {
    Write(dir, "fuzz_entry", "entry-" + std::to_string(i), log.entries()[i]);
  }
  Write(dir, "fuzz_checkpoint", "text", log.CheckpointText(n));
  Write(dir, "fuzz_checkpoint", "note", log.CheckpointNote(n));
  Write(dir, "fuzz_checkpoint", "note-empty", log.CheckpointNote(0));
  Write(dir, "fuzz_note", "note", log.CheckpointNote(n));
  Write(dir, "fuzz_note", "cosigned", log.CosignedNote());
  Write(dir, "fuzz_note", "vkey", log.signer().VerifierKey());
  Write(dir, "fuzz_note", "witness-vkey", log.witness().VerifierKey());
  Write(dir, "fuzz_cosignature", "cosigned", log.CosignedNote());
  Write(dir, "fuzz_tlog_proof", "proof-0", log.ProofText(0, n));
  Write(dir, "fuzz_tlog_proof", "proof-last", log.ProofText(n - 1, n));
  Write(dir, "fuzz_tlog_proof", "proof-old", log.ProofText(2, fuzz::kOldSize));
  Write(dir, "fuzz_witness", "extend", log.AddCheckpointBody(fuzz::kOldSize));
  Write(dir, "fuzz_witness", "stale", log.AddCheckpointBody(0));
  // The follower's next group, and one it holds already.
  const auto& groups = fuzz::ReplicaFixture::Get().groups();
  Write(dir, "fuzz_replicated_group", "next", groups.back().SerializeAsString());
  Write(dir, "fuzz_replicated_group", "genesis", groups.front().SerializeAsString());
  std::cout << "seeds written to " << dir.string() << " (" << n << " entries)\n";
  return 0;
}
