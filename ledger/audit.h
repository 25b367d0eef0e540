// The audit: re-verify a whole log from genesis out of its stored bytes, trusting
// nothing the store derived. Used by `touchstone audit` on a data directory,
// a tiles export or a server's entries; sealed records are opened (their
// openings from AuditOptions::openings) and checked on their opened values,
// which is what an auditor cosigns (CosignAudit; ledger/log/audit_note.h).
#ifndef TOUCHSTONE_LEDGER_AUDIT_H_
#define TOUCHSTONE_LEDGER_AUDIT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/cosignature.h"
#include "ledger/log/note.h"
#include "ledger/provenance/rebuild.h"
#include "ledger/provenance/rules.h"
#include "ledger/provenance/state_view.h"
#include "ledger/store/store.h"

namespace touchstone {

struct AuditOptions {
  RuleOptions rules;
  // Called every `progress_every` entries with (entries done, total). Default: none.
  std::function<void(uint64_t, uint64_t)> progress;
  // Default: 100000.
  uint64_t progress_every = 100000;
  // Where the openings of sealed records come from (ledger/provenance/rebuild.h):
  // every sealed record is opened and every rule checked on its opened values.
  // Default (null): the audited store's own CF "openings" (a data directory
  // holds them; a mirror holds none, so a sealed record there fails the audit
  // unless a source, e.g. the server's Openings service, is given).
  OpeningSource openings;
};

struct AuditReport {
  std::string origin;
  std::string verifier_key;  // the genesis entry's checkpoint key
  // The checkpoint key in force at the end and the handovers that led to it
  // from the genesis key (ledger/provenance/key_handover.h).
  std::string checkpoint_key;
  std::vector<uint64_t> key_handovers;
  uint64_t entries = 0;
  uint64_t checkpoints = 0;
  uint64_t tree_nodes = 0;
  uint64_t state_keys = 0;
  Checkpoint checkpoint;        // the verified checkpoint at the audited size
  std::string checkpoint_note;  // that checkpoint's note, verbatim (what an auditor cosigns)
  uint64_t sealed = 0;          // sealed records opened and checked on their opened values
  // Entries whose record is not canonically encoded (ledger/provenance/canonical.h), each
  // "entry N: <first offence>". The ledger refuses such records since it checks
  // the encoding; a log may hold some from before. They do not fail the audit,
  // but every bundle verifier refuses a bundle that includes one.
  std::vector<std::string> non_canonical;
};

// Re-hashes every entry and checks its chain link, signature and rules
// (RebuildState); recomputes the Merkle tree and compares every stored node and
// every stored checkpoint (signature by the checkpoint key in force at its
// size, following key handovers from the genesis key, and root) with it; and compares the rebuilt
// derived state with the stored one. DATA_LOSS naming the first problem precisely (entry index,
// tree node, checkpoint size or state key).
[[nodiscard]] absl::StatusOr<AuditReport> AuditStore(const Store& store,
                                                     const AuditOptions& options);

// Audits a mirror: a store holding only the entries [0, size) copied from a
// server (e.g. with Ledger.GetEntries) or an export, against the checkpoint
// `note` of that size. Re-hashes, chain-checks, signature-checks and re-applies
// the rules to every entry (RebuildState); follows the key handovers from the
// genesis entry's key and checks the note's signature by the key in force at
// its size, and that `pinned` (the key the user trusts) is the genesis key or
// one a handover named before it; checks the recomputed root is the note's
// and the genesis entry names its origin. Sets `checkpoint` in the report.
// PERMISSION_DENIED for the note's signature or an unknown pinned key,
// INVALID_ARGUMENT for a malformed note, DATA_LOSS otherwise as AuditStore.
// If `rebuilt` is set, the state rebuilt at the checkpoint's size is moved there.
[[nodiscard]] absl::StatusOr<AuditReport> AuditMirror(const Store& mirror, std::string_view note,
                                                      const NoteVerifier& pinned,
                                                      const AuditOptions& options,
                                                      MemoryState* rebuilt = nullptr);

// An auditor's cosignature of the checkpoint a passed audit reached
// (report.checkpoint_note): that note followed by `signer`'s cosignature/v1
// line made at `timestamp` (unix seconds), ready for Ledger.AddAuditCosignature
// (ledger/log/audit_note.h). INVALID_ARGUMENT if the report holds no note.
[[nodiscard]] absl::StatusOr<std::string> CosignAudit(const AuditReport& report,
                                                      const CosignatureSigner& signer,
                                                      uint64_t timestamp);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_AUDIT_H_
