// Tests for C2SP checkpoints and tlog-proof files, including offline
// verification against small trees whose roots and proofs are built by hand.
#include "ledger/log/checkpoint.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/log/hash.h"
#include "ledger/log/note.h"

namespace touchstone {
namespace {

constexpr char kOrigin[] = "touchstone.example/ledger";

NoteSigner MakeSigner(const std::string& name) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  EXPECT_TRUE(key.ok()) << key.status();
  absl::StatusOr<NoteSigner> signer = NoteSigner::Create(name, *std::move(key));
  EXPECT_TRUE(signer.ok()) << signer.status();
  return *std::move(signer);
}

NoteVerifier VerifierOf(const NoteSigner& signer) {
  absl::StatusOr<NoteVerifier> v = NoteVerifier::Parse(signer.VerifierKey());
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

std::string SignedCheckpoint(const NoteSigner& signer, const Checkpoint& cp) {
  absl::StatusOr<std::string> note = signer.Sign(cp.ToText());
  EXPECT_TRUE(note.ok()) << note.status();
  return *note;
}

Hash SomeHash(char fill) { return Sha256(std::string(5, fill)); }

TEST(CheckpointTest, TextRoundTripsWithExtensions) {
  Checkpoint cp;
  cp.origin = kOrigin;
  cp.size = 1234;
  cp.root = SomeHash('r');
  cp.extensions = {"ext one", "\xE2\x80\x94 looks like a signature but is an extension"};
  const std::string text = cp.ToText();
  EXPECT_EQ(text, absl::StrCat(kOrigin, "\n1234\n", HashToBase64(cp.root), "\next one\n",
                               cp.extensions[1], "\n"));
  absl::StatusOr<Checkpoint> back = Checkpoint::FromText(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->origin, cp.origin);
  EXPECT_EQ(back->size, cp.size);
  EXPECT_EQ(back->root, cp.root);
  EXPECT_EQ(back->extensions, cp.extensions);
  EXPECT_EQ(back->ToText(), text);

  cp.extensions.clear();
  cp.size = 0;
  back = Checkpoint::FromText(cp.ToText());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->size, 0u);
  EXPECT_TRUE(back->extensions.empty());

  back =
      Checkpoint::FromText(absl::StrCat("o\n18446744073709551615\n", HashToBase64(cp.root), "\n"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->size, UINT64_MAX);
}

TEST(CheckpointTest, MalformedTextIsInvalidArgument) {
  const std::string root = HashToBase64(SomeHash('r'));
  std::string root_bad_bits = root;
  root_bad_bits[root_bad_bits.size() - 2] = 'B';  // non-zero padding bits: not canonical
  const std::vector<std::string> bad = {
      "",
      absl::StrCat("o\n01\n", root, "\n"),  // leading zero
      absl::StrCat("o\n00\n", root, "\n"),
      absl::StrCat("o\n1a\n", root, "\n"),  // not decimal
      absl::StrCat("o\n-1\n", root, "\n"),
      absl::StrCat("o\n+1\n", root, "\n"),
      absl::StrCat("o\n 1\n", root, "\n"),
      absl::StrCat("o\n0x10\n", root, "\n"),
      absl::StrCat("o\n\n", root, "\n"),                              // empty size
      absl::StrCat("o\n18446744073709551616\n", root, "\n"),          // overflows uint64
      "o\n1\nnot*base64\n",                                           // bad base64 root
      absl::StrCat("o\n1\n", root.substr(0, root.size() - 1), "\n"),  // missing padding
      absl::StrCat("o\n1\n", root_bad_bits, "\n"),
      absl::StrCat("o\n1\n", absl::Base64Escape(std::string(31, 'x')), "\n"),  // 31 bytes
      "o\n1\n",                                                                // missing root line
      "o\n",                                      // missing size and root
      absl::StrCat("\n1\n", root, "\n"),          // empty origin
      absl::StrCat("o\n1\n", root),               // no final newline
      absl::StrCat("o\n1\n", root, "\next\n\n"),  // empty extension line
  };
  for (const std::string& text : bad) {
    EXPECT_EQ(Checkpoint::FromText(text).status().code(), absl::StatusCode::kInvalidArgument)
        << text;
  }
}

TEST(CheckpointTest, VerifyCheckpointAcceptsTheLogKeyOnly) {
  const NoteSigner log = MakeSigner(kOrigin);
  Checkpoint cp{kOrigin, 7, SomeHash('x'), {"ext"}};
  const std::string note = SignedCheckpoint(log, cp);
  absl::StatusOr<Checkpoint> got = VerifyCheckpoint(note, VerifierOf(log));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size, 7u);
  EXPECT_EQ(got->root, cp.root);
  EXPECT_EQ(got->extensions, cp.extensions);

  // Same origin, another key.
  const NoteSigner impostor = MakeSigner(kOrigin);
  EXPECT_EQ(VerifyCheckpoint(SignedCheckpoint(impostor, cp), VerifierOf(log)).status().code(),
            absl::StatusCode::kPermissionDenied);
  // A malformed checkpoint text, validly signed.
  absl::StatusOr<std::string> junk = log.Sign(absl::StrCat(kOrigin, "\n07\nAAAA\n"));
  ASSERT_TRUE(junk.ok());
  EXPECT_EQ(VerifyCheckpoint(*junk, VerifierOf(log)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CheckpointTest, VerifyCheckpointFailsWhenKeyNameIsNotOrigin) {
  const NoteSigner other_name = MakeSigner("someone.else/log");
  Checkpoint cp{kOrigin, 3, SomeHash('y'), {}};
  absl::StatusOr<Checkpoint> got =
      VerifyCheckpoint(SignedCheckpoint(other_name, cp), VerifierOf(other_name));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kPermissionDenied);
}

// A hand-built tree: leaf hashes and RFC 9162 roots from LeafHash/NodeHash only.
struct SmallTree {
  std::vector<std::string> entries;
  Hash root;
  std::vector<std::vector<Hash>> proofs;  // proofs[i] for leaf i
};

SmallTree TwoLeafTree() {
  SmallTree t;
  t.entries = {"entry zero", "entry one"};
  const Hash h0 = LeafHash(t.entries[0]), h1 = LeafHash(t.entries[1]);
  t.root = NodeHash(h0, h1);
  t.proofs = {{h1}, {h0}};
  return t;
}

SmallTree ThreeLeafTree() {
  SmallTree t;
  t.entries = {"alpha", "beta", "gamma"};
  const Hash h0 = LeafHash(t.entries[0]), h1 = LeafHash(t.entries[1]), h2 = LeafHash(t.entries[2]);
  const Hash h01 = NodeHash(h0, h1);
  t.root = NodeHash(h01, h2);  // split at k = 2
  t.proofs = {{h1, h2}, {h0, h2}, {h01}};
  return t;
}

TlogProof ProofFor(const SmallTree& t, uint64_t index, const NoteSigner& log) {
  TlogProof proof;
  proof.index = index;
  proof.hashes = t.proofs[index];
  proof.checkpoint_note = SignedCheckpoint(log, Checkpoint{kOrigin, t.entries.size(), t.root, {}});
  return proof;
}

TEST(TlogProofTest, TextRoundTripsWithAndWithoutExtraLine) {
  const NoteSigner log = MakeSigner(kOrigin);
  TlogProof proof = ProofFor(ThreeLeafTree(), 1, log);
  std::string text = proof.ToText();
  EXPECT_EQ(text, absl::StrCat("c2sp.org/tlog-proof@v1\nindex 1\n", HashToBase64(proof.hashes[0]),
                               "\n", HashToBase64(proof.hashes[1]), "\n\n", proof.checkpoint_note));
  absl::StatusOr<TlogProof> back = TlogProof::FromText(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->extra.has_value());
  EXPECT_EQ(back->index, 1u);
  EXPECT_EQ(back->hashes, proof.hashes);
  EXPECT_EQ(back->checkpoint_note, proof.checkpoint_note);
  EXPECT_EQ(back->ToText(), text);

  proof.extra = std::string("opaque\0bytes", 12);
  text = proof.ToText();
  EXPECT_NE(text.find("\nextra " + absl::Base64Escape(*proof.extra) + "\nindex 1\n"),
            std::string::npos);
  back = TlogProof::FromText(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->extra, proof.extra);
  EXPECT_EQ(back->ToText(), text);

  // A one-leaf tree has an empty proof: the blank line follows the index line.
  SmallTree one;
  one.entries = {"only"};
  one.root = LeafHash("only");
  one.proofs = {{}};
  proof = ProofFor(one, 0, log);
  back = TlogProof::FromText(proof.ToText());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->hashes.empty());
  EXPECT_TRUE(VerifyTlogProof(*back, "only", VerifierOf(log)).ok());
}

TEST(TlogProofTest, ParseRejectsMalformedFiles) {
  const NoteSigner log = MakeSigner(kOrigin);
  const TlogProof proof = ProofFor(ThreeLeafTree(), 2, log);
  const std::string hash = HashToBase64(proof.hashes[0]);
  const std::string& note = proof.checkpoint_note;
  std::string too_many = "c2sp.org/tlog-proof@v1\nindex 0\n";
  for (int i = 0; i < 65; ++i) too_many += hash + "\n";
  too_many += "\n" + note;
  const std::vector<std::string> bad = {
      "",
      absl::StrCat("c2sp.org/tlog-proof@v2\nindex 2\n", hash, "\n\n", note),   // header
      absl::StrCat("c2sp.org/tlog-proof@v1\n", hash, "\n\n", note),            // no index
      absl::StrCat("c2sp.org/tlog-proof@v1\nindex 02\n", hash, "\n\n", note),  // leading zero
      absl::StrCat("c2sp.org/tlog-proof@v1\nindex two\n", hash, "\n\n", note),
      absl::StrCat("c2sp.org/tlog-proof@v1\nindex  2\n", hash, "\n\n", note),
      absl::StrCat("c2sp.org/tlog-proof@v1\nextra *\nindex 2\n", hash, "\n\n", note),
      absl::StrCat("c2sp.org/tlog-proof@v1\nindex 2\nextra AAAA\n", hash, "\n\n", note),
      absl::StrCat("c2sp.org/tlog-proof@v1\nindex 2\n", hash.substr(4), "\n\n", note),
      absl::StrCat("c2sp.org/tlog-proof@v1\nindex 2\n", hash, "\n"),        // no checkpoint
      absl::StrCat("c2sp.org/tlog-proof@v1\nindex 2\n", hash, "\n", note),  // no blank line
      absl::StrCat("c2sp.org/tlog-proof@v1\nindex 2\n", hash, "\n\n",
                   note.substr(0, note.size() - 1)),  // truncated note
      absl::StrCat("c2sp.org/tlog-proof@v1\nindex 2\n", hash, "\n\nnot\na\ncheckpoint\n\n",
                   note.substr(note.find("\xE2\x80\x94"))),  // bad checkpoint
      too_many,
  };
  for (const std::string& text : bad) {
    EXPECT_EQ(TlogProof::FromText(text).status().code(), absl::StatusCode::kInvalidArgument)
        << text;
  }
}

TEST(TlogProofTest, VerifiesEveryLeafOfHandBuiltTwoAndThreeLeafTrees) {
  const NoteSigner log = MakeSigner(kOrigin);
  for (const SmallTree& t : {TwoLeafTree(), ThreeLeafTree()}) {
    for (uint64_t i = 0; i < t.entries.size(); ++i) {
      // Through the file format, as a third party would receive it.
      absl::StatusOr<TlogProof> proof = TlogProof::FromText(ProofFor(t, i, log).ToText());
      ASSERT_TRUE(proof.ok()) << proof.status();
      absl::StatusOr<Checkpoint> cp = VerifyTlogProof(*proof, t.entries[i], VerifierOf(log));
      ASSERT_TRUE(cp.ok()) << "size " << t.entries.size() << " leaf " << i << ": " << cp.status();
      EXPECT_EQ(cp->size, t.entries.size());
      EXPECT_EQ(cp->root, t.root);
    }
  }
}

TEST(TlogProofTest, RejectsTamperedEntryProofOrForeignCheckpoint) {
  const NoteSigner log = MakeSigner(kOrigin);
  const SmallTree t = ThreeLeafTree();
  const NoteVerifier verifier = VerifierOf(log);
  const TlogProof good = ProofFor(t, 0, log);
  ASSERT_TRUE(VerifyTlogProof(good, t.entries[0], verifier).ok());

  std::string entry = t.entries[0];
  entry[2] ^= 0x01;
  EXPECT_EQ(VerifyTlogProof(good, entry, verifier).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(VerifyTlogProof(good, t.entries[1], verifier).status().code(),
            absl::StatusCode::kFailedPrecondition);

  TlogProof tampered = good;
  tampered.hashes[1][7] ^= 0x01;
  EXPECT_EQ(VerifyTlogProof(tampered, t.entries[0], verifier).status().code(),
            absl::StatusCode::kFailedPrecondition);

  TlogProof wrong_index = good;
  wrong_index.index = 1;
  EXPECT_FALSE(VerifyTlogProof(wrong_index, t.entries[0], verifier).ok());
  wrong_index.index = 3;  // past the end of the tree
  EXPECT_EQ(VerifyTlogProof(wrong_index, t.entries[0], verifier).status().code(),
            absl::StatusCode::kInvalidArgument);

  TlogProof short_proof = good;
  short_proof.hashes.pop_back();
  EXPECT_EQ(VerifyTlogProof(short_proof, t.entries[0], verifier).status().code(),
            absl::StatusCode::kInvalidArgument);

  // The same checkpoint signed by another key claiming the same origin.
  const NoteSigner impostor = MakeSigner(kOrigin);
  TlogProof foreign = good;
  foreign.checkpoint_note = SignedCheckpoint(impostor, Checkpoint{kOrigin, 3, t.root, {}});
  EXPECT_EQ(VerifyTlogProof(foreign, t.entries[0], verifier).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace touchstone
