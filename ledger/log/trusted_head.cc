// Accepting a newer checkpoint only when it extends the trusted one.
#include "ledger/log/trusted_head.h"

#include "absl/strings/str_cat.h"
#include "ledger/log/merkle.h"

namespace touchstone {

[[nodiscard]] absl::StatusOr<Checkpoint> AdvanceTrustedHead(
    const std::optional<Checkpoint>& trusted, const Checkpoint& fresh,
    std::span<const Hash> proof) {
  if (!trusted) return fresh;
  if (trusted->origin != fresh.origin) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint is for log '", fresh.origin,
                                                   "', the trusted head for '", trusted->origin,
                                                   "'"));
  }
  if (fresh.size < trusted->size) {
    return absl::DataLossError(absl::StrCat("LOG INCONSISTENT: the log presents size ", fresh.size,
                                            " after it was seen at size ", trusted->size, " (root ",
                                            HashToBase64(trusted->root), "): it rewound"));
  }
  if (fresh.size == trusted->size) {
    if (fresh.root != trusted->root) {
      return absl::DataLossError(absl::StrCat("LOG INCONSISTENT: two different trees of size ",
                                              fresh.size, " (roots ", HashToBase64(trusted->root),
                                              " and ", HashToBase64(fresh.root), "): it forked"));
    }
    return fresh;
  }
  absl::Status s = VerifyConsistency(trusted->size, fresh.size, trusted->root, fresh.root, proof);
  if (!s.ok()) {
    return absl::DataLossError(absl::StrCat("LOG INCONSISTENT: the checkpoint of size ", fresh.size,
                                            " does not extend the trusted one of size ",
                                            trusted->size, " (", s.message(), "): it forked"));
  }
  return fresh;
}

[[nodiscard]] absl::Status CheckPrefixOfHead(const Checkpoint& older, const Checkpoint& head,
                                             std::span<const Hash> proof) {
  if (older.origin != head.origin) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint is for log '", older.origin,
                                                   "', the trusted head for '", head.origin, "'"));
  }
  absl::Status s;
  if (older.size > head.size) {
    s = absl::FailedPreconditionError("it is larger than the newest checkpoint the log presents");
  } else if (older.size == head.size) {
    if (older.root != head.root) s = absl::FailedPreconditionError("a different tree");
  } else if (older.size > 0) {
    s = VerifyConsistency(older.size, head.size, older.root, head.root, proof);
  }
  if (!s.ok()) {
    return absl::DataLossError(
        absl::StrCat("LOG INCONSISTENT: the checkpoint of size ", older.size, " (root ",
                     HashToBase64(older.root), ") is not part of the trusted head of size ",
                     head.size, " (root ", HashToBase64(head.root), "): ", s.message(),
                     "; the log shows different histories, keep both checkpoints as evidence"));
  }
  return absl::OkStatus();
}

}  // namespace touchstone
