// Tests for Ed25519 keys: RFC 8032 vectors, PEM files, and interop with the
// `openssl` command line in both directions.
#include "ledger/log/keys.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/log/hash.h"

namespace touchstone {
namespace {

// RFC 8032 section 7.1, TEST 1 (empty message).
constexpr char kRfcSeedHex[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr char kRfcPublicHex[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr char kRfcSignatureHex[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
    "6bd25bf5f0595bbe24655141438e7a100b";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Each test gets a fresh directory and a way to run the openssl CLI inside it.
class KeysCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/keys_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(Sh("openssl version"), 0) << "the openssl command line is not installed";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Runs `cmd` in the temp dir; returns its exit status (0 on success).
  int Sh(const std::string& cmd) const {
    const std::string full =
        absl::StrCat("cd '", dir_, "' && ", cmd, " >>'", dir_, "/cli.log' 2>&1");
    const int rc = std::system(full.c_str());
    return rc == -1 ? -1 : WEXITSTATUS(rc);
  }

  std::string dir_;
};

TEST(KeysTest, SeedMatchesRfc8032VectorAndSignsItExactly) {
  absl::StatusOr<PrivateKey> key = PrivateKey::FromSeed(absl::HexStringToBytes(kRfcSeedHex));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(absl::BytesToHexString(key->public_key().raw()), kRfcPublicHex);
  EXPECT_EQ(absl::BytesToHexString(key->Seed()), kRfcSeedHex);
  EXPECT_EQ(absl::BytesToHexString(key->Sign("")), kRfcSignatureHex);
  EXPECT_TRUE(key->public_key().Verify("", absl::HexStringToBytes(kRfcSignatureHex)));
}

TEST(KeysTest, VerifyRejectsTamperedMessageSignatureAndWrongLength) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok()) << key.status();
  const std::string sig = key->Sign("touchstone");
  ASSERT_EQ(sig.size(), kEd25519SignatureSize);
  const PublicKey& pub = key->public_key();
  EXPECT_TRUE(pub.Verify("touchstone", sig));
  EXPECT_FALSE(pub.Verify("touchstonE", sig));
  std::string bad = sig;
  bad[10] ^= 0x01;
  EXPECT_FALSE(pub.Verify("touchstone", bad));
  EXPECT_FALSE(pub.Verify("touchstone", sig.substr(0, 63)));
  EXPECT_FALSE(pub.Verify("touchstone", sig + "x"));
  absl::StatusOr<PrivateKey> other = PrivateKey::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->public_key().Verify("touchstone", sig));
}

TEST(KeysTest, RawAndPemEncodingsRoundTrip) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  absl::StatusOr<PrivateKey> again = PrivateKey::FromPem(key->ToPem());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->Seed(), key->Seed());
  absl::StatusOr<PrivateKey> from_seed = PrivateKey::FromSeed(key->Seed());
  ASSERT_TRUE(from_seed.ok());
  EXPECT_EQ(from_seed->public_key().raw(), key->public_key().raw());
  absl::StatusOr<PublicKey> pub = PublicKey::FromPem(key->public_key().ToPem());
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->raw(), key->public_key().raw());
  absl::StatusOr<PublicKey> raw = PublicKey::FromRaw(key->public_key().raw());
  ASSERT_TRUE(raw.ok());
  EXPECT_TRUE(raw->Verify("m", key->Sign("m")));

  EXPECT_EQ(PublicKey::FromRaw(std::string(31, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PrivateKey::FromSeed(std::string(33, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PrivateKey::FromPem("not a pem").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PublicKey::FromPem(key->ToPem()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KeysTest, FingerprintIsHexOfFirstEightBytesOfSha256OfRawKey) {
  absl::StatusOr<PublicKey> zero = PublicKey::FromRaw(std::string(32, '\0'));
  ASSERT_TRUE(zero.ok());
  // SHA-256 of 32 zero bytes begins 66687aadf862bd77.
  EXPECT_EQ(zero->Fingerprint(), "66687aadf862bd77");
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  const Hash digest = Sha256(key->public_key().raw());
  EXPECT_EQ(key->public_key().Fingerprint(),
            absl::BytesToHexString(std::string(reinterpret_cast<const char*>(digest.data()), 8)));
}

TEST(KeysTest, SignAndVerifyAreSafeFromManyThreads) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  const PrivateKey& k = *key;
  const PublicKey pub = k.public_key();
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const std::string msg = absl::StrCat("thread ", t, " message ", i);
        const std::string sig = k.Sign(msg);
        if (!pub.Verify(msg, sig) || pub.Verify(msg + ".", sig)) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

TEST_F(KeysCliTest, OpensslGeneratedKeyLoadsAndHasOpensslsPublicKey) {
  ASSERT_EQ(Sh("openssl genpkey -algorithm ed25519 -out k.pem"), 0);
  ASSERT_EQ(Sh("openssl pkey -in k.pem -pubout -out pub.pem"), 0);
  absl::StatusOr<PrivateKey> key = PrivateKey::LoadPemFile(Path("k.pem"));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->public_key().ToPem(), ReadFile(Path("pub.pem")));
  absl::StatusOr<PublicKey> pub = PublicKey::FromPem(ReadFile(Path("pub.pem")));
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->raw(), key->public_key().raw());
}

TEST_F(KeysCliTest, SavedKeyIsReadByOpensslWithTheSamePublicKey) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(key->SavePemFile(Path("ours.pem")).ok());
  ASSERT_EQ(Sh("openssl pkey -in ours.pem -pubout -out pub.pem"), 0);
  EXPECT_EQ(ReadFile(Path("pub.pem")), key->public_key().ToPem());
  // And openssl's view of the raw public key matches ours.
  ASSERT_EQ(Sh("openssl pkey -pubin -in pub.pem -outform DER -out pub.der"), 0);
  const std::string der = ReadFile(Path("pub.der"));
  ASSERT_GE(der.size(), kEd25519PublicKeySize);
  EXPECT_EQ(der.substr(der.size() - kEd25519PublicKeySize), key->public_key().raw());
}

TEST_F(KeysCliTest, OurSignatureVerifiesWithOpenssl) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  const std::string msg = "a message for the openssl command line\n";
  WriteFile(Path("msg"), msg);
  WriteFile(Path("sig"), key->Sign(msg));
  WriteFile(Path("pub.pem"), key->public_key().ToPem());
  EXPECT_EQ(Sh("openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg -sigfile sig"), 0);
  WriteFile(Path("msg2"), msg + "!");
  EXPECT_NE(Sh("openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg2 -sigfile sig"), 0);
}

TEST_F(KeysCliTest, OpensslSignatureVerifiesWithOurs) {
  ASSERT_EQ(Sh("openssl genpkey -algorithm ed25519 -out k.pem"), 0);
  const std::string msg = "signed by the openssl command line\n";
  WriteFile(Path("msg"), msg);
  ASSERT_EQ(Sh("openssl pkeyutl -sign -inkey k.pem -rawin -in msg -out sig"), 0);
  const std::string sig = ReadFile(Path("sig"));
  ASSERT_EQ(sig.size(), kEd25519SignatureSize);
  absl::StatusOr<PrivateKey> key = PrivateKey::LoadPemFile(Path("k.pem"));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_TRUE(key->public_key().Verify(msg, sig));
  EXPECT_EQ(key->Sign(msg), sig);  // Ed25519 is deterministic.
  EXPECT_FALSE(key->public_key().Verify(msg + " ", sig));
  std::string bad = sig;
  bad[40] ^= 0x80;
  EXPECT_FALSE(key->public_key().Verify(msg, bad));
}

TEST_F(KeysCliTest, SavePemFileCreatesMode0600AndRefusesToOverwrite) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  const std::string path = Path("key.pem");
  ASSERT_TRUE(key->SavePemFile(path).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(ReadFile(path), key->ToPem());

  absl::StatusOr<PrivateKey> other = PrivateKey::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->SavePemFile(path).code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<PrivateKey> loaded = PrivateKey::LoadPemFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->Seed(), key->Seed());
}

TEST_F(KeysCliTest, NonEd25519AndMissingKeysAreRejected) {
  ASSERT_EQ(Sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem"), 0);
  ASSERT_EQ(Sh("openssl pkey -in ec.pem -pubout -out ecpub.pem"), 0);
  EXPECT_EQ(PrivateKey::LoadPemFile(Path("ec.pem")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PublicKey::FromPem(ReadFile(Path("ecpub.pem"))).status().code(),
            absl::StatusCode::kInvalidArgument);
  WriteFile(Path("garbage.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  EXPECT_EQ(PrivateKey::LoadPemFile(Path("garbage.pem")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PrivateKey::LoadPemFile(Path("missing.pem")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(KeysCliTest, EncryptedPemIsRejectedWithoutPrompting) {
  ASSERT_EQ(Sh("openssl genpkey -algorithm ed25519 -aes-128-cbc -pass pass:secret -out enc.pem"),
            0);
  EXPECT_EQ(PrivateKey::LoadPemFile(Path("enc.pem")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace touchstone
