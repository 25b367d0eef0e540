// RocksDB-backed storage (layout in store.h).
#include "ledger/store.h"

#include "absl/strings/str_cat.h"
#include "ledger/big_endian.h"
#include "ledger/strings.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"

namespace touchstone {
namespace {

constexpr const char* kColumnFamilies[] = {"default", "entries", "tree", "checkpoints",
                                           "index",   "state",   "meta"};

std::string NodeKey(int level, uint64_t index) {
  std::string k(9, '\0');
  k[0] = static_cast<char>(level);
  StoreBE(k.data() + 1, index, 8);
  return k;
}

std::string LeafKey(const Hash& h) { return absl::StrCat("leaf/", HashBytes(h)); }

std::string RecordIdKey(std::string_view signer, std::string_view record_id) {
  return absl::StrCat("rid/", Sv(signer), absl::string_view("\0", 1), Sv(record_id));
}

rocksdb::Slice S(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

absl::StatusOr<uint64_t> DecodeIndexValue(const std::string& v) {
  if (v.size() != 8) return absl::DataLossError("index value is not 8 bytes");
  return LoadBE(v.data(), 8);
}

}  // namespace

absl::Status FromRocks(const rocksdb::Status& s, std::string_view context) {
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
  batch_.Put(store_->entries_, S(EncodeU64(index)), S(entry));
}
void StoreBatch::PutNode(int level, uint64_t index, const Hash& hash) {
  batch_.Put(store_->tree_, S(NodeKey(level, index)), S(HashBytes(hash)));
}
void StoreBatch::PutCheckpoint(uint64_t size, std::string_view note) {
  batch_.Put(store_->checkpoints_, S(EncodeU64(size)), S(note));
}
void StoreBatch::PutLeafIndex(const Hash& leaf_hash, uint64_t index) {
  batch_.Put(store_->index_, S(LeafKey(leaf_hash)), S(EncodeU64(index)));
}
void StoreBatch::PutRecordId(std::string_view signer, std::string_view record_id, uint64_t index) {
  batch_.Put(store_->index_, S(RecordIdKey(signer, record_id)), S(EncodeU64(index)));
}
void StoreBatch::PutState(std::string_view key, std::string_view value) {
  batch_.Put(store_->state_, S(key), S(value));
}
void StoreBatch::PutTreeSize(uint64_t size) {
  batch_.Put(store_->meta_, "tree_size", S(EncodeU64(size)));
}
void StoreBatch::PutMeta(std::string_view key, std::string_view value) {
  batch_.Put(store_->meta_, S(key), S(value));
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = options.create_if_missing;
  db_options.paranoid_checks = true;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 5;
  // A WAL file is deleted only once every column family holding writes in it is
  // flushed; "meta", "checkpoints" and "state" take a few bytes per commit and
  // would otherwise never fill a memtable, so the WAL grew with the log (1.4 GB
  // at 10^6 entries) and every start replayed all of it (40 s). Past this size
  // RocksDB flushes the column families that pin the oldest WAL file.
  db_options.max_total_wal_size = 128 << 20;

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : kColumnFamilies) {
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf.paranoid_file_checks = false;
    if (std::string_view(name) == "tree") cf.compression = rocksdb::kNoCompression;
    cfs.emplace_back(name, cf);
  }

  auto store = std::unique_ptr<Store>(new Store());
  store->read_only_ = options.read_only;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    s = rocksdb::DB::OpenForReadOnly(db_options, options.path, cfs, &store->handles_, &db);
  } else {
    s = rocksdb::DB::Open(db_options, options.path, cfs, &store->handles_, &db);
  }
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening database ", options.path));
  store->db_.reset(db);
  store->entries_ = store->handles_[1];
  store->tree_ = store->handles_[2];
  store->checkpoints_ = store->handles_[3];
  store->index_ = store->handles_[4];
  store->state_ = store->handles_[5];
  store->meta_ = store->handles_[6];
  return store;
}

Store::~Store() {
  if (db_ == nullptr) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->Close();
}

absl::Status Store::Commit(StoreBatch& batch) {
  if (read_only_) return absl::FailedPreconditionError("store is open read-only");
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db_->Write(wo, &batch.batch_), "committing to the log");
}

absl::StatusOr<std::optional<std::string>> Store::Get(rocksdb::ColumnFamilyHandle* cf,
                                                      std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf, S(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading the log");
  return value;
}

absl::StatusOr<uint64_t> Store::ReadTreeSize() const {
  auto v = Get(meta_, "tree_size");
  if (!v.ok()) return v.status();
  if (!v->has_value()) return 0;
  return DecodeIndexValue(**v);
}

absl::StatusOr<std::string> Store::GetEntry(uint64_t index) const {
  auto v = Get(entries_, EncodeU64(index));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return absl::NotFoundError(absl::StrCat("no entry at index ", index));
  return std::move(**v);
}

absl::Status Store::ScanEntries(
    uint64_t start, uint64_t end,
    const std::function<absl::Status(uint64_t, std::string_view)>& fn) const {
  rocksdb::ReadOptions ro;
  const std::string upper = EncodeU64(end);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, entries_));
  uint64_t expected = start;
  for (it->Seek(S(EncodeU64(start))); it->Valid(); it->Next()) {
    const uint64_t index = LoadBE(it->key().data(), 8);
    if (index != expected) {
      return absl::DataLossError(absl::StrCat("entry ", expected, " is missing"));
    }
    absl::Status s = fn(index, std::string_view(it->value().data(), it->value().size()));
    if (!s.ok()) return s;
    ++expected;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scanning entries");
  if (expected != end) {
    return absl::DataLossError(absl::StrCat("entry ", expected, " is missing"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Hash> Store::GetNode(int level, uint64_t index) const {
  auto v = Get(tree_, NodeKey(level, index));
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
  auto v = Get(checkpoints_, EncodeU64(size));
  if (!v.ok()) return v.status();
  if (!v->has_value()) {
    return absl::NotFoundError(absl::StrCat("no checkpoint was issued at size ", size));
  }
  return std::move(**v);
}

absl::Status Store::ScanCheckpoints(
    const std::function<absl::Status(uint64_t, std::string_view)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), checkpoints_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return absl::DataLossError("checkpoint key is not 8 bytes");
    absl::Status s =
        fn(LoadBE(it->key().data(), 8), std::string_view(it->value().data(), it->value().size()));
    if (!s.ok()) return s;
  }
  return FromRocks(it->status(), "scanning checkpoints");
}

absl::StatusOr<std::optional<uint64_t>> Store::FindLeaf(const Hash& leaf_hash) const {
  auto v = Get(index_, LeafKey(leaf_hash));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::nullopt;
  auto i = DecodeIndexValue(**v);
  if (!i.ok()) return i.status();
  return *i;
}

absl::StatusOr<std::optional<uint64_t>> Store::FindRecordId(std::string_view signer,
                                                            std::string_view record_id) const {
  auto v = Get(index_, RecordIdKey(signer, record_id));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::nullopt;
  auto i = DecodeIndexValue(**v);
  if (!i.ok()) return i.status();
  return *i;
}

absl::StatusOr<std::optional<std::string>> Store::GetState(std::string_view key) const {
  return Get(state_, key);
}

absl::Status Store::ScanState(
    const std::function<absl::Status(std::string_view, std::string_view)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), state_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::Status s = fn(std::string_view(it->key().data(), it->key().size()),
                        std::string_view(it->value().data(), it->value().size()));
    if (!s.ok()) return s;
  }
  return FromRocks(it->status(), "scanning state");
}

absl::StatusOr<std::optional<std::string>> Store::GetMeta(std::string_view key) const {
  return Get(meta_, key);
}

}  // namespace touchstone
