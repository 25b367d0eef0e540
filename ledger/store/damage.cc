// Naming damaged stored values (see damage.h).
#include "ledger/store/damage.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/log/entry_format.h"

namespace touchstone {
namespace {

std::string NodeName(int level, uint64_t index) {
  const uint64_t first = index << level;
  const uint64_t last = ((index + 1) << level) - 1;
  if (level == 0)
    return absl::StrCat("tree node level 0 index ", index, " (entry ", index, "'s leaf hash)");
  return absl::StrCat("tree node level ", level, " index ", index, " (entries ", first, " to ",
                      last, ")");
}

}  // namespace

std::string Damage::Describe() const {
  if (column_family.empty()) return what;
  return absl::StrCat(what, " (column family \"", column_family, "\", key ", KeyHex(key), ")");
}

std::string KeyHex(std::string_view key) {
  return absl::StrCat("0x", absl::AsciiStrToUpper(absl::BytesToHexString(Sv(key))));
}

bool IsDamageStatus(const absl::Status& s) { return absl::IsNotFound(s) || absl::IsDataLoss(s); }

Damage EntryDamage(uint64_t index, std::string what) {
  return Damage{.column_family = "entries",
                .key = EntryKey(index),
                .entry_index = index,
                .what = std::move(what)};
}

Damage TreeNodeDamage(int level, uint64_t index, std::string what) {
  return Damage{.column_family = "tree",
                .key = TreeNodeKey(level, index),
                .entry_index = index << level,
                .what = std::move(what)};
}

Damage CheckpointDamage(uint64_t size, std::string what) {
  return Damage{.column_family = "checkpoints",
                .key = CheckpointKey(size),
                .entry_index = size == 0 ? 0 : size - 1,
                .what = std::move(what)};
}

[[nodiscard]] absl::StatusOr<LeafVerdict> JudgeLeafMismatch(const Store& store, uint64_t index,
                                                            uint64_t log_size,
                                                            const Hash& entry_hash,
                                                            const Hash& stored_leaf) {
  std::optional<Hash> chained;  // what entry index + 1 says entry index hashed to
  if (index + 1 < log_size) {
    absl::StatusOr<std::string> next = store.GetEntry(index + 1);
    if (!next.ok() && !IsDamageStatus(next.status())) return next.status();
    if (next.ok()) {
      if (absl::StatusOr<EntryView> v = DecodeEntry(*next); v.ok()) chained = v->prev_leaf_hash;
    }
  }
  if (chained && *chained == stored_leaf) {
    return LeafVerdict{EntryDamage(index, absl::StrCat("entry ", index,
                                                       " was altered: its bytes do not hash to its "
                                                       "stored leaf hash, to which entry ",
                                                       index + 1, " chains")),
                       stored_leaf};
  }
  if (chained && *chained == entry_hash) {
    return LeafVerdict{
        TreeNodeDamage(0, index,
                       absl::StrCat(NodeName(0, index),
                                    " was altered: it is not the hash of the entry's bytes, to "
                                    "which entry ",
                                    index + 1, " chains")),
        entry_hash};
  }
  return LeafVerdict{
      EntryDamage(index, absl::StrCat(
                             "entry ", index, " does not hash to its stored leaf hash (",
                             NodeName(0, index), ")",
                             chained ? absl::StrCat(", and entry ", index + 1, " chains to neither")
                                     : std::string())),
      stored_leaf};
}

[[nodiscard]] absl::StatusOr<std::optional<Damage>> LocateNodeDamage(const Store& store, int level,
                                                                     uint64_t index,
                                                                     uint64_t log_size) {
  absl::StatusOr<Hash> stored = store.GetNode(level, index);
  if (!stored.ok()) {
    if (!IsDamageStatus(stored.status())) return stored.status();
    return TreeNodeDamage(
        level, index,
        absl::StrCat(NodeName(level, index), " cannot be read: ", stored.status().message()));
  }
  if (level == 0) {
    absl::StatusOr<std::string> entry = store.GetEntry(index);
    if (!entry.ok()) {
      if (!IsDamageStatus(entry.status())) return entry.status();
      return EntryDamage(
          index, absl::StrCat("entry ", index, " cannot be read: ", entry.status().message()));
    }
    const Hash entry_hash = LeafHash(*entry);
    if (entry_hash == *stored) return std::nullopt;
    ASSIGN_OR_RETURN(LeafVerdict verdict,
                     JudgeLeafMismatch(store, index, log_size, entry_hash, *stored));
    return verdict.damage;
  }
  Hash children[2];
  for (int side = 0; side < 2; ++side) {
    absl::StatusOr<Hash> child = store.GetNode(level - 1, 2 * index + side);
    if (!child.ok()) {
      // The child is the damage (missing or unreadable).
      return LocateNodeDamage(store, level - 1, 2 * index + side, log_size);
    }
    children[side] = *child;
  }
  if (NodeHash(children[0], children[1]) == *stored) return std::nullopt;
  // A child that disagrees with its own children is the one altered; else this node is.
  for (int side = 0; side < 2; ++side) {
    ASSIGN_OR_RETURN(std::optional<Damage> below,
                     LocateNodeDamage(store, level - 1, 2 * index + side, log_size));
    if (below) return below;
  }
  return TreeNodeDamage(
      level, index,
      absl::StrCat(NodeName(level, index), " is not the hash of its children (level ", level - 1,
                   " indices ", 2 * index, " and ", 2 * index + 1, ")"));
}

}  // namespace touchstone
