// The frontier of an append-only RFC 9162 Merkle tree: appending, rebuilding
// from stored nodes and computing the root.
#include "ledger/log/compact_range.h"

#include <bit>

#include "ledger/base/status_macros.h"

namespace touchstone {

absl::StatusOr<CompactRange> CompactRange::FromNodes(uint64_t size, const NodeReader& read) {
  CompactRange range;
  uint64_t begin = 0;
  for (int level = std::bit_width(size) - 1; level >= 0; --level) {
    if (((size >> level) & 1) == 0) continue;
    ASSIGN_OR_RETURN(Hash h, read(level, begin >> level));
    range.hashes_.push_back(h);
    begin += uint64_t{1} << level;
  }
  range.size_ = size;
  return range;
}

void CompactRange::Append(const Hash& leaf_hash, std::vector<NewNode>* out) {
  uint64_t index = size_;
  int level = 0;
  Hash hash = leaf_hash;
  if (out != nullptr) out->push_back({level, index, hash});
  // Each trailing set bit of the old size is a perfect subtree that the new
  // node completes into one twice as large.
  while (((size_ >> level) & 1) == 1) {
    hash = NodeHash(hashes_.back(), hash);
    hashes_.pop_back();
    ++level;
    index >>= 1;
    if (out != nullptr) out->push_back({level, index, hash});
  }
  hashes_.push_back(hash);
  ++size_;
}

Hash CompactRange::Root() const {
  if (hashes_.empty()) return EmptyRoot();
  Hash root = hashes_.back();
  for (size_t i = hashes_.size() - 1; i-- > 0;) root = NodeHash(hashes_[i], root);
  return root;
}

}  // namespace touchstone
