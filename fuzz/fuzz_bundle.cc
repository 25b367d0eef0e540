// Fuzzes offline piece-bundle verification (ledger/bundle/bundle_verify.h): what a
// customer runs on a file anyone could have made. The input is a serialized
// touchstone.v1.PieceBundle, verified with the fixture's log key and a quorum of
// one witness. Invariant: an accepted bundle is the fixture's own piece under the
// fixture's cosigned checkpoint, holding only the log's entries at their own
// indices, and each claim it asserts is derived; no mutation is accepted otherwise.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz/fixture.h"
#include "ledger/bundle/bundle_verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace touchstone;
  const fuzz::FixtureLog& log = fuzz::FixtureLog::Get();
  v1::PieceBundle bundle;
  if (size > 256 * 1024 || !bundle.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<BundleReport> report =
      VerifyPieceBundle(bundle, log.verifier(), {log.witness_verifier()}, 1);
  if (!report.ok()) return 0;
  if (report->piece_id != fuzz::kPieceId || report->origin != fuzz::kOrigin ||
      report->tree_size != log.size() || report->root != log.Root(log.size()) ||
      report->witness_cosignatures != 1) {
    fuzz::Fail("accepted a bundle for another piece or checkpoint");
  }
  for (const v1::BundleEntry& e : bundle.entries()) {
    if (e.index() >= log.size() || e.entry() != log.entries()[e.index()]) {
      fuzz::Fail("accepted an entry that is not the log's entry at its index");
    }
  }
  if (report->timeline.size() != static_cast<size_t>(bundle.entries_size())) {
    fuzz::Fail("timeline and entries differ in length");
  }
  for (v1::Claim c : report->asserted_claims) {
    if (std::find(report->derived_claims.begin(), report->derived_claims.end(), c) ==
        report->derived_claims.end()) {
      fuzz::Fail("accepted a claim the records do not support");
    }
  }
  return 0;
}
