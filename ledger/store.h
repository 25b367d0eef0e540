// RocksDB storage of the log: entries, tree hashes, checkpoints, indexes,
// derived state and metadata, each in its own column family.
//
// Key layout (integers are 8-byte big-endian, so keys sort numerically):
//   CF "entries"      index                         -> entry bytes (entry_format.h)
//   CF "tree"         level (1 byte) || index       -> 32-byte hash of complete node
//                                                      (level, index); level 0 = leaf hashes
//   CF "checkpoints"  tree size                     -> signed checkpoint note, verbatim
//   CF "index"        "leaf/" || leaf hash (32)     -> index of the entry with that hash
//                     "rid/" || signer || 0x00 || record_id -> index of that record
//   CF "state"        "participant/" || id          -> serialized v1.ParticipantState
//   CF "meta"         "tree_size"                   -> size committed (8 bytes)
//                     "origin"                      -> the log's origin
// Everything one group commit writes goes into one WriteBatch, written with
// sync=true: either all of it is durable or none of it is.
#ifndef TOUCHSTONE_LEDGER_STORE_H_
#define TOUCHSTONE_LEDGER_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/hash.h"
#include "ledger/state_reader.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace touchstone {

struct StoreOptions {
  // Directory of the RocksDB database. Required.
  std::string path;
  // Create the database if it does not exist. Default: true.
  bool create_if_missing = true;
  // Open read-only (for audits of a data directory; no writes allowed). Default: false.
  bool read_only = false;
  // RocksDB block cache size in bytes. Default: 64 MiB.
  size_t block_cache_bytes = 64 << 20;
};

// The writes of one commit. Thread-compatible.
class StoreBatch {
 public:
  void PutEntry(uint64_t index, std::string_view entry);
  void PutNode(int level, uint64_t index, const Hash& hash);
  void PutCheckpoint(uint64_t size, std::string_view note);
  void PutLeafIndex(const Hash& leaf_hash, uint64_t index);
  void PutRecordId(std::string_view signer, std::string_view record_id, uint64_t index);
  void PutState(std::string_view key, std::string_view value);
  void PutTreeSize(uint64_t size);
  void PutMeta(std::string_view key, std::string_view value);

 private:
  friend class Store;
  explicit StoreBatch(class Store* store) : store_(store) {}
  Store* store_;
  rocksdb::WriteBatch batch_;
};

// Thread-safe: reads may run concurrently with each other and with Commit.
class Store : public StateReader {
 public:
  // Opens (or creates) the database. UNAVAILABLE / DATA_LOSS / INVALID_ARGUMENT
  // from RocksDB with its message.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();

  StoreBatch NewBatch() { return StoreBatch(this); }
  // Writes the batch atomically with sync=true. RESOURCE_EXHAUSTED when the disk
  // is full, UNAVAILABLE for other I/O errors, FAILED_PRECONDITION if read-only.
  absl::Status Commit(StoreBatch& batch);

  // The committed tree size (0 for a new store).
  absl::StatusOr<uint64_t> ReadTreeSize() const;
  // The entry bytes at index; NOT_FOUND if absent.
  absl::StatusOr<std::string> GetEntry(uint64_t index) const;
  // Calls fn(index, bytes) for entries [start, end) in order; stops early (returning
  // fn's status) when fn returns non-OK.
  absl::Status ScanEntries(uint64_t start, uint64_t end,
                           const std::function<absl::Status(uint64_t, std::string_view)>& fn) const;
  // The hash of complete node (level, index); NOT_FOUND if absent.
  absl::StatusOr<Hash> GetNode(int level, uint64_t index) const;
  // The checkpoint note issued at `size`; NOT_FOUND if none was.
  absl::StatusOr<std::string> GetCheckpoint(uint64_t size) const;
  // Calls fn(size, note) for every stored checkpoint, in increasing size.
  absl::Status ScanCheckpoints(
      const std::function<absl::Status(uint64_t, std::string_view)>& fn) const;
  // The index of the entry whose leaf hash is `leaf_hash`, if any.
  absl::StatusOr<std::optional<uint64_t>> FindLeaf(const Hash& leaf_hash) const;
  // The index of signer's record with that id, if any.
  absl::StatusOr<std::optional<uint64_t>> FindRecordId(std::string_view signer,
                                                       std::string_view record_id) const;
  // A state value; nullopt if absent.
  absl::StatusOr<std::optional<std::string>> GetState(std::string_view key) const override;
  // Calls fn(key, value) for every state value, in key order.
  absl::Status ScanState(
      const std::function<absl::Status(std::string_view, std::string_view)>& fn) const;
  // A metadata value; nullopt if absent.
  absl::StatusOr<std::optional<std::string>> GetMeta(std::string_view key) const;

 private:
  friend class StoreBatch;
  Store() = default;
  absl::StatusOr<std::optional<std::string>> Get(rocksdb::ColumnFamilyHandle* cf,
                                                 std::string_view key) const;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* entries_ = nullptr;
  rocksdb::ColumnFamilyHandle* tree_ = nullptr;
  rocksdb::ColumnFamilyHandle* checkpoints_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  rocksdb::ColumnFamilyHandle* state_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  bool read_only_ = false;
};

// Maps a RocksDB status to an absl::Status with the same meaning (disk full ->
// RESOURCE_EXHAUSTED, corruption -> DATA_LOSS, I/O -> UNAVAILABLE, ...).
absl::Status FromRocks(const rocksdb::Status& s, std::string_view context);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_STORE_H_
