// Rebuilding the derived state from the log alone, and comparing it with the
// state the ledger keeps: the proof that state is only ever a function of the log.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_REBUILD_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_REBUILD_H_

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/provenance/rules.h"
#include "ledger/provenance/state_view.h"
#include "ledger/store/store.h"
#include "proto/record.pb.h"

namespace touchstone {

// Replays entries [0, size) of `store`: decodes each entry, checks its chain
// link, verifies its record's signature with the key the state holds for it
// (in the form the log's policy in force at the entry sets, for the genesis's
// origin: ledger/provenance/log_policy.h; a record an owner key signs alone has
// an empty entry signature, and the rules verify its owner signature), and
// applies the rules (with the entry's
// recorded time as the clock, and that policy) to the record, or for a sealed
// record to the record its opening in the store's CF "openings" opens
// (ledger/provenance/commitments.h).
// DATA_LOSS naming the first bad entry (index and what is wrong), e.g. "entry
// 7: the record is sealed and its opening is missing from the openings store"
// or "entry 7: its stored opening does not open it: ..." (a log mirror holds
// no openings: a sealed log cannot be replayed from one).
// `on_entry`, if set, is called for each entry after its checks, with its leaf
// hash, its bytes and its public record (as stored, never opened); an error from it stops the
// replay and is returned as it is.
//
// The openings come from `openings` (null: the store's own, StoredOpenings): a
// remote auditor's source reads them through the Openings service, a test's
// from a map. The source's own errors are returned as they are.
using EntryVisitor = std::function<absl::Status(uint64_t index, const Hash& leaf_hash,
                                                std::string_view entry, const v1::Record& record)>;
// Where a replay finds the opening of the sealed record at an index: the
// Opening, or nullopt if the source has none for it. Implementations: the
// store's CF "openings" (StoredOpenings), an auditor's reads through the
// Openings service (services/cli_audit.cc), a map in tests.
using OpeningSource = std::function<absl::StatusOr<std::optional<v1::Opening>>(uint64_t index)>;
// The openings `store` keeps (CF "openings", storage_map.h). The store must
// outlive the source. DATA_LOSS if a stored opening does not parse.
OpeningSource StoredOpenings(const Store& store);
[[nodiscard]] absl::StatusOr<MemoryState> RebuildState(const Store& store, uint64_t size,
                                                       const RuleOptions& options,
                                                       const EntryVisitor& on_entry = nullptr,
                                                       const OpeningSource& openings = nullptr);

// OK if `rebuilt` and the store's state column family hold exactly the same
// keys and values; DATA_LOSS naming the first key that differs otherwise.
[[nodiscard]] absl::Status CompareState(const MemoryState& rebuilt, const Store& store);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_REBUILD_H_
