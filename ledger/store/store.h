// RocksDB storage of the log: entries, tree hashes, checkpoints, indexes,
// derived state and metadata, each in its own column family. Every column
// family and key layout is listed in ledger/store/storage_map.h, with the one
// function that builds each key.
//
// Everything one group commit writes goes into one WriteBatch, written with
// sync=true: either all of it is durable or none of it is.
//
// Integrity: RocksDB runs with paranoid_checks (a corrupt file or write-ahead
// log refuses the open instead of being skipped) and every read verifies the
// checksums of the blocks it reads (a corrupt block is DATA_LOSS, never data).
//
// Full disk: RocksDB's own info log is replaced by ours (info_log.h), since a
// failed write to it aborts the process at its next line; commits check for
// room before writing (Commit).
#ifndef TOUCHSTONE_LEDGER_STORE_STORE_H_
#define TOUCHSTONE_LEDGER_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ledger/log/hash.h"
#include "ledger/store/info_log.h"
#include "ledger/store/state_reader.h"
#include "ledger/store/storage_map.h"
#include "rocksdb/db.h"

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
  // Commits are refused (RESOURCE_EXHAUSTED) while the database's filesystem has
  // less than this many bytes free for it, so that RocksDB itself never runs out
  // of space mid-write. Default: 16 MiB.
  uint64_t min_free_bytes = 16 << 20;
};

// The writes of one commit, applied by Store::Commit as one atomic WriteBatch.
// Thread-compatible.
class StoreBatch {
 public:
  void PutEntry(uint64_t index, std::string_view entry);
  void PutNode(int level, uint64_t index, const Hash& hash);
  void PutCheckpoint(uint64_t size, std::string_view note);
  void PutLeafIndex(const Hash& leaf_hash, uint64_t index);
  void PutRecordId(std::string_view signer, std::string_view record_id, uint64_t index);
  void PutState(std::string_view key, std::string_view value);
  // Removes a state key (rebuilding the state of an older version: ledger_open.cc).
  void DeleteState(std::string_view key);
  // The serialized v1::Opening of the sealed record at `index` (CF "openings"),
  // in the batch that writes its entry.
  void PutOpening(uint64_t index, std::string_view opening);
  void PutTreeSize(uint64_t size);
  void PutMeta(std::string_view key, std::string_view value);
  // A read attempt (serialized v1::OpeningRead) under its OpeningReadKey (CF "opening_reads").
  void PutOpeningRead(std::string_view key, std::string_view read);

 private:
  friend class Store;
  struct Put {
    int cf;  // index into Store's column families
    std::string key;
    std::string value;
    bool erase = false;  // delete `key` instead
  };
  StoreBatch() = default;
  // Column families are named by index, not handle: a handle does not survive
  // Store::Reopen, and a batch may be built before one.
  std::vector<Put> puts_;
};

// Thread-safe: reads may run concurrently with each other and with Commit;
// Reopen waits for them and makes them wait.
class Store : public StateReader {
 public:
  // Opens (or creates) the database. A database written before a column family
  // of storage_map.h existed gets it (empty) when opened for writing; opened
  // read-only, reads of it find nothing. UNAVAILABLE / DATA_LOSS / INVALID_ARGUMENT
  // from RocksDB with its message.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();

  StoreBatch NewBatch() { return StoreBatch(); }
  // Writes the batch atomically with sync=true. RESOURCE_EXHAUSTED, before
  // anything is written, when the filesystem has less than min_free_bytes free
  // or the write-ahead log would pass the process's file size limit
  // (RLIMIT_FSIZE): Debian's RocksDB is built with assertions, and a failed
  // write-ahead log append aborts the process there, so a write must not be
  // tried without room for it. RESOURCE_EXHAUSTED / UNAVAILABLE for I/O errors
  // that happen anyway, FAILED_PRECONDITION if read-only. After a failed write the
  // store refuses every write (returning WriteError()) until Reopen succeeds:
  // RocksDB stops writing after an I/O error, and only a reopen (which replays
  // the write-ahead log up to its last complete write, into a new one) is sure
  // to leave no partly written batch in front of later ones.
  [[nodiscard]] absl::Status Commit(StoreBatch& batch);
  // OK, or why writes are refused since a write failed.
  [[nodiscard]] absl::Status WriteError() const;
  // Closes and reopens the database, as a restart after a crash would. OK if it
  // is writable again (WriteError() is then OK). If it cannot be opened for
  // writing (the disk is still full), opens it read-only so that reads keep
  // working, and returns why (RESOURCE_EXHAUSTED / UNAVAILABLE).
  [[nodiscard]] absl::Status Reopen();
  // Writes a consistent copy of the whole database (a RocksDB checkpoint:
  // hard links to its immutable files where possible) to `dir`, which must not
  // exist. Commits may run meanwhile; the copy holds every commit up to one
  // point and none after it. Errors as Commit, INVALID_ARGUMENT if `dir` exists.
  [[nodiscard]] absl::Status CreateCheckpoint(const std::string& dir) const;

  // The committed tree size (0 for a new store).
  [[nodiscard]] absl::StatusOr<uint64_t> ReadTreeSize() const;
  // The entry bytes at index; NOT_FOUND if absent.
  [[nodiscard]] absl::StatusOr<std::string> GetEntry(uint64_t index) const;
  // Calls fn(index, bytes) for entries [start, end) in order; stops early (returning
  // fn's status) when fn returns non-OK. DATA_LOSS naming the first missing index
  // if the entries are not dense.
  [[nodiscard]] absl::Status ScanEntries(
      uint64_t start, uint64_t end,
      const std::function<absl::Status(uint64_t, std::string_view)>& fn) const;
  // The hash of complete node (level, index); NOT_FOUND if absent.
  [[nodiscard]] absl::StatusOr<Hash> GetNode(int level, uint64_t index) const;
  // The checkpoint note issued at `size`; NOT_FOUND if none was.
  [[nodiscard]] absl::StatusOr<std::string> GetCheckpoint(uint64_t size) const;
  // Calls fn(size, note) for every stored checkpoint, in increasing size.
  [[nodiscard]] absl::Status ScanCheckpoints(
      const std::function<absl::Status(uint64_t, std::string_view)>& fn) const;
  // The same for the checkpoints issued at sizes in [start, end).
  [[nodiscard]] absl::Status ScanCheckpoints(
      uint64_t start, uint64_t end,
      const std::function<absl::Status(uint64_t, std::string_view)>& fn) const;
  // The index of the entry whose leaf hash is `leaf_hash`, if any.
  [[nodiscard]] absl::StatusOr<std::optional<uint64_t>> FindLeaf(const Hash& leaf_hash) const;
  // The index of signer's record with that id, if any.
  [[nodiscard]] absl::StatusOr<std::optional<uint64_t>> FindRecordId(
      std::string_view signer, std::string_view record_id) const;
  // Calls fn(record_id, index) for every record whose id is scoped to `scope`
  // (a signer; RecordIdScope), in record id order. DATA_LOSS if a value is not
  // an index.
  [[nodiscard]] absl::Status ScanRecordIds(
      std::string_view scope,
      const std::function<absl::Status(std::string_view, uint64_t)>& fn) const;
  // The serialized v1::Opening stored for entry `index`; nullopt if none (an
  // unsealed record, or a database without the "openings" family).
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> GetOpening(uint64_t index) const;
  // A state value; nullopt if absent.
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> GetState(
      std::string_view key) const override;
  // Calls fn(key, value) for every state value, in key order.
  [[nodiscard]] absl::Status ScanState(
      const std::function<absl::Status(std::string_view, std::string_view)>& fn) const;
  // A metadata value; nullopt if absent.
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> GetMeta(std::string_view key) const;
  // Calls fn(key, value) for every read attempt logged under `signer` (CF
  // "opening_reads", OpeningReadKey), in key order: by time.
  [[nodiscard]] absl::Status ScanOpeningReads(
      std::string_view signer,
      const std::function<absl::Status(std::string_view, std::string_view)>& fn) const;

 private:
  explicit Store(StoreOptions options) : options_(std::move(options)) {}
  // Opens the database into db_ and handles_. REQUIRES: db_mu_ held exclusively, db_ null.
  [[nodiscard]] absl::Status OpenLocked(bool read_only) ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  // Closes db_ if open. REQUIRES: db_mu_ held exclusively.
  void CloseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Get(int cf, std::string_view key) const;
  // OK if a write of about `bytes` fits: free space and the file size limit.
  // REQUIRES: db_mu_ held, db_ open.
  [[nodiscard]] absl::Status CheckRoom(uint64_t bytes) const ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  // Calls fn for each (key, value) of column family cf from `start` (inclusive)
  // to `upper` (exclusive; empty = to the end), in key order. Reads a chunk at
  // a time under db_mu_ and calls fn without holding it.
  [[nodiscard]] absl::Status Scan(
      int cf, std::string start, std::string upper,
      const std::function<absl::Status(std::string_view, std::string_view)>& fn) const;

  const StoreOptions options_;
  mutable absl::Mutex db_mu_;
  std::unique_ptr<rocksdb::DB> db_ ABSL_GUARDED_BY(db_mu_);
  std::vector<rocksdb::ColumnFamilyHandle*> handles_ ABSL_GUARDED_BY(db_mu_);
  bool opened_read_only_ ABSL_GUARDED_BY(db_mu_) = false;
  // RocksDB's info log (LOG) of every instance a writable store opens, kept
  // across Reopen so that retries during an outage do not rotate it. Null until
  // the first open; null for a read-only store.
  std::shared_ptr<InfoLogFile> info_log_ ABSL_GUARDED_BY(db_mu_);
  mutable absl::Mutex error_mu_;
  absl::Status write_error_ ABSL_GUARDED_BY(error_mu_);
};

// Maps a RocksDB status to an absl::Status with the same meaning (disk full ->
// RESOURCE_EXHAUSTED, corruption -> DATA_LOSS, I/O -> UNAVAILABLE, ...).
[[nodiscard]] absl::Status FromRocks(const rocksdb::Status& s, std::string_view context);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_STORE_STORE_H_
