// RFC 9162 Merkle tree proofs: generation over stored perfect-subtree hashes and
// verification (the algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2).
#include "ledger/log/merkle.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"

namespace touchstone {
namespace {

// The largest power of two strictly less than n. REQUIRES: n > 1.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// Hash of the RFC 9162 subtree over leaves [begin, begin + size). Such subtrees
// have `begin` aligned to a power of two >= size, so they split into one perfect
// stored node per set bit of `size`, largest first: popcount(size) reads.
// REQUIRES: size > 0.
[[nodiscard]] absl::StatusOr<Hash> SubtreeHash(uint64_t begin, uint64_t size,
                                               const NodeReader& read) {
  std::vector<Hash> parts;
  for (int level = std::bit_width(size) - 1; level >= 0; --level) {
    if (((size >> level) & 1) == 0) continue;
    ASSIGN_OR_RETURN(Hash h, read(level, begin >> level));
    parts.push_back(h);
    begin += uint64_t{1} << level;
  }
  Hash hash = parts.back();
  for (size_t i = parts.size() - 1; i-- > 0;) hash = NodeHash(parts[i], hash);
  return hash;
}

// Number of proof hashes below the point where the paths to leaves `index` and
// size - 1 meet, and the number on the right border above it.
std::pair<int, int> DecomposeInclusionProof(uint64_t index, uint64_t size) {
  const int inner = std::bit_width(index ^ (size - 1));
  const int border = std::popcount(index >> inner);
  return {inner, border};
}

// Folds the inner proof hashes into `seed`, the hash at leaf position `index`.
Hash ChainInner(Hash seed, std::span<const Hash> proof, uint64_t index) {
  for (size_t i = 0; i < proof.size(); ++i) {
    seed = ((index >> i) & 1) == 0 ? NodeHash(seed, proof[i]) : NodeHash(proof[i], seed);
  }
  return seed;
}

// Like ChainInner, but only the hashes that lie to the left of the path.
Hash ChainInnerRight(Hash seed, std::span<const Hash> proof, uint64_t index) {
  for (size_t i = 0; i < proof.size(); ++i) {
    if (((index >> i) & 1) == 1) seed = NodeHash(proof[i], seed);
  }
  return seed;
}

// Folds the right-border proof hashes, each of which is a left sibling.
Hash ChainBorderRight(Hash seed, std::span<const Hash> proof) {
  for (const Hash& h : proof) seed = NodeHash(h, seed);
  return seed;
}

[[nodiscard]] absl::Status RootMismatch(const Hash& computed, const Hash& expected) {
  return absl::FailedPreconditionError(absl::StrCat("root mismatch: computed ", HashToHex(computed),
                                                    ", expected ", HashToHex(expected)));
}

}  // namespace

Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes) {
  if (leaf_hashes.empty()) return EmptyRoot();
  if (leaf_hashes.size() == 1) return leaf_hashes[0];
  const uint64_t k = SplitPoint(leaf_hashes.size());
  return NodeHash(RootFromLeafHashes(leaf_hashes.first(k)),
                  RootFromLeafHashes(leaf_hashes.subspan(k)));
}

[[nodiscard]] absl::StatusOr<Hash> RootFromNodes(uint64_t size, const NodeReader& read) {
  if (size == 0) return EmptyRoot();
  return SubtreeHash(0, size, read);
}

// RFC 9162 PATH(m, D[n]), unrolled from the root down. Siblings are collected
// top-down and reversed at the end. Once the path turns left its subtree is
// perfect, so at most one sibling (the first right one) is a ragged subtree.
[[nodiscard]] absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size,
                                                               const NodeReader& read) {
  if (index >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf index ", index, " out of range for tree size ", size));
  }
  std::vector<Hash> proof;
  uint64_t begin = 0;
  uint64_t n = size;
  uint64_t m = index;
  while (n > 1) {
    const uint64_t k = SplitPoint(n);
    if (m < k) {
      ASSIGN_OR_RETURN(Hash right, SubtreeHash(begin + k, n - k, read));
      proof.push_back(right);
      n = k;
    } else {
      ASSIGN_OR_RETURN(Hash left, SubtreeHash(begin, k, read));
      proof.push_back(left);
      begin += k;
      m -= k;
      n -= k;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

// RFC 9162 SUBPROOF(m, D[n], true), unrolled the same way as InclusionProof.
[[nodiscard]] absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size,
                                                                 uint64_t new_size,
                                                                 const NodeReader& read) {
  if (old_size == 0 || old_size > new_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "consistency proof needs 0 < old size <= new size, got ", old_size, ", ", new_size));
  }
  std::vector<Hash> proof;
  uint64_t begin = 0;
  uint64_t n = new_size;
  uint64_t m = old_size;
  bool whole_old_tree = true;  // SUBPROOF's flag b.
  while (m < n) {
    const uint64_t k = SplitPoint(n);
    if (m <= k) {
      ASSIGN_OR_RETURN(Hash right, SubtreeHash(begin + k, n - k, read));
      proof.push_back(right);
      n = k;
    } else {
      ASSIGN_OR_RETURN(Hash left, SubtreeHash(begin, k, read));
      proof.push_back(left);
      begin += k;
      m -= k;
      n -= k;
      whole_old_tree = false;
    }
  }
  if (!whole_old_tree) {
    ASSIGN_OR_RETURN(Hash old_subtree, SubtreeHash(begin, m, read));
    proof.push_back(old_subtree);
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

[[nodiscard]] absl::StatusOr<Hash> RootFromInclusionProof(uint64_t index, uint64_t size,
                                                          const Hash& leaf_hash,
                                                          std::span<const Hash> proof) {
  if (index >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf index ", index, " out of range for tree size ", size));
  }
  const auto [inner, border] = DecomposeInclusionProof(index, size);
  if (proof.size() != static_cast<size_t>(inner + border)) {
    return absl::InvalidArgumentError(
        absl::StrCat("inclusion proof has ", proof.size(), " hashes, want ", inner + border));
  }
  const Hash hash = ChainInner(leaf_hash, proof.first(inner), index);
  return ChainBorderRight(hash, proof.subspan(inner));
}

[[nodiscard]] absl::Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                                           std::span<const Hash> proof, const Hash& root) {
  ASSIGN_OR_RETURN(Hash computed, RootFromInclusionProof(index, size, leaf_hash, proof));
  if (computed != root) return RootMismatch(computed, root);
  return absl::OkStatus();
}

// RFC 9162 section 2.1.4.2, in the form used by transparency-dev/merkle: the
// proof is an inclusion proof of leaf old_size - 1, shortened by the levels at
// which the old tree is a perfect subtree, and it yields both roots.
[[nodiscard]] absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                                             const Hash& old_root, const Hash& new_root,
                                             std::span<const Hash> proof) {
  if (old_size == 0 || old_size > new_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("consistency needs 0 < old size <= new size, got ", old_size, ", ", new_size));
  }
  if (old_size == new_size) {
    if (!proof.empty()) {
      return absl::InvalidArgumentError("consistency proof between equal sizes must be empty");
    }
    if (old_root != new_root) return RootMismatch(old_root, new_root);
    return absl::OkStatus();
  }
  auto [inner, border] = DecomposeInclusionProof(old_size - 1, new_size);
  const int shift = std::countr_zero(old_size);
  inner -= shift;
  // When the old tree is one perfect subtree its root is the seed and is not sent.
  const bool old_is_perfect = old_size == (uint64_t{1} << shift);
  const size_t start = old_is_perfect ? 0 : 1;
  if (proof.size() != start + inner + border) {
    return absl::InvalidArgumentError(absl::StrCat("consistency proof has ", proof.size(),
                                                   " hashes, want ", start + inner + border));
  }
  const Hash seed = old_is_perfect ? old_root : proof[0];
  proof = proof.subspan(start);
  const uint64_t mask = (old_size - 1) >> shift;

  Hash old_computed = ChainInnerRight(seed, proof.first(inner), mask);
  old_computed = ChainBorderRight(old_computed, proof.subspan(inner));
  if (old_computed != old_root) return RootMismatch(old_computed, old_root);

  Hash new_computed = ChainInner(seed, proof.first(inner), mask);
  new_computed = ChainBorderRight(new_computed, proof.subspan(inner));
  if (new_computed != new_root) return RootMismatch(new_computed, new_root);
  return absl::OkStatus();
}

}  // namespace touchstone
