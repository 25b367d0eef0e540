// RocksDB-backed storage (layout in storage_map.h).
#include "ledger/store/store.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/big_endian.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/store/info_log.h"
#include "ledger/store/storage_map.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/transaction_log.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"

namespace touchstone {
namespace {

// Pairs a scan reads under the lock before handing them to its callback.
constexpr size_t kScanChunk = 256;

rocksdb::Slice S(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

[[nodiscard]] absl::StatusOr<uint64_t> DecodeIndexValue(const std::string& v) {
  const std::optional<uint64_t> i = DecodeU64Value(v);
  if (!i) return absl::DataLossError("index value is not 8 bytes");
  return *i;
}

rocksdb::ReadOptions Reading() {
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  return ro;
}

[[nodiscard]] absl::Status Closed() { return absl::UnavailableError("the database is not open"); }

}  // namespace

[[nodiscard]] absl::Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg = absl::StrCat(Sv(context), ": ", s.ToString());
  if (s.IsNoSpace() || s.subcode() == rocksdb::Status::kNoSpace) {
    return absl::ResourceExhaustedError(msg);
  }
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsNotSupported()) return absl::UnimplementedError(msg);
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsShutdownInProgress()) {
    // A file-size limit or full disk can surface as a plain I/O error.
    if (s.ToString().find("No space") != std::string::npos ||
        s.ToString().find("File too large") != std::string::npos) {
      return absl::ResourceExhaustedError(msg);
    }
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

void StoreBatch::PutEntry(uint64_t index, std::string_view entry) {
  puts_.push_back({kEntriesFamily, EntryKey(index), std::string(entry)});
}
void StoreBatch::PutNode(int level, uint64_t index, const Hash& hash) {
  puts_.push_back({kTreeFamily, TreeNodeKey(level, index), HashBytes(hash)});
}
void StoreBatch::PutCheckpoint(uint64_t size, std::string_view note) {
  puts_.push_back({kCheckpointsFamily, CheckpointKey(size), std::string(note)});
}
void StoreBatch::PutLeafIndex(const Hash& leaf_hash, uint64_t index) {
  puts_.push_back({kIndexFamily, LeafIndexKey(leaf_hash), EncodeU64(index)});
}
void StoreBatch::PutRecordId(std::string_view signer, std::string_view record_id, uint64_t index) {
  puts_.push_back({kIndexFamily, RecordIdKey(signer, record_id), EncodeU64(index)});
}
void StoreBatch::PutState(std::string_view key, std::string_view value) {
  puts_.push_back({kStateFamily, std::string(key), std::string(value)});
}
void StoreBatch::DeleteState(std::string_view key) {
  puts_.push_back({kStateFamily, std::string(key), std::string(), true});
}
void StoreBatch::PutOpening(uint64_t index, std::string_view opening) {
  puts_.push_back({kOpeningsFamily, OpeningKey(index), std::string(opening)});
}
void StoreBatch::PutTreeSize(uint64_t size) {
  puts_.push_back({kMetaFamily, std::string(kTreeSizeMetaKey), EncodeU64(size)});
}
void StoreBatch::PutMeta(std::string_view key, std::string_view value) {
  puts_.push_back({kMetaFamily, std::string(key), std::string(value)});
}
void StoreBatch::PutOpeningRead(std::string_view key, std::string_view read) {
  puts_.push_back({kOpeningReadsFamily, std::string(key), std::string(read)});
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  auto store = std::unique_ptr<Store>(new Store(options));
  absl::MutexLock lock(&store->db_mu_);
  absl::Status s = store->OpenLocked(options.read_only);
  if (!s.ok()) return s;
  return store;
}

absl::Status Store::OpenLocked(bool read_only) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options_.create_if_missing;
  // A database written by an older version lacks the column families added
  // since (storage_map.h: "openings", "opening_reads"): a writable open creates
  // them; a read-only open leaves them out (OpenLocked below) and reads them as empty.
  db_options.create_missing_column_families = true;
  // A corrupt file or write-ahead log record fails the open rather than being skipped.
  db_options.paranoid_checks = true;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 5;
  // A WAL file is deleted only once every column family holding writes in it is
  // flushed; "meta", "checkpoints" and "state" take a few bytes per commit and
  // would otherwise never fill a memtable, so the WAL grew with the log (1.4 GB
  // at 10^6 entries) and every start replayed all of it (40 s). Past this size
  // RocksDB flushes the column families that pin the oldest WAL file.
  db_options.max_total_wal_size = 128 << 20;
  // Never RocksDB's own info log: one failed write to it (a full disk, a file
  // size limit) and Debian's RocksDB aborts at the next line it logs, e.g. when
  // the database closes (info_log.h). Ours writes LOG line by line and drops a
  // line it cannot write. A read-only store logs nothing: it may be reading a
  // directory that a running server owns.
  if (options_.read_only) {
    db_options.info_log = NewDiscardingInfoLog();
  } else {
    if (info_log_ == nullptr || !info_log_->ok()) {
      // RocksDB would create the directory only after we opened LOG in it.
      if (options_.create_if_missing) ::mkdir(options_.path.c_str(), 0755);
      info_log_ = InfoLogFile::Open(options_.path, rocksdb::InfoLogLevel::INFO_LEVEL);
    }
    db_options.info_log = info_log_;
  }

  auto cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index and filter blocks stay in memory with their open table files, outside
  // the block cache: a file's filter is megabytes, and when they shared a small
  // cache with data blocks, random reads (old proofs, duplicate checks) evicted
  // them and every Get re-read them (6 ms per proof at 10^7 entries, scale_bench).
  // They take about 10 bits per key (5 keys per entry): ~90 MB at 10^7 entries.
  table.cache_index_and_filter_blocks = false;

  // Read-only, only the column families the database has can be opened.
  std::vector<std::string> existing;
  if (read_only) {
    RETURN_IF_ERROR(FromRocks(rocksdb::DB::ListColumnFamilies(db_options, options_.path, &existing),
                              absl::StrCat("opening database ", options_.path)));
  }
  auto present = [&](std::string_view name) {
    return !read_only || std::find(existing.begin(), existing.end(), name) != existing.end();
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  std::vector<int> opened;  // the ColumnFamily of each of cfs
  for (int i = 0; i < kColumnFamilyCount; ++i) {
    const char* name = kColumnFamilyNames[i];
    if (!present(name)) continue;
    opened.push_back(i);
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf.paranoid_file_checks = false;
    if (std::string_view(name) == "tree") cf.compression = rocksdb::kNoCompression;
    cfs.emplace_back(name, cf);
  }

  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s;
  if (read_only) {
    s = rocksdb::DB::OpenForReadOnly(db_options, options_.path, cfs, &handles, &db);
  } else {
    s = rocksdb::DB::Open(db_options, options_.path, cfs, &handles, &db);
  }
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening database ", options_.path));
  db_.reset(db);
  // Indexed by ColumnFamily; null for one a read-only database lacks.
  handles_.assign(kColumnFamilyCount, nullptr);
  for (size_t i = 0; i < handles.size(); ++i) handles_[opened[i]] = handles[i];
  opened_read_only_ = read_only;
  return absl::OkStatus();
}

void Store::CloseLocked() {
  if (db_ == nullptr) return;
  for (auto* h : handles_) {
    if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
  }
  handles_.clear();
  db_->Close();
  db_.reset();
}

Store::~Store() {
  absl::MutexLock lock(&db_mu_);
  CloseLocked();
}

absl::Status Store::Commit(StoreBatch& batch) {
  if (options_.read_only) return absl::FailedPreconditionError("store is open read-only");
  if (absl::Status failed = WriteError(); !failed.ok()) return failed;
  absl::ReaderMutexLock lock(&db_mu_);
  if (db_ == nullptr || opened_read_only_) {
    return absl::UnavailableError("the database is not open for writing");
  }
  rocksdb::WriteBatch wb;
  for (const StoreBatch::Put& p : batch.puts_) {
    const rocksdb::Status s = p.erase ? wb.Delete(handles_[p.cf], S(p.key))
                                      : wb.Put(handles_[p.cf], S(p.key), S(p.value));
    if (!s.ok()) return FromRocks(s, "building a commit");
  }
  // Nothing is tried, and nothing needs recovering, when there is no room.
  RETURN_IF_ERROR(CheckRoom(wb.GetDataSize()));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  absl::Status s = FromRocks(db_->Write(wo, &wb), "committing to the log");
  if (!s.ok()) {
    absl::MutexLock error_lock(&error_mu_);
    if (write_error_.ok()) write_error_ = s;
  }
  return s;
}

absl::Status Store::CheckRoom(uint64_t bytes) const {
  // The log record around the batch: 7-byte headers per 32 KiB block, padding.
  const uint64_t need = bytes + 64 + 14 * (bytes / 32768 + 1);
  struct rlimit limit;
  if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    std::unique_ptr<rocksdb::LogFile> wal;
    if (db_->GetCurrentWalFile(&wal).ok() && wal != nullptr &&
        wal->SizeFileBytes() + need > limit.rlim_cur) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the write-ahead log ", Sv(wal->PathName()), " (", wal->SizeFileBytes(),
                       " bytes) would pass the file size limit of ", limit.rlim_cur, " bytes"));
    }
  }
  struct statvfs fs;
  if (::statvfs(options_.path.c_str(), &fs) == 0) {
    const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (free_bytes < options_.min_free_bytes + need) {
      return absl::ResourceExhaustedError(
          absl::StrCat("disk full: ", free_bytes, " bytes free for ", options_.path, ", ",
                       options_.min_free_bytes, " kept in reserve"));
    }
  }
  return absl::OkStatus();
}

absl::Status Store::WriteError() const {
  absl::MutexLock lock(&error_mu_);
  return write_error_;
}

absl::Status Store::Reopen() {
  absl::MutexLock lock(&db_mu_);
  CloseLocked();
  absl::Status s = OpenLocked(options_.read_only);
  if (!s.ok()) {
    // Keep serving reads from a read-only instance until writing works again.
    if (!options_.read_only) OpenLocked(/*read_only=*/true).IgnoreError();
    absl::MutexLock error_lock(&error_mu_);
    if (write_error_.ok()) write_error_ = s;
    return s;
  }
  absl::MutexLock error_lock(&error_mu_);
  write_error_ = absl::OkStatus();
  return absl::OkStatus();
}

absl::Status Store::CreateCheckpoint(const std::string& dir) const {
  absl::ReaderMutexLock lock(&db_mu_);
  if (db_ == nullptr) return Closed();
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw);
  if (!s.ok()) return FromRocks(s, "starting a checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir), absl::StrCat("checkpointing to ", dir));
}

absl::StatusOr<std::optional<std::string>> Store::Get(int cf, std::string_view key) const {
  absl::ReaderMutexLock lock(&db_mu_);
  if (db_ == nullptr) return Closed();
  if (handles_[cf] == nullptr) return std::nullopt;  // a family an old database lacks
  std::string value;
  rocksdb::Status s = db_->Get(Reading(), handles_[cf], S(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading the log");
  return value;
}

absl::Status Store::Scan(
    int cf, std::string start, std::string upper,
    const std::function<absl::Status(std::string_view, std::string_view)>& fn) const {
  bool skip_start = false;  // after the first chunk, `start` was already handed to fn
  for (;;) {
    std::vector<std::pair<std::string, std::string>> chunk;
    bool more = false;
    {
      absl::ReaderMutexLock lock(&db_mu_);
      if (db_ == nullptr) return Closed();
      if (handles_[cf] == nullptr) return absl::OkStatus();  // a family an old database lacks
      rocksdb::ReadOptions ro = Reading();
      rocksdb::Slice upper_slice(upper);
      if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[cf]));
      it->Seek(S(start));
      if (skip_start && it->Valid() && it->key() == S(start)) it->Next();
      for (; it->Valid() && chunk.size() < kScanChunk; it->Next()) {
        chunk.emplace_back(it->key().ToString(), it->value().ToString());
      }
      if (!it->status().ok()) return FromRocks(it->status(), "scanning the log");
      more = it->Valid();
    }
    for (const auto& [key, value] : chunk) {
      absl::Status s = fn(key, value);
      if (!s.ok()) return s;
    }
    if (!more) return absl::OkStatus();
    start = chunk.back().first;
    skip_start = true;
  }
}

absl::StatusOr<uint64_t> Store::ReadTreeSize() const {
  auto v = Get(kMetaFamily, kTreeSizeMetaKey);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return 0;
  return DecodeIndexValue(**v);
}

absl::StatusOr<std::string> Store::GetEntry(uint64_t index) const {
  auto v = Get(kEntriesFamily, EntryKey(index));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return absl::NotFoundError(absl::StrCat("no entry at index ", index));
  return std::move(**v);
}

absl::Status Store::ScanEntries(
    uint64_t start, uint64_t end,
    const std::function<absl::Status(uint64_t, std::string_view)>& fn) const {
  if (start >= end) return absl::OkStatus();
  uint64_t expected = start;
  bool failed_in_fn = false;
  absl::Status s =
      Scan(kEntriesFamily, EntryKey(start), EntryKey(end),
           [&](std::string_view key, std::string_view value) -> absl::Status {
             const std::optional<uint64_t> parsed = ParseEntryKey(key);
             if (!parsed) return absl::DataLossError("an entry key is not 8 bytes");
             const uint64_t index = *parsed;
             if (index != expected) {
               return absl::DataLossError(absl::StrCat("entry ", expected, " is missing"));
             }
             ++expected;
             absl::Status r = fn(index, value);
             failed_in_fn = !r.ok();
             return r;
           });
  if (!s.ok() && !failed_in_fn && !absl::StartsWith(s.message(), "entry ")) {
    // RocksDB could not read (e.g. a block failed its checksum) somewhere in the
    // chunk that starts here.
    return absl::Status(s.code(),
                        absl::StrCat("entry ", expected, " (or one of the ", kScanChunk - 1,
                                     " after it) cannot be read: ", s.message()));
  }
  if (!s.ok()) return s;
  if (expected != end) {
    return absl::DataLossError(absl::StrCat("entry ", expected, " is missing"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Hash> Store::GetNode(int level, uint64_t index) const {
  auto v = Get(kTreeFamily, TreeNodeKey(level, index));
  if (!v.ok()) return v.status();
  if (!v->has_value()) {
    return absl::NotFoundError(absl::StrCat("no tree node at level ", level, " index ", index));
  }
  auto h = HashFromBytes(**v);
  if (!h.ok()) {
    return absl::DataLossError(absl::StrCat("tree node ", level, "/", index, " is corrupt"));
  }
  return *h;
}

absl::StatusOr<std::string> Store::GetCheckpoint(uint64_t size) const {
  auto v = Get(kCheckpointsFamily, CheckpointKey(size));
  if (!v.ok()) return v.status();
  if (!v->has_value()) {
    return absl::NotFoundError(absl::StrCat("no checkpoint was issued at size ", size));
  }
  return std::move(**v);
}

absl::Status Store::ScanCheckpoints(
    const std::function<absl::Status(uint64_t, std::string_view)>& fn) const {
  return Scan(kCheckpointsFamily, "", "",
              [&](std::string_view key, std::string_view value) -> absl::Status {
                const std::optional<uint64_t> size = ParseCheckpointKey(key);
                if (!size) return absl::DataLossError("checkpoint key is not 8 bytes");
                return fn(*size, value);
              });
}

absl::Status Store::ScanCheckpoints(
    uint64_t start, uint64_t end,
    const std::function<absl::Status(uint64_t, std::string_view)>& fn) const {
  if (start >= end) return absl::OkStatus();
  return Scan(kCheckpointsFamily, CheckpointKey(start), CheckpointKey(end),
              [&](std::string_view key, std::string_view value) -> absl::Status {
                const std::optional<uint64_t> size = ParseCheckpointKey(key);
                if (!size) return absl::DataLossError("checkpoint key is not 8 bytes");
                return fn(*size, value);
              });
}

absl::StatusOr<std::optional<uint64_t>> Store::FindLeaf(const Hash& leaf_hash) const {
  auto v = Get(kIndexFamily, LeafIndexKey(leaf_hash));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::nullopt;
  auto i = DecodeIndexValue(**v);
  if (!i.ok()) return i.status();
  return *i;
}

absl::StatusOr<std::optional<uint64_t>> Store::FindRecordId(std::string_view signer,
                                                            std::string_view record_id) const {
  auto v = Get(kIndexFamily, RecordIdKey(signer, record_id));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::nullopt;
  auto i = DecodeIndexValue(**v);
  if (!i.ok()) return i.status();
  return *i;
}

absl::Status Store::ScanRecordIds(
    std::string_view scope,
    const std::function<absl::Status(std::string_view, uint64_t)>& fn) const {
  std::string start = RecordIdKey(scope, "");
  std::string upper = start;
  upper.back() = '\x01';  // just past every key under "rid/" || scope || 0x00
  const size_t prefix = start.size();
  return Scan(kIndexFamily, std::move(start), std::move(upper),
              [&](std::string_view key, std::string_view value) -> absl::Status {
                auto i = DecodeIndexValue(std::string(value));
                if (!i.ok()) return i.status();
                return fn(key.substr(prefix), *i);
              });
}

absl::StatusOr<std::optional<std::string>> Store::GetOpening(uint64_t index) const {
  return Get(kOpeningsFamily, OpeningKey(index));
}

absl::StatusOr<std::optional<std::string>> Store::GetState(std::string_view key) const {
  return Get(kStateFamily, key);
}

absl::Status Store::ScanState(
    const std::function<absl::Status(std::string_view, std::string_view)>& fn) const {
  return Scan(kStateFamily, "", "", fn);
}

absl::StatusOr<std::optional<std::string>> Store::GetMeta(std::string_view key) const {
  return Get(kMetaFamily, key);
}

absl::Status Store::ScanOpeningReads(
    std::string_view signer,
    const std::function<absl::Status(std::string_view, std::string_view)>& fn) const {
  std::string start = OpeningReadKeyPrefix(signer);
  std::string upper = start;
  upper.back() = '\x01';  // just past every key under signer || 0x00
  return Scan(kOpeningReadsFamily, std::move(start), std::move(upper), fn);
}

}  // namespace touchstone
