// Accepting a newer checkpoint only when it extends the trusted one.
#include "ledger/trusted_head.h"

#include "absl/strings/str_cat.h"
#include "ledger/merkle.h"

namespace touchstone {

absl::StatusOr<Checkpoint> AdvanceTrustedHead(const std::optional<Checkpoint>& trusted,
                                              const Checkpoint& fresh,
                                              std::span<const Hash> proof) {
  if (!trusted) return fresh;
  if (trusted->origin != fresh.origin) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint is for log '", fresh.origin,
                                                   "', the trusted head for '", trusted->origin,
                                                   "'"));
  }
  if (fresh.size < trusted->size) {
    return absl::DataLossError(absl::StrCat(
        "LOG INCONSISTENT: the log presents size ", fresh.size, " after it was seen at size ",
        trusted->size, " (root ", HashToBase64(trusted->root), "): it rewound"));
  }
  if (fresh.size == trusted->size) {
    if (fresh.root != trusted->root) {
      return absl::DataLossError(absl::StrCat(
          "LOG INCONSISTENT: two different trees of size ", fresh.size, " (roots ",
          HashToBase64(trusted->root), " and ", HashToBase64(fresh.root), "): it forked"));
    }
    return fresh;
  }
  absl::Status s = VerifyConsistency(trusted->size, fresh.size, trusted->root, fresh.root, proof);
  if (!s.ok()) {
    return absl::DataLossError(absl::StrCat(
        "LOG INCONSISTENT: the checkpoint of size ", fresh.size,
        " does not extend the trusted one of size ", trusted->size, " (", s.message(),
        "): it forked"));
  }
  return fresh;
}

}  // namespace touchstone
