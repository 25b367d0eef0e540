// Tests for C2SP signed notes: the public known-answer vectors byte for byte,
// key strings, and rejection of malformed or wrongly signed notes.
#include "ledger/log/note.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/log/hash.h"

namespace touchstone {
namespace {

// From the C2SP signed-note spec and golang.org/x/mod/sumdb/note.
constexpr char kExampleVkey[] =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
constexpr char kExampleText[] = "This is an example message.\n";
constexpr char kExampleSigLine[] =
    "\xE2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
    "\n";

constexpr char kNeumannSkey[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr char kNeumannVkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr char kNeumannText[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr char kNeumannSigLine[] =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
    "\n";

std::string ExampleNote() { return absl::StrCat(kExampleText, "\n", kExampleSigLine); }

NoteVerifier ExampleVerifier() {
  absl::StatusOr<NoteVerifier> v = NoteVerifier::Parse(kExampleVkey);
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

NoteSigner FreshSigner(const std::string& name) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  EXPECT_TRUE(key.ok()) << key.status();
  absl::StatusOr<NoteSigner> signer = NoteSigner::Create(name, *std::move(key));
  EXPECT_TRUE(signer.ok()) << signer.status();
  return *std::move(signer);
}

TEST(NoteTest, ExampleVerifierKeyVerifiesTheSpecExampleNote) {
  const NoteVerifier v = ExampleVerifier();
  EXPECT_EQ(v.name, "example.com/foo");
  EXPECT_EQ(v.key_id, 0x530d903au);
  absl::StatusOr<std::string> text = VerifyNote(ExampleNote(), v);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, kExampleText);
  EXPECT_EQ(FormatVerifierKey(v.name, v.key), kExampleVkey);
}

TEST(NoteTest, OneByteChangeToTextOrSignatureIsRejected) {
  const NoteVerifier v = ExampleVerifier();
  std::string note = ExampleNote();
  note[0] = 't';
  EXPECT_EQ(VerifyNote(note, v).status().code(), absl::StatusCode::kPermissionDenied);

  // Flip one base64 character well inside the signature (past the key ID).
  note = ExampleNote();
  const size_t pos = note.find("Uw2QOkn8") + 40;
  note[pos] = note[pos] == 'A' ? 'B' : 'A';
  EXPECT_EQ(VerifyNote(note, v).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(NoteTest, ExtraLineFromUnknownSignerIsIgnored) {
  const NoteVerifier v = ExampleVerifier();
  const std::string unknown = absl::StrCat("\xE2\x80\x94 other.example/witness ",
                                           absl::Base64Escape(std::string(68, '\x5a')), "\n");
  absl::StatusOr<std::string> text = VerifyNote(ExampleNote() + unknown, v);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, kExampleText);
  text = VerifyNote(absl::StrCat(kExampleText, "\n", unknown, kExampleSigLine), v);
  EXPECT_TRUE(text.ok()) << text.status();
}

TEST(NoteTest, SignsPeterNeumannVectorByteForByte) {
  absl::StatusOr<NoteSigner> signer = NoteSigner::ParsePrivateKey(kNeumannSkey);
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ(signer->name(), "PeterNeumann");
  EXPECT_EQ(signer->key_id(), 0xc74f20a3u);
  absl::StatusOr<std::string> line = signer->SignatureLine(kNeumannText);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, kNeumannSigLine);
  absl::StatusOr<std::string> note = signer->Sign(kNeumannText);
  ASSERT_TRUE(note.ok()) << note.status();
  EXPECT_EQ(*note, absl::StrCat(kNeumannText, "\n", kNeumannSigLine));
}

TEST(NoteTest, PeterNeumannVerifierKeyRoundTrips) {
  absl::StatusOr<NoteSigner> signer = NoteSigner::ParsePrivateKey(kNeumannSkey);
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ(signer->VerifierKey(), kNeumannVkey);
  absl::StatusOr<NoteVerifier> v = NoteVerifier::Parse(signer->VerifierKey());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(FormatVerifierKey(v->name, v->key), kNeumannVkey);
  EXPECT_EQ(v->key.raw(), signer->key().public_key().raw());
  absl::StatusOr<std::string> text =
      VerifyNote(absl::StrCat(kNeumannText, "\n", kNeumannSigLine), *v);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, kNeumannText);
}

TEST(NoteTest, KeyIdIsFirstFourBytesOfSha256OfNameNewlineTypeAndKey) {
  const NoteVerifier v = ExampleVerifier();
  const Hash digest = Sha256(absl::StrCat("example.com/foo\n\x01", v.key.raw()));
  const uint32_t want = (uint32_t{digest[0]} << 24) | (uint32_t{digest[1]} << 16) |
                        (uint32_t{digest[2]} << 8) | uint32_t{digest[3]};
  EXPECT_EQ(NoteKeyId("example.com/foo", kNoteTypeEd25519, v.key.raw()), want);
  EXPECT_EQ(want, 0x530d903au);
}

TEST(NoteTest, CosignatureKeyIdUsesTypeByte04AndDiffersFromEd25519) {
  const NoteVerifier v = ExampleVerifier();
  const uint32_t cosig = NoteKeyId(v.name, kNoteTypeCosignatureV1, v.key.raw());
  EXPECT_NE(cosig, NoteKeyId(v.name, kNoteTypeEd25519, v.key.raw()));
  const Hash digest = Sha256(absl::StrCat(v.name, "\n\x04", v.key.raw()));
  EXPECT_EQ(cosig, (uint32_t{digest[0]} << 24) | (uint32_t{digest[1]} << 16) |
                       (uint32_t{digest[2]} << 8) | uint32_t{digest[3]});
}

TEST(NoteTest, MalformedNotesAreInvalidArgument) {
  const NoteVerifier v = ExampleVerifier();
  const std::vector<std::string> bad = {
      // No blank line between text and signature.
      absl::StrCat(kExampleText, kExampleSigLine),
      // No final newline.
      ExampleNote().substr(0, ExampleNote().size() - 1),
      // Control characters in the text.
      absl::StrCat("This is an\texample message.\n\n", kExampleSigLine),
      absl::StrCat("This is an example message.\r\n\n", kExampleSigLine),
      // Invalid UTF-8.
      absl::StrCat("This is an \xff example.\n\n", kExampleSigLine),
      // Bad base64: illegal character, missing padding, too short to hold a key ID.
      absl::StrCat(kExampleText, "\n\xE2\x80\x94 example.com/foo Uw2Q*kn8\n"),
      absl::StrCat(kExampleText, "\n\xE2\x80\x94 example.com/foo ",
                   absl::Base64Escape(std::string(68, 'x')).substr(0, 91), "\n"),
      absl::StrCat(kExampleText, "\n\xE2\x80\x94 example.com/foo AAAA\n"),
      // Signature line without the em dash, or without a name.
      absl::StrCat(kExampleText, "\n- example.com/foo ", absl::Base64Escape(std::string(68, 'x')),
                   "\n"),
      absl::StrCat(kExampleText, "\n\xE2\x80\x94 ", absl::Base64Escape(std::string(68, 'x')), "\n"),
      // Missing signature.
      absl::StrCat(kExampleText, "\n"),
      std::string(kExampleText),
      "",
  };
  for (const std::string& note : bad) {
    EXPECT_EQ(ParseNote(note).status().code(), absl::StatusCode::kInvalidArgument) << note;
    EXPECT_EQ(VerifyNote(note, v).status().code(), absl::StatusCode::kInvalidArgument) << note;
  }
}

TEST(NoteTest, SignatureUnderAnotherKeyIdIsPermissionDenied) {
  const NoteVerifier v = ExampleVerifier();
  // Same name and signature bytes, key ID changed: not this verifier's signature.
  std::string payload;
  ASSERT_TRUE(
      absl::Base64Unescape("Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFX"
                           "mRKuwHjG1Yu72IneyaQM=",
                           &payload));
  payload[3] ^= 0x01;
  const std::string note = absl::StrCat(kExampleText, "\n\xE2\x80\x94 example.com/foo ",
                                        absl::Base64Escape(payload), "\n");
  ASSERT_TRUE(ParseNote(note).ok());
  absl::Status status = VerifyNote(note, v).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "no signature by example.com/foo");

  // Signed only by someone else.
  NoteSigner other = FreshSigner("other.example/log");
  absl::StatusOr<std::string> signed_note = other.Sign(kExampleText);
  ASSERT_TRUE(signed_note.ok());
  EXPECT_EQ(VerifyNote(*signed_note, v).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(NoteTest, AcceptsSixteenSignatureLinesAndRejectsMoreThanAHundred) {
  const std::string text = "sixteen signers\n";
  std::vector<NoteSigner> signers;
  std::string note = text + "\n";
  for (int i = 0; i < 16; ++i) {
    signers.push_back(FreshSigner(absl::StrCat("signer", i, ".example")));
    absl::StatusOr<std::string> line = signers.back().SignatureLine(text);
    ASSERT_TRUE(line.ok());
    note += *line;
  }
  absl::StatusOr<ParsedNote> parsed = ParseNote(note);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->signatures.size(), 16u);
  for (const NoteSigner& s : signers) {
    absl::StatusOr<NoteVerifier> v = NoteVerifier::Parse(s.VerifierKey());
    ASSERT_TRUE(v.ok());
    absl::StatusOr<std::string> got = VerifyNote(note, *v);
    ASSERT_TRUE(got.ok()) << s.name() << ": " << got.status();
    EXPECT_EQ(*got, text);
  }

  std::string crowded = text + "\n";
  const std::string line = *signers[0].SignatureLine(text);
  for (int i = 0; i < 101; ++i) crowded += line;
  EXPECT_EQ(ParseNote(crowded).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NoteTest, SignerRefusesInvalidText) {
  NoteSigner signer = FreshSigner("log.example");
  EXPECT_EQ(signer.SignatureLine("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(signer.SignatureLine("no newline").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(signer.SignatureLine("tab\there\n").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::string> note = signer.Sign("multi\nline text \xE2\x9C\x93\n");
  ASSERT_TRUE(note.ok());
  absl::StatusOr<NoteVerifier> v = NoteVerifier::Parse(signer.VerifierKey());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(VerifyNote(*note, *v).ok());
}

TEST(NoteTest, KeyNamesRejectEmptyWhitespaceAndPlus) {
  EXPECT_TRUE(IsValidKeyName("touchstone.example/ledger"));
  EXPECT_FALSE(IsValidKeyName(""));
  EXPECT_FALSE(IsValidKeyName("has space"));
  EXPECT_FALSE(IsValidKeyName("has\ttab"));
  EXPECT_FALSE(IsValidKeyName("a+b"));
  EXPECT_FALSE(IsValidKeyName("nbsp\xC2\xA0here"));
  EXPECT_FALSE(IsValidKeyName("bad\xffutf8"));
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(NoteSigner::Create("a b", *key).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NoteTest, MalformedVerifierKeysAreRejected) {
  const std::vector<std::string> bad = {
      "",
      "example.com/foo",
      "example.com/foo+530d903a",
      "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  // wrong ID
      "example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",   // short ID
      "example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  // other name
      "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",   // bad base64
      "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  // type 0x02
      "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv",      // short key
  };
  for (const std::string& vkey : bad) {
    EXPECT_EQ(NoteVerifier::Parse(vkey).status().code(), absl::StatusCode::kInvalidArgument)
        << vkey;
  }
}

TEST(NoteTest, MalformedPrivateKeysAreRejected) {
  const std::vector<std::string> bad = {
      "",
      "PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
      "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
      "PRIVATE+KEY+PeterNeuman+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
      "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKD",
      kNeumannVkey,
  };
  for (const std::string& skey : bad) {
    EXPECT_EQ(NoteSigner::ParsePrivateKey(skey).status().code(), absl::StatusCode::kInvalidArgument)
        << skey;
  }
}

}  // namespace
}  // namespace touchstone
