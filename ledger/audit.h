// The audit: re-verify a whole log from genesis out of its stored bytes, trusting
// nothing the store derived. Used by `touchstone audit` on a data directory.
#ifndef TOUCHSTONE_LEDGER_AUDIT_H_
#define TOUCHSTONE_LEDGER_AUDIT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/checkpoint.h"
#include "ledger/rules.h"
#include "ledger/state_view.h"
#include "ledger/store.h"

namespace touchstone {

struct AuditOptions {
  RuleOptions rules;
  // Called every `progress_every` entries with (entries done, total). Default: none.
  std::function<void(uint64_t, uint64_t)> progress;
  // Default: 100000.
  uint64_t progress_every = 100000;
};

struct AuditReport {
  std::string origin;
  std::string verifier_key;  // derived from the genesis entry
  uint64_t entries = 0;
  uint64_t checkpoints = 0;
  uint64_t tree_nodes = 0;
  uint64_t state_keys = 0;
};

// Re-hashes every entry and checks its chain link, signature and rules
// (RebuildState); recomputes the Merkle tree and compares every stored node and
// every stored checkpoint (signature by the genesis operator key under the
// genesis origin, and root) with it; and compares the rebuilt derived state with
// the stored one. DATA_LOSS naming the first problem precisely (entry index,
// tree node, checkpoint size or state key).
absl::StatusOr<AuditReport> AuditStore(const Store& store, const AuditOptions& options);

// Audits a mirror: a store holding only the entries [0, checkpoint.size) copied
// from a server (e.g. with Ledger.GetEntries), against that server's latest
// checkpoint, already verified with the log's key by the caller. Re-hashes,
// chain-checks, signature-checks and re-applies the rules to every entry
// (RebuildState) and checks the recomputed root equals the checkpoint's, and
// that the genesis entry names the checkpoint's origin. DATA_LOSS as AuditStore.
// If `rebuilt` is set, the state rebuilt at the checkpoint's size is moved there.
absl::StatusOr<AuditReport> AuditMirror(const Store& mirror, const Checkpoint& checkpoint,
                                        const AuditOptions& options,
                                        MemoryState* rebuilt = nullptr);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_AUDIT_H_
