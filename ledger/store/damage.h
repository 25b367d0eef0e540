// Damage in the ledger's storage: naming the stored value that is wrong (its
// column family and key, ledger/store/store.h) as precisely as the other stored
// values allow, and how a finding is handed to whoever alerts on it.
//
// What is trusted to tell a damaged value from a sound one: an interior tree
// node must be the hash of its two children, a leaf node the hash of its
// entry's bytes, and entry i + 1 chains to the leaf hash entry i had when it
// was appended (entry_format.h). A single altered value breaks exactly one of
// these links in a way its neighbours show, so it can be named.
#ifndef TOUCHSTONE_LEDGER_STORE_DAMAGE_H_
#define TOUCHSTONE_LEDGER_STORE_DAMAGE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/log/hash.h"
#include "ledger/store/store.h"

namespace touchstone {

// One stored value found wrong (or missing). Value type.
struct Damage {
  // Where it is: a column family of store.h ("entries", "tree", "checkpoints",
  // "index") and the key's raw bytes. Both empty if it could not be pinned down.
  std::string column_family;
  std::string key;
  // The entry concerned: the entry itself, the first leaf under a tree node, or
  // the newest entry under a checkpoint.
  uint64_t entry_index = 0;
  // What is wrong, e.g. "tree node level 1 index 12 (entries 24 to 25) is not
  // the hash of its children (level 0 indices 24 and 25)".
  std::string what;

  // `what`, then where: ` (column family "tree", key 0x01000000000000000C)`.
  std::string Describe() const;
};

// A finding, as LedgerOptions::on_damage receives it.
struct DamageReport {
  // Who found it: "inclusion_proof" or "consistency_proof" (a proof failed its
  // check and was refused), or "scrub" (the background scrub, ledger/scrub.h).
  std::string source;
  Damage damage;
  // The tree size the proof was for, or the size the scrub's pass checks up to.
  uint64_t tree_size = 0;
  // The whole message, as the DATA_LOSS status of a refused proof carries it.
  std::string message;
};

// Receives findings. Called on the thread that found the damage; must be thread-safe.
using DamageSink = std::function<void(const DamageReport&)>;

// A key the way `ldb --key_hex` takes it: "0x" and uppercase hex digits.
std::string KeyHex(std::string_view key);

// What to blame when entry `index`'s bytes hash to `entry_hash` but its stored
// leaf node holds `stored_leaf`.
struct LeafVerdict {
  Damage damage;
  // The leaf hash the rest of the stored log was built on: the stored leaf if
  // the entry is blamed, the entry's hash if the leaf node is.
  Hash original_leaf{};
};

// Decides between the entry and its leaf node by the hash entry index + 1
// chains to (when index + 1 < log_size). Errors: the store's other than
// NOT_FOUND and DATA_LOSS (a missing or undecodable next entry decides nothing).
[[nodiscard]] absl::StatusOr<LeafVerdict> JudgeLeafMismatch(const Store& store, uint64_t index,
                                                            uint64_t log_size,
                                                            const Hash& entry_hash,
                                                            const Hash& stored_leaf);

// The damaged value at or under the complete tree node (level, index) of a log
// of `log_size` entries, or nullopt if the node agrees with its children (at
// level 0: with its entry). Descends only into children that disagree, so
// about 3 reads per level. A missing node or entry is damage. Errors: the
// store's other than NOT_FOUND and DATA_LOSS.
[[nodiscard]] absl::StatusOr<std::optional<Damage>> LocateNodeDamage(const Store& store, int level,
                                                                     uint64_t index,
                                                                     uint64_t log_size);

// Named damage of entry `index`, of tree node (level, index), of the checkpoint stored at `size`.
Damage EntryDamage(uint64_t index, std::string what);
Damage TreeNodeDamage(int level, uint64_t index, std::string what);
Damage CheckpointDamage(uint64_t size, std::string what);

// True for the statuses a read of a damaged value gives (NOT_FOUND: missing;
// DATA_LOSS: unreadable or undecodable); false for storage that is away
// (UNAVAILABLE, the database reopening), which says nothing of the data.
bool IsDamageStatus(const absl::Status& s);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_STORE_DAMAGE_H_
