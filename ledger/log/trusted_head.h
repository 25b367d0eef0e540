// A client's trusted head of a log: the newest checkpoint it has verified. A
// newer checkpoint is accepted only with a valid consistency proof from it; an
// older one, or a different tree at a size already seen, is evidence that the log
// rewound or forked (shows different people different histories).
#ifndef TOUCHSTONE_LEDGER_LOG_TRUSTED_HEAD_H_
#define TOUCHSTONE_LEDGER_LOG_TRUSTED_HEAD_H_

#include <optional>
#include <span>

#include "absl/status/statusor.h"
#include "ledger/log/checkpoint.h"

namespace touchstone {

// Decides whether `fresh` (already signature-checked) may replace `trusted`.
// `proof` is the consistency proof from trusted->size to fresh.size (ignored when
// there is no trusted head or the sizes are equal). Returns the new head.
// Errors: DATA_LOSS with a message starting "LOG INCONSISTENT" when the log
// rewound (fresh is smaller), forked (same size, other root) or the proof fails;
// INVALID_ARGUMENT if the origins differ.
[[nodiscard]] absl::StatusOr<Checkpoint> AdvanceTrustedHead(
    const std::optional<Checkpoint>& trusted, const Checkpoint& fresh, std::span<const Hash> proof);

// Checks that `older` (signature-checked, e.g. the checkpoint inside a bundle)
// is a prefix of the trusted head. `proof` is the consistency proof from
// older.size to head.size (empty when the sizes are equal). OK if it is;
// DATA_LOSS starting "LOG INCONSISTENT" if it is larger than the head, a
// different tree at the same size, or the proof fails: the log shows
// different histories. INVALID_ARGUMENT if the origins differ.
[[nodiscard]] absl::Status CheckPrefixOfHead(const Checkpoint& older, const Checkpoint& head,
                                             std::span<const Hash> proof);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LOG_TRUSTED_HEAD_H_
