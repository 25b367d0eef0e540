// A private, verifiable copy of a log kept by a client: entries [0, n) copied
// from anywhere (a server's Ledger.GetEntries stream, a tlog-tiles export) into
// a scratch RocksDB store in a fresh temporary directory, with the Merkle tree
// nodes computed here from the entries (never copied from the source).
//
// A mirror trusts nothing it is given: the audit (AuditMirror) re-checks every
// entry, and roots and proofs come from the tree built here. It is what lets a
// client build and check a piece's bundle from a static export alone.
#ifndef TOUCHSTONE_LEDGER_LOG_MIRROR_H_
#define TOUCHSTONE_LEDGER_LOG_MIRROR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/compact_range.h"
#include "ledger/log/hash.h"
#include "ledger/store/store.h"

namespace touchstone {

// Thread-compatible: Append/Flush from one thread; reads after Flush.
class LogMirror {
 public:
  // An empty mirror in a new directory under the system temp dir, removed by
  // the destructor. UNAVAILABLE if the directory or store cannot be made.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<LogMirror>> Create();
  ~LogMirror();
  LogMirror(const LogMirror&) = delete;
  LogMirror& operator=(const LogMirror&) = delete;

  // Appends the next entry (its index is size() before the call) and the tree
  // nodes it completes. Buffered; storage errors as Store::Commit.
  [[nodiscard]] absl::Status Append(std::string_view entry);
  // Writes what Append buffered. Storage errors as Store::Commit.
  [[nodiscard]] absl::Status Flush();

  uint64_t size() const { return tree_.size(); }
  // The store: entries and complete tree nodes of [0, size()), no state.
  const Store& store() const { return *store_; }
  // The RFC 9162 root of the first `size` entries. OUT_OF_RANGE if size > size().
  [[nodiscard]] absl::StatusOr<Hash> RootAt(uint64_t size) const;
  // Inclusion proof of `index` in the tree of the first `size` entries.
  // OUT_OF_RANGE unless index < size <= size().
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index,
                                                                 uint64_t size) const;

 private:
  LogMirror(std::string dir, std::unique_ptr<Store> store);
  NodeReader Nodes() const;

  std::string dir_;
  std::unique_ptr<Store> store_;
  StoreBatch batch_;
  uint64_t buffered_ = 0;
  CompactRange tree_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LOG_MIRROR_H_
