// Tests for ledger/log/merkle.h: the transparency-dev/merkle vectors, the RFC 6962
// known answers, and generated trees checked against a naive RFC 9162 reference.
#include "ledger/log/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/compact_range.h"
#include "ledger/log/hash.h"

#ifndef TOUCHSTONE_MERKLE_VECTORS
#error "TOUCHSTONE_MERKLE_VECTORS must name the transparency-dev/merkle vector directory"
#endif

namespace touchstone {
namespace {

using ::absl::StatusCode;
using Json = ::nlohmann::json;

Hash FromHex(const std::string& hex) { return *HashFromBytes(absl::HexStringToBytes(hex)); }

// Naive RFC 9162 section 2.1 definitions over leaf hashes. Subtree roots are
// memoised by leaf range, which is sound: a subtree's root depends only on its leaves.
class ReferenceTree {
 public:
  explicit ReferenceTree(std::vector<Hash> leaves) : leaves_(std::move(leaves)) {}

  // MTH(D[begin:end]).
  Hash Mth(uint64_t begin, uint64_t end) {
    if (end == begin) return EmptyRoot();
    if (end - begin == 1) return leaves_[begin];
    auto it = memo_.find({begin, end});
    if (it != memo_.end()) return it->second;
    const uint64_t k = std::bit_floor(end - begin - 1);
    const Hash h = NodeHash(Mth(begin, begin + k), Mth(begin + k, end));
    memo_.emplace(std::make_pair(begin, end), h);
    return h;
  }

  // PATH(m, D[begin:end]).
  std::vector<Hash> Path(uint64_t m, uint64_t begin, uint64_t end) {
    if (end - begin <= 1) return {};
    const uint64_t k = std::bit_floor(end - begin - 1);
    std::vector<Hash> path = m < k ? Path(m, begin, begin + k) : Path(m - k, begin + k, end);
    path.push_back(m < k ? Mth(begin + k, end) : Mth(begin, begin + k));
    return path;
  }

  // SUBPROOF(m, D[begin:end], b).
  std::vector<Hash> Subproof(uint64_t m, uint64_t begin, uint64_t end, bool b) {
    if (m == end - begin) return b ? std::vector<Hash>{} : std::vector<Hash>{Mth(begin, end)};
    const uint64_t k = std::bit_floor(end - begin - 1);
    std::vector<Hash> proof =
        m <= k ? Subproof(m, begin, begin + k, b) : Subproof(m - k, begin + k, end, false);
    proof.push_back(m <= k ? Mth(begin + k, end) : Mth(begin, begin + k));
    return proof;
  }

 private:
  std::vector<Hash> leaves_;
  std::map<std::pair<uint64_t, uint64_t>, Hash> memo_;
};

// A tree built by CompactRange::Append; its node store holds what Append reported.
struct Tree {
  explicit Tree(std::vector<Hash> leaf_hashes) : leaves(std::move(leaf_hashes)), ref(leaves) {
    CompactRange range;
    roots.push_back(range.Root());
    for (const Hash& leaf : leaves) {
      std::vector<NewNode> out;
      range.Append(leaf, &out);
      for (const NewNode& node : out) nodes[{node.level, node.index}] = node.hash;
      roots.push_back(range.Root());
    }
  }

  // Serves only the nodes complete in the tree of `size` leaves; counts reads.
  NodeReader Reader(uint64_t size, int* reads = nullptr) const {
    return [this, size, reads](int level, uint64_t index) -> absl::StatusOr<Hash> {
      if (reads != nullptr) ++*reads;
      auto it = nodes.find({level, index});
      if (((index + 1) << level) > size || it == nodes.end()) {
        return absl::NotFoundError("node not in tree");
      }
      return it->second;
    };
  }

  std::vector<Hash> leaves;
  ReferenceTree ref;
  std::map<std::pair<int, uint64_t>, Hash> nodes;
  std::vector<Hash> roots;  // roots[n]: CompactRange::Root() after n appends.
};

// The eight RFC 6962 test leaves used by transparency-dev/merkle.
// Tests run on one thread; Tree is mutable only for the reference's memo.
Tree& KnownTree() {
  static Tree* tree = [] {
    std::vector<Hash> leaves;
    for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                            "606162636465666768696a6b6c6d6e6f"}) {
      leaves.push_back(LeafHash(absl::HexStringToBytes(hex)));
    }
    return new Tree(std::move(leaves));
  }();
  return *tree;
}

constexpr uint64_t kLargeSize = 4097;

Tree& RandomTree() {
  static Tree* tree = [] {
    std::mt19937_64 rng(20240611);
    std::vector<Hash> leaves;
    for (uint64_t i = 0; i < kLargeSize; ++i) {
      leaves.push_back(LeafHash(std::to_string(rng()) + "/" + std::to_string(i)));
    }
    return new Tree(std::move(leaves));
  }();
  return *tree;
}

NodeReader MustNotRead() {
  return [](int level, uint64_t index) -> absl::StatusOr<Hash> {
    ADD_FAILURE() << "unexpected read of node (" << level << ", " << index << ")";
    return absl::InternalError("unexpected read");
  };
}

// ---- transparency-dev/merkle vectors ----

// Every *.json file under TOUCHSTONE_MERKLE_VECTORS/<kind>, at any depth.
std::vector<std::filesystem::path> VectorFiles(const std::string& kind) {
  std::vector<std::filesystem::path> files;
  const std::filesystem::path dir = std::filesystem::path(TOUCHSTONE_MERKLE_VECTORS) / kind;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  return files;
}

bool AllowMissingShared() {
  const char* v = std::getenv("TOUCHSTONE_ALLOW_MISSING_SHARED");
  return v != nullptr && std::string(v) == "1";
}

[[nodiscard]] absl::StatusOr<uint64_t> ParseSize(const Json& j) {
  if (!j.is_number_unsigned()) return absl::InvalidArgumentError("not an unsigned integer");
  return j.get<uint64_t>();
}

// A leaf or proof hash: exactly 32 bytes of standard base64, or a parse failure.
[[nodiscard]] absl::StatusOr<Hash> ParseHash(const Json& j) {
  if (!j.is_string()) return absl::InvalidArgumentError("hash is not a string");
  return HashFromBase64(j.get<std::string>());
}

// A root. The Go verifier compares roots as opaque byte strings, and some vectors
// use short placeholders ("don't care"; one of them, sizes-are-equal-one-and-
// proof-is-empty, must verify). Such a root maps to SHA-256 of its bytes, which
// keeps equal placeholders equal and matches no real root.
[[nodiscard]] absl::StatusOr<Hash> ParseRoot(const Json& j) {
  std::string raw;
  if (!j.is_string() || !absl::Base64Unescape(j.get<std::string>(), &raw)) {
    return absl::InvalidArgumentError("root is not base64");
  }
  return raw.size() == 32 ? *HashFromBytes(raw) : Sha256(raw);
}

[[nodiscard]] absl::StatusOr<std::vector<Hash>> ParseProof(const Json& j) {
  std::vector<Hash> proof;
  if (j.is_null()) return proof;
  if (!j.is_array()) return absl::InvalidArgumentError("proof is not an array");
  for (const Json& h : j) {
    absl::StatusOr<Hash> hash = ParseHash(h);
    if (!hash.ok()) return hash.status();
    proof.push_back(*hash);
  }
  return proof;
}

struct VectorCounts {
  int accepted = 0;
  int rejected = 0;
  int matched_generated = 0;  // accepted vectors whose proof we also generated
};

[[nodiscard]] absl::Status CheckInclusionVector(const Json& v, VectorCounts* counts) {
  ASSIGN_OR_RETURN(const uint64_t index, ParseSize(v.value("leafIdx", Json())));
  ASSIGN_OR_RETURN(const uint64_t size, ParseSize(v.value("treeSize", Json())));
  ASSIGN_OR_RETURN(const Hash root, ParseRoot(v.value("root", Json())));
  ASSIGN_OR_RETURN(const Hash leaf, ParseHash(v.value("leafHash", Json())));
  ASSIGN_OR_RETURN(const std::vector<Hash> proof, ParseProof(v.value("proof", Json())));
  absl::Status status = VerifyInclusion(index, size, leaf, proof, root);
  Tree& known = KnownTree();
  if (status.ok() && size <= known.leaves.size() && root == known.roots[size]) {
    EXPECT_EQ(InclusionProof(index, size, known.Reader(size)).value(), proof);
    ++counts->matched_generated;
  }
  return status;
}

[[nodiscard]] absl::Status CheckConsistencyVector(const Json& v, VectorCounts* counts) {
  ASSIGN_OR_RETURN(const uint64_t size1, ParseSize(v.value("size1", Json())));
  ASSIGN_OR_RETURN(const uint64_t size2, ParseSize(v.value("size2", Json())));
  ASSIGN_OR_RETURN(const Hash root1, ParseRoot(v.value("root1", Json())));
  ASSIGN_OR_RETURN(const Hash root2, ParseRoot(v.value("root2", Json())));
  ASSIGN_OR_RETURN(const std::vector<Hash> proof, ParseProof(v.value("proof", Json())));
  absl::Status status = VerifyConsistency(size1, size2, root1, root2, proof);
  Tree& known = KnownTree();
  if (status.ok() && size2 <= known.leaves.size() && root2 == known.roots[size2]) {
    EXPECT_EQ(ConsistencyProof(size1, size2, known.Reader(size2)).value(), proof);
    ++counts->matched_generated;
  }
  return status;
}

// Runs `check` on every vector of `kind`; wantErr vectors must be rejected
// (by a parse failure or by the verifier) and all others must verify.
void CheckVectors(const std::string& kind, absl::Status (*check)(const Json&, VectorCounts*)) {
  const std::vector<std::filesystem::path> files = VectorFiles(kind);
  if (files.empty() && AllowMissingShared()) {
    GTEST_SKIP() << "no vectors under " << TOUCHSTONE_MERKLE_VECTORS;
  }
  // transparency-dev/merkle ships 98 vectors of each kind.
  ASSERT_GE(files.size(), 90u) << "missing " << kind << " vectors under "
                               << TOUCHSTONE_MERKLE_VECTORS
                               << " (set TOUCHSTONE_ALLOW_MISSING_SHARED=1 to skip)";
  VectorCounts counts;
  for (const std::filesystem::path& file : files) {
    SCOPED_TRACE(file.string());
    std::ifstream in(file);
    const Json v = Json::parse(in, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(v.is_object()) << "not a JSON object";
    ASSERT_TRUE(v.contains("wantErr") && v["wantErr"].is_boolean());
    const absl::Status status = check(v, &counts);
    if (v["wantErr"].get<bool>()) {
      EXPECT_FALSE(status.ok()) << v.value("desc", "") << " was accepted";
      ++counts.rejected;
    } else {
      EXPECT_TRUE(status.ok()) << v.value("desc", "") << ": " << status;
      ++counts.accepted;
    }
  }
  EXPECT_GE(counts.accepted, 5);
  EXPECT_GE(counts.rejected, 80);
  EXPECT_GE(counts.matched_generated, 4);
  std::cout << "[ vectors  ] " << files.size() << " " << kind << " files\n";
}

TEST(MerkleTest, InclusionVectorsAreAcceptedOrRejectedAsTheyExpect) {
  CheckVectors("inclusion", CheckInclusionVector);
}

TEST(MerkleTest, ConsistencyVectorsAreAcceptedOrRejectedAsTheyExpect) {
  CheckVectors("consistency", CheckConsistencyVector);
}

// ---- known answers ----

TEST(MerkleTest, RootsOfTheRfc6962LeavesMatchPublishedValues) {
  const std::vector<Hash> want = {
      FromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
      FromHex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
      FromHex("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
      FromHex("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
      FromHex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
      FromHex("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
      FromHex("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
      FromHex("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
      FromHex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
  };
  Tree& tree = KnownTree();
  EXPECT_EQ(want[0], Sha256(""));
  for (uint64_t n = 0; n <= 8; ++n) {
    SCOPED_TRACE(n);
    const std::span<const Hash> leaves(tree.leaves.data(), n);
    EXPECT_EQ(RootFromLeafHashes(leaves), want[n]);
    EXPECT_EQ(RootFromNodes(n, tree.Reader(n)).value(), want[n]);
    EXPECT_EQ(tree.roots[n], want[n]);
    EXPECT_EQ(tree.ref.Mth(0, n), want[n]);
  }
}

TEST(MerkleTest, ProofsOfTheRfc6962LeavesMatchPublishedValues) {
  Tree& tree = KnownTree();
  const std::vector<Hash> inclusion_5_of_8 = {
      FromHex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
      FromHex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
      FromHex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")};
  EXPECT_EQ(InclusionProof(5, 8, tree.Reader(8)).value(), inclusion_5_of_8);
  EXPECT_TRUE(VerifyInclusion(5, 8, tree.leaves[5], inclusion_5_of_8, tree.roots[8]).ok());
  const std::vector<Hash> consistency_6_to_8 = {
      FromHex("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
      FromHex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
      FromHex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")};
  EXPECT_EQ(ConsistencyProof(6, 8, tree.Reader(8)).value(), consistency_6_to_8);
  EXPECT_TRUE(VerifyConsistency(6, 8, tree.roots[6], tree.roots[8], consistency_6_to_8).ok());
  const std::vector<Hash> consistency_2_to_5 = {
      FromHex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      FromHex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")};
  EXPECT_EQ(ConsistencyProof(2, 5, tree.Reader(5)).value(), consistency_2_to_5);
  EXPECT_TRUE(VerifyConsistency(2, 5, tree.roots[2], tree.roots[5], consistency_2_to_5).ok());
}

// ---- generated trees ----

TEST(MerkleTest, RootsFromNodesLeavesAndCompactRangeAgree) {
  Tree& tree = RandomTree();
  for (uint64_t n = 0; n <= kLargeSize; ++n) {
    SCOPED_TRACE(n);
    const Hash want = tree.ref.Mth(0, n);
    ASSERT_EQ(tree.roots[n], want);
    ASSERT_EQ(RootFromNodes(n, tree.Reader(n)).value(), want);
    if (n <= 300 || n % 97 == 0 || n + 3 >= kLargeSize) {
      ASSERT_EQ(RootFromLeafHashes(std::span<const Hash>(tree.leaves.data(), n)), want);
    }
  }
}

void ExpectInclusionProofMatchesReference(Tree& tree, uint64_t index, uint64_t size) {
  SCOPED_TRACE(testing::Message() << "index " << index << " size " << size);
  const absl::StatusOr<std::vector<Hash>> proof = InclusionProof(index, size, tree.Reader(size));
  ASSERT_TRUE(proof.ok()) << proof.status();
  ASSERT_EQ(*proof, tree.ref.Path(index, 0, size));
  ASSERT_EQ(RootFromInclusionProof(index, size, tree.leaves[index], *proof).value(),
            tree.roots[size]);
  ASSERT_TRUE(VerifyInclusion(index, size, tree.leaves[index], *proof, tree.roots[size]).ok());
}

void ExpectConsistencyProofMatchesReference(Tree& tree, uint64_t m, uint64_t n) {
  SCOPED_TRACE(testing::Message() << "sizes " << m << " -> " << n);
  const absl::StatusOr<std::vector<Hash>> proof = ConsistencyProof(m, n, tree.Reader(n));
  ASSERT_TRUE(proof.ok()) << proof.status();
  ASSERT_EQ(*proof, tree.ref.Subproof(m, 0, n, true));
  const absl::Status status = VerifyConsistency(m, n, tree.roots[m], tree.roots[n], *proof);
  ASSERT_TRUE(status.ok()) << status;
}

TEST(MerkleTest, InclusionProofVerifiesForEveryLeaf) {
  Tree& tree = RandomTree();
  for (uint64_t size = 1; size <= 130; ++size) {
    for (uint64_t index = 0; index < size; ++index) {
      ExpectInclusionProofMatchesReference(tree, index, size);
    }
  }
  for (uint64_t size : {kLargeSize - 2, kLargeSize - 1, kLargeSize}) {
    for (uint64_t index = 0; index < size; index += 29) {
      ExpectInclusionProofMatchesReference(tree, index, size);
    }
    ExpectInclusionProofMatchesReference(tree, size - 1, size);
  }
}

TEST(MerkleTest, ConsistencyProofVerifiesForEverySizePair) {
  Tree& tree = RandomTree();
  for (uint64_t n = 1; n <= 130; ++n) {
    for (uint64_t m = 1; m <= n; ++m) ExpectConsistencyProofMatchesReference(tree, m, n);
  }
  for (uint64_t n : {kLargeSize - 2, kLargeSize - 1, kLargeSize}) {
    for (uint64_t m = 1; m <= n; m += 31) ExpectConsistencyProofMatchesReference(tree, m, n);
    ExpectConsistencyProofMatchesReference(tree, n - 1, n);
    ExpectConsistencyProofMatchesReference(tree, n, n);
  }
}

TEST(MerkleTest, ProofGenerationReadsLogarithmicallyManyNodes) {
  const Tree& tree = RandomTree();
  for (uint64_t n : {kLargeSize - 2, kLargeSize - 1, kLargeSize}) {
    const int bound = 2 * std::bit_width(n) + 2;
    for (uint64_t i = 0; i < n; ++i) {
      int reads = 0;
      ASSERT_TRUE(InclusionProof(i, n, tree.Reader(n, &reads)).ok());
      ASSERT_LE(reads, bound) << "inclusion proof of " << i << " in " << n;
      reads = 0;
      ASSERT_TRUE(ConsistencyProof(i + 1, n, tree.Reader(n, &reads)).ok());
      ASSERT_LE(reads, bound) << "consistency proof " << i + 1 << " -> " << n;
    }
    int reads = 0;
    ASSERT_TRUE(RootFromNodes(n, tree.Reader(n, &reads)).ok());
    EXPECT_EQ(reads, std::popcount(n));
  }
}

// Sizes and indices whose proofs get tampered with.
const std::vector<std::pair<uint64_t, uint64_t>>& TamperSamples() {
  static const auto* samples = new std::vector<std::pair<uint64_t, uint64_t>>{
      {0, 2},     {1, 2},       {2, 3},       {3, 7},       {4, 5},
      {5, 8},     {7, 8},       {6, 13},      {63, 64},     {64, 100},
      {100, 129}, {1000, 4096}, {2048, 4097}, {4094, 4095}, {4095, 4097}};
  return *samples;
}

Hash FlipBit(Hash h, int bit) {
  h[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
  return h;
}

TEST(MerkleTest, TamperedInclusionProofsAreRejected) {
  const Tree& tree = RandomTree();
  for (const auto& [index, size] : TamperSamples()) {
    SCOPED_TRACE(testing::Message() << "index " << index << " size " << size);
    const std::vector<Hash> proof = InclusionProof(index, size, tree.Reader(size)).value();
    const Hash& leaf = tree.leaves[index];
    const Hash& root = tree.roots[size];
    ASSERT_TRUE(VerifyInclusion(index, size, leaf, proof, root).ok());
    for (size_t i = 0; i < proof.size(); ++i) {
      for (int bit = 0; bit < 256; ++bit) {
        std::vector<Hash> bad = proof;
        bad[i] = FlipBit(bad[i], bit);
        ASSERT_EQ(VerifyInclusion(index, size, leaf, bad, root).code(),
                  StatusCode::kFailedPrecondition);
      }
    }
    EXPECT_EQ(VerifyInclusion(index, size, FlipBit(leaf, 3), proof, root).code(),
              StatusCode::kFailedPrecondition);
    EXPECT_EQ(VerifyInclusion(index, size, leaf, proof, FlipBit(root, 200)).code(),
              StatusCode::kFailedPrecondition);
    std::vector<Hash> truncated(proof.begin(), proof.end() - 1);
    EXPECT_EQ(VerifyInclusion(index, size, leaf, truncated, root).code(),
              StatusCode::kInvalidArgument);
    std::vector<Hash> extended = proof;
    extended.push_back(root);
    EXPECT_EQ(VerifyInclusion(index, size, leaf, extended, root).code(),
              StatusCode::kInvalidArgument);
    EXPECT_FALSE(VerifyInclusion(index ^ 1, size, leaf, proof, root).ok());
    if (index > 0) {
      EXPECT_FALSE(VerifyInclusion(index - 1, size, leaf, proof, root).ok());
    }
    EXPECT_EQ(VerifyInclusion(size, size, leaf, proof, root).code(), StatusCode::kInvalidArgument);
    // A wrong size is checked with that size's root: the proof binds to a root,
    // and the tree sizes of one shape (e.g. 3 and 4 for leaf 0) share the arithmetic.
    if (size < kLargeSize) {
      const Hash& bigger = tree.roots[size + 1];
      EXPECT_FALSE(VerifyInclusion(index, size + 1, leaf, proof, bigger).ok());
    }
    if (index + 1 < size) {
      const Hash& smaller = tree.roots[size - 1];
      EXPECT_FALSE(VerifyInclusion(index, size - 1, leaf, proof, smaller).ok());
    }
    EXPECT_FALSE(VerifyInclusion(index, size, leaf, proof, tree.roots[size - 1]).ok());
  }
}

TEST(MerkleTest, TamperedConsistencyProofsAreRejected) {
  const Tree& tree = RandomTree();
  for (const auto& [index, n] : TamperSamples()) {
    const uint64_t m = index + 1;  // old sizes 1 .. n
    if (m == n) continue;
    SCOPED_TRACE(testing::Message() << "sizes " << m << " -> " << n);
    const std::vector<Hash> proof = ConsistencyProof(m, n, tree.Reader(n)).value();
    const Hash& r1 = tree.roots[m];
    const Hash& r2 = tree.roots[n];
    ASSERT_TRUE(VerifyConsistency(m, n, r1, r2, proof).ok());
    for (size_t i = 0; i < proof.size(); ++i) {
      for (int bit = 0; bit < 256; ++bit) {
        std::vector<Hash> bad = proof;
        bad[i] = FlipBit(bad[i], bit);
        ASSERT_EQ(VerifyConsistency(m, n, r1, r2, bad).code(), StatusCode::kFailedPrecondition);
      }
    }
    EXPECT_EQ(VerifyConsistency(m, n, FlipBit(r1, 7), r2, proof).code(),
              StatusCode::kFailedPrecondition);
    EXPECT_EQ(VerifyConsistency(m, n, r1, FlipBit(r2, 100), proof).code(),
              StatusCode::kFailedPrecondition);
    EXPECT_FALSE(VerifyConsistency(m, n, r2, r1, proof).ok());
    std::vector<Hash> truncated(proof.begin(), proof.end() - 1);
    EXPECT_EQ(VerifyConsistency(m, n, r1, r2, truncated).code(), StatusCode::kInvalidArgument);
    std::vector<Hash> extended = proof;
    extended.push_back(r1);
    EXPECT_EQ(VerifyConsistency(m, n, r1, r2, extended).code(), StatusCode::kInvalidArgument);
    // Wrong sizes, each with its own root (see TamperedInclusionProofsAreRejected).
    EXPECT_FALSE(VerifyConsistency(m + 1, n, tree.roots[m + 1], r2, proof).ok());
    if (m > 1) {
      EXPECT_FALSE(VerifyConsistency(m - 1, n, tree.roots[m - 1], r2, proof).ok());
    }
    if (n < kLargeSize) {
      EXPECT_FALSE(VerifyConsistency(m, n + 1, r1, tree.roots[n + 1], proof).ok());
    }
    EXPECT_FALSE(VerifyConsistency(m, n - 1, r1, tree.roots[n - 1], proof).ok());
    EXPECT_EQ(VerifyConsistency(n, n, r1, r2, {}).code(), StatusCode::kFailedPrecondition);
  }
}

TEST(MerkleTest, MalformedRequestsAreInvalidArguments) {
  const Hash r = RandomTree().roots[5];
  EXPECT_EQ(InclusionProof(5, 5, MustNotRead()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(0, 0, MustNotRead()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(0, 5, MustNotRead()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(6, 5, MustNotRead()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(5, 5, MustNotRead()).value(), std::vector<Hash>{});
  EXPECT_EQ(InclusionProof(0, 1, MustNotRead()).value(), std::vector<Hash>{});
  EXPECT_EQ(RootFromNodes(0, MustNotRead()).value(), EmptyRoot());
  EXPECT_EQ(RootFromInclusionProof(0, 0, r, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RootFromInclusionProof(0, 1, r, {}).value(), r);
  EXPECT_EQ(VerifyConsistency(0, 0, r, r, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(0, 5, EmptyRoot(), r, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(6, 5, r, r, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(3, 5, r, r, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(VerifyConsistency(5, 5, r, r, {}).ok());
  const std::vector<Hash> one = {r};
  EXPECT_EQ(VerifyConsistency(5, 5, r, r, one).code(), StatusCode::kInvalidArgument);
}

TEST(MerkleTest, ReaderErrorsArePropagated) {
  const NodeReader broken = [](int, uint64_t) -> absl::StatusOr<Hash> {
    return absl::UnavailableError("disk on fire");
  };
  EXPECT_EQ(RootFromNodes(10, broken).status(), absl::UnavailableError("disk on fire"));
  EXPECT_EQ(InclusionProof(3, 10, broken).status(), absl::UnavailableError("disk on fire"));
  EXPECT_EQ(ConsistencyProof(3, 10, broken).status(), absl::UnavailableError("disk on fire"));
  // A store that lacks nodes of the requested tree reports NOT_FOUND.
  const Tree& tree = RandomTree();
  EXPECT_EQ(InclusionProof(0, 8, tree.Reader(5)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ConsistencyProof(2, 8, tree.Reader(5)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(RootFromNodes(8, tree.Reader(5)).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace touchstone
