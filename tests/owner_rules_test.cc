// The owner rules (rules_owners.cc, the owner parts of rules_pieces.cc and of
// the append path): a sale naming the buyer's key, acceptance with terms,
// transfers, loss and theft reports by the owner or its insurer, key
// replacement by the recovery key or agent, repairs co-signed by the owner,
// records an owner key signs alone (Ed25519 and passkeys). Each refusal is
// checked for its code and message with nothing appended and the piece's
// state unchanged; the state rebuilt from the log equals the live state, and
// a restart keeps it.
#include <string>

#include "gtest/gtest.h"
#include "ledger/log/entry_format.h"
#include "ledger/provenance/rebuild.h"
#include "ledger/store/store.h"
#include "tests/owner_test_util.h"

namespace touchstone::testing {
namespace {

using Code = absl::StatusCode;

class OwnerRulesTest : public OwnerFixture {
 protected:
  // An insurer and a recovery agent the owners' terms can name.
  Identity insurer = Register("insurer", v1::ROLE_JEWELER);
  Identity stranger = Register("stranger", v1::ROLE_JEWELER);
};

v1::OwnerTerms Terms(const TestOwner* recovery, const std::string& agent,
                     const std::string& insurer) {
  v1::OwnerTerms t;
  if (recovery != nullptr) *t.mutable_recovery_key() = recovery->key();
  t.set_recovery_agent(agent);
  t.set_insurer(insurer);
  return t;
}

TEST_F(OwnerRulesTest, ASaleNamingABuyerMakesThePieceOwnerKeyed) {
  const TestOwner alice = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  const v1::PieceState p = GetPiece("RING-1");
  EXPECT_TRUE(SameOwnerKey(p.owner(), alice.key()));
  EXPECT_FALSE(p.owner_accepted());
  EXPECT_EQ(p.owner_index(), sale);
  EXPECT_EQ(p.owner_status(), v1::PIECE_EVENT_UNSPECIFIED);
  EXPECT_EQ(p.last_event(), v1::PIECE_EVENT_SOLD);
  EXPECT_TRUE(p.owner_salted_sha256().empty());
  ASSERT_GT(p.history_size(), 0);
  EXPECT_EQ(p.history(p.history_size() - 1), sale);
}

TEST_F(OwnerRulesTest, ASaleWithAnInvalidBuyerKeyIsRefused) {
  RegisterGoldPiece("RING-1");
  v1::OwnerKey bad;
  bad.set_ed25519("short");
  const v1::PieceState before = GetPiece("RING-1");
  ExpectRefused(SoldTo("RING-1", bad), Code::kInvalidArgument, "buyer: an Ed25519 owner key is 32");
  EXPECT_EQ(GetPiece("RING-1").SerializeAsString(), before.SerializeAsString());
}

TEST_F(OwnerRulesTest, TheOwnerAcceptsOnceAndSetsItsTerms) {
  const TestOwner alice = TestOwner::Ed25519(), spare = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  const uint64_t accepted =
      AcceptAsOwner(Accepted("RING-1", sale, Terms(&spare, jeweler.id, insurer.id)), alice).index;
  const v1::PieceState p = GetPiece("RING-1");
  EXPECT_TRUE(p.owner_accepted());
  EXPECT_EQ(p.owner_index(), accepted);
  EXPECT_TRUE(SameOwnerKey(p.terms().recovery_key(), spare.key()));
  EXPECT_EQ(p.terms().recovery_agent(), jeweler.id);
  EXPECT_EQ(p.terms().insurer(), insurer.id);
  EXPECT_EQ(p.history(p.history_size() - 1), accepted);
  // An owner-only entry has an empty signature and no signer.
  const auto entry = ledger().GetEntry(accepted);
  ASSERT_TRUE(entry.ok()) << entry.status();
  const auto view = DecodeEntry(*entry);
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(view->signature.empty());

  ExpectRefusedAsOwner(Accepted("RING-1", accepted), alice, Code::kFailedPrecondition,
                       "has already accepted piece 'RING-1'", "RING-1");
}

TEST_F(OwnerRulesTest, AcceptingWithBadTermsIsRefused) {
  const TestOwner alice = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  ExpectRefusedAsOwner(Accepted("RING-1", sale, Terms(nullptr, "", "nobody")), alice,
                       Code::kNotFound, "terms.insurer 'nobody' is not a registered participant",
                       "RING-1");
  ExpectRefusedAsOwner(Accepted("RING-1", sale, Terms(&alice, "", "")), alice,
                       Code::kInvalidArgument, "terms.recovery_key must be a second key", "RING-1");
}

TEST_F(OwnerRulesTest, OnlyTheNamedKeyAccepts) {
  const TestOwner alice = TestOwner::Ed25519(), mallory = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  ExpectRefusedAsOwner(
      Accepted("RING-1", sale), mallory, Code::kPermissionDenied,
      "owner signature: signed by key " + mallory.id() + ", not by the owner key " + alice.id(),
      "RING-1");
  // A participant cannot accept for the owner.
  ExpectRefused(By(jeweler, Accepted("RING-1", sale)), Code::kPermissionDenied,
                "must be signed by the owner key " + alice.id() + " alone");
  EXPECT_FALSE(GetPiece("RING-1").owner_accepted());
}

TEST_F(OwnerRulesTest, ATransferMovesOwnershipAndClearsTheTerms) {
  const TestOwner alice = TestOwner::Ed25519(), bob = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  const uint64_t acc =
      AcceptAsOwner(Accepted("RING-1", sale, Terms(nullptr, "", insurer.id)), alice).index;
  const uint64_t moved = AcceptAsOwner(Transferred("RING-1", acc, bob.key()), alice).index;
  v1::PieceState p = GetPiece("RING-1");
  EXPECT_TRUE(SameOwnerKey(p.owner(), bob.key()));
  EXPECT_FALSE(p.owner_accepted());
  EXPECT_FALSE(p.has_terms());
  EXPECT_EQ(p.owner_index(), moved);
  // The old owner can no longer act; the new one accepts.
  ExpectRefusedAsOwner(Transferred("RING-1", moved, alice.key()), alice, Code::kPermissionDenied,
                       "not by the owner key " + bob.id(), "RING-1");
  const uint64_t bob_acc = AcceptAsOwner(Accepted("RING-1", moved), bob).index;
  p = GetPiece("RING-1");
  EXPECT_TRUE(p.owner_accepted());
  EXPECT_EQ(p.owner_index(), bob_acc);
}

TEST_F(OwnerRulesTest, ATransferSignedByAnotherKeyIsRefused) {
  const TestOwner alice = TestOwner::Ed25519(), mallory = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  ExpectRefusedAsOwner(Transferred("RING-1", sale, mallory.key()), mallory, Code::kPermissionDenied,
                       "owner signature: signed by key " + mallory.id(), "RING-1");
  // Nor may the jeweler, or any participant, transfer an owner's piece.
  ExpectRefused(By(jeweler, Transferred("RING-1", sale, mallory.key())), Code::kPermissionDenied,
                "must be signed by the owner key " + alice.id() + " alone");
  EXPECT_TRUE(SameOwnerKey(GetPiece("RING-1").owner(), alice.key()));
}

TEST_F(OwnerRulesTest, AStolenPieceCannotBeTransferredUntilRecovered) {
  const TestOwner alice = TestOwner::Ed25519(), bob = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  const uint64_t stolen =
      AcceptAsOwner(Report("RING-1", sale, v1::PIECE_EVENT_STOLEN), alice).index;
  v1::PieceState p = GetPiece("RING-1");
  EXPECT_EQ(p.owner_status(), v1::PIECE_EVENT_STOLEN);
  EXPECT_EQ(p.last_event(), v1::PIECE_EVENT_STOLEN);
  EXPECT_EQ(p.owner_index(), stolen);
  ExpectRefusedAsOwner(Transferred("RING-1", stolen, bob.key()), alice, Code::kFailedPrecondition,
                       "owner rule: piece 'RING-1' is reported stolen: it cannot be transferred",
                       "RING-1");
  // Reported twice, or a jeweler's repair while stolen: refused.
  ExpectRefusedAsOwner(Report("RING-1", stolen, v1::PIECE_EVENT_LOST), alice,
                       Code::kFailedPrecondition, "is already reported stolen", "RING-1");
  ExpectRefused(Lifecycle(jeweler, "RING-1", v1::PIECE_EVENT_REPAIRED), Code::kFailedPrecondition,
                "record its recovery first");
  const uint64_t back =
      AcceptAsOwner(Report("RING-1", stolen, v1::PIECE_EVENT_RECOVERED), alice).index;
  p = GetPiece("RING-1");
  EXPECT_EQ(p.owner_status(), v1::PIECE_EVENT_UNSPECIFIED);
  EXPECT_EQ(p.last_event(), v1::PIECE_EVENT_RECOVERED);
  AcceptAsOwner(Transferred("RING-1", back, bob.key()), alice);
  EXPECT_TRUE(SameOwnerKey(GetPiece("RING-1").owner(), bob.key()));
}

TEST_F(OwnerRulesTest, ReportsNeedAKnownEventInOrder) {
  const TestOwner alice = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  ExpectRefusedAsOwner(Report("RING-1", sale, v1::PIECE_EVENT_SOLD), alice, Code::kInvalidArgument,
                       "an owner report's event must be", "RING-1");
  ExpectRefusedAsOwner(Report("RING-1", sale, v1::PIECE_EVENT_RECOVERED), alice,
                       Code::kFailedPrecondition, "is not reported lost or stolen", "RING-1");
  v1::Record long_note = Report("RING-1", sale, v1::PIECE_EVENT_LOST);
  long_note.mutable_owner_report()->set_note(std::string(513, 'x'));
  ExpectRefusedAsOwner(long_note, alice, Code::kInvalidArgument,
                       "owner_report.note must be at most 512 bytes", "RING-1");
}

TEST_F(OwnerRulesTest, AReplayedTransferWithAnOldPrevIndexIsRefused) {
  const TestOwner alice = TestOwner::Ed25519(), bob = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  const uint64_t moved = AcceptAsOwner(Transferred("RING-1", sale, bob.key()), alice).index;
  const uint64_t back = AcceptAsOwner(Transferred("RING-1", moved, alice.key()), bob).index;
  // Alice's old transfer to Bob, made again under a new record id, names the sale.
  ExpectRefusedAsOwner(Transferred("RING-1", sale, bob.key()), alice, Code::kFailedPrecondition,
                       "prev_index " + std::to_string(sale) +
                           " is not the piece's newest ownership record " + std::to_string(back),
                       "RING-1");
}

TEST_F(OwnerRulesTest, OnAnOwnerKeyedPieceTheJewelerRecordsOnlyRepairs) {
  const TestOwner alice = TestOwner::Ed25519(), mallory = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  for (v1::PieceEvent e : {v1::PIECE_EVENT_SOLD, v1::PIECE_EVENT_STOLEN, v1::PIECE_EVENT_LOST}) {
    v1::Record r = e == v1::PIECE_EVENT_SOLD ? SoldTo("RING-1", mallory.key())
                                             : Lifecycle(jeweler, "RING-1", e);
    const v1::PieceState before = GetPiece("RING-1");
    ExpectRefused(r, Code::kFailedPrecondition,
                  "owner rule: piece 'RING-1' belongs to owner key " + alice.id() +
                      ": only its owner records sales");
    EXPECT_EQ(GetPiece("RING-1").SerializeAsString(), before.SerializeAsString());
  }
  const uint64_t repair = Accept(Lifecycle(jeweler, "RING-1", v1::PIECE_EVENT_REPAIRED)).index;
  v1::PieceState p = GetPiece("RING-1");
  EXPECT_EQ(p.last_event(), v1::PIECE_EVENT_REPAIRED);
  EXPECT_EQ(p.owner_index(), sale) << "a repair is not an ownership record";
  EXPECT_EQ(p.history(p.history_size() - 1), repair);
  // A repair the owner co-signs; one co-signed by another key is refused.
  auto [bytes, sig] =
      CoSigned(jeweler, Lifecycle(jeweler, "RING-1", v1::PIECE_EVENT_REPAIRED), alice);
  ASSERT_TRUE(ledger().Submit(bytes, sig).ok());
  auto [bad_bytes, bad_sig] =
      CoSigned(jeweler, Lifecycle(jeweler, "RING-1", v1::PIECE_EVENT_REPAIRED), mallory);
  const v1::PieceState before = GetPiece("RING-1");
  ExpectRefusedBytes(bad_bytes, bad_sig, Code::kPermissionDenied,
                     "owner signature: signed by key " + mallory.id());
  EXPECT_EQ(GetPiece("RING-1").SerializeAsString(), before.SerializeAsString());
}

TEST_F(OwnerRulesTest, ARepairOfAPieceWithoutOwnerKeyCarriesNoOwnerSignature) {
  const TestOwner alice = TestOwner::Ed25519();
  RegisterGoldPiece("RING-1");
  auto [bytes, sig] =
      CoSigned(jeweler, Lifecycle(jeweler, "RING-1", v1::PIECE_EVENT_REPAIRED), alice);
  ExpectRefusedBytes(bytes, sig, Code::kFailedPrecondition,
                     "has no owner key: its repair carries no owner signature");
}

TEST_F(OwnerRulesTest, TheInsurerTheTermsNameMayReportButNoOtherParticipant) {
  const TestOwner alice = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  const uint64_t acc =
      AcceptAsOwner(Accepted("RING-1", sale, Terms(nullptr, "", insurer.id)), alice).index;
  const v1::PieceState before = GetPiece("RING-1");
  ExpectRefused(By(stranger, Report("RING-1", acc, v1::PIECE_EVENT_STOLEN)),
                Code::kPermissionDenied,
                "or by the insurer its owner's terms name (insurer); 'stranger' is neither");
  ExpectRefused(By(jeweler, Report("RING-1", acc, v1::PIECE_EVENT_STOLEN)), Code::kPermissionDenied,
                "'jeweler' is neither");
  EXPECT_EQ(GetPiece("RING-1").SerializeAsString(), before.SerializeAsString());
  const uint64_t rep = Accept(By(insurer, Report("RING-1", acc, v1::PIECE_EVENT_STOLEN))).index;
  EXPECT_EQ(GetPiece("RING-1").owner_status(), v1::PIECE_EVENT_STOLEN);
  Accept(By(insurer, Report("RING-1", rep, v1::PIECE_EVENT_RECOVERED)));
  EXPECT_EQ(GetPiece("RING-1").owner_status(), v1::PIECE_EVENT_UNSPECIFIED);
}

TEST_F(OwnerRulesTest, KeyReplacementFollowsTheOwnersTerms) {
  const TestOwner alice = TestOwner::Ed25519(), spare = TestOwner::Ed25519();
  const TestOwner fresh = TestOwner::Ed25519(), mallory = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  // Not accepted yet: no terms, so nobody may replace the key.
  ExpectRefusedAsOwner(KeyReplaced("RING-1", sale, fresh.key()), spare, Code::kFailedPrecondition,
                       "has not accepted it, so no terms name who may replace that key", "RING-1");
  ExpectRefused(By(jeweler, KeyReplaced("RING-1", sale, fresh.key())), Code::kFailedPrecondition,
                "has not accepted it");
  const uint64_t acc =
      AcceptAsOwner(Accepted("RING-1", sale, Terms(&spare, jeweler.id, "")), alice).index;
  // A stranger's key, the owner key itself, a participant that is not the agent.
  ExpectRefusedAsOwner(KeyReplaced("RING-1", acc, mallory.key()), mallory, Code::kPermissionDenied,
                       "owner signature: signed by key " + mallory.id(), "RING-1");
  ExpectRefusedAsOwner(KeyReplaced("RING-1", acc, fresh.key()), alice, Code::kPermissionDenied,
                       "not by the owner key " + spare.id(), "RING-1");
  ExpectRefused(By(stranger, KeyReplaced("RING-1", acc, fresh.key())), Code::kPermissionDenied,
                "needs the recovery agent its owner's terms name (jeweler); 'stranger' is not");
  // The recovery key replaces the owner key; the terms stay.
  const uint64_t by_key = AcceptAsOwner(KeyReplaced("RING-1", acc, fresh.key()), spare).index;
  v1::PieceState p = GetPiece("RING-1");
  EXPECT_TRUE(SameOwnerKey(p.owner(), fresh.key()));
  EXPECT_TRUE(p.owner_accepted());
  EXPECT_TRUE(SameOwnerKey(p.terms().recovery_key(), spare.key()));
  EXPECT_EQ(p.owner_index(), by_key);
  // The recovery agent replaces it again.
  const uint64_t by_agent = Accept(By(jeweler, KeyReplaced("RING-1", by_key, alice.key()))).index;
  p = GetPiece("RING-1");
  EXPECT_TRUE(SameOwnerKey(p.owner(), alice.key()));
  EXPECT_EQ(p.owner_index(), by_agent);
  ExpectRefused(By(jeweler, KeyReplaced("RING-1", by_agent, alice.key())), Code::kInvalidArgument,
                "new_key is the piece's owner key already");
}

TEST_F(OwnerRulesTest, TermsWithoutARecoveryKeyOrAgentLetNobodyReplaceTheKey) {
  const TestOwner alice = TestOwner::Ed25519(), spare = TestOwner::Ed25519();
  const TestOwner fresh = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  const uint64_t acc =
      AcceptAsOwner(Accepted("RING-1", sale, Terms(nullptr, "", insurer.id)), alice).index;
  ExpectRefusedAsOwner(KeyReplaced("RING-1", acc, fresh.key()), spare, Code::kPermissionDenied,
                       "its owner's terms name no recovery key", "RING-1");
  ExpectRefused(By(jeweler, KeyReplaced("RING-1", acc, fresh.key())), Code::kPermissionDenied,
                "needs the recovery agent its owner's terms name (none)");
}

TEST_F(OwnerRulesTest, AnOwnerOnlyRecordHasNoEntrySignature) {
  const TestOwner alice = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  const std::string bytes = OwnerSignedBytes(Accepted("RING-1", sale), alice, origin());
  ExpectRefusedBytes(bytes, std::string(64, '\x01'), Code::kInvalidArgument,
                     "is signed by an owner key alone (no signer): its entry signature must be "
                     "empty, got 64 bytes");
  // And a participant's record needs one.
  auto [jb, js] = Signed(jeweler, Lifecycle(jeweler, "RING-1", v1::PIECE_EVENT_REPAIRED), origin());
  ExpectRefusedBytes(jb, "", Code::kInvalidArgument, "signature must be 64 bytes, got 0");
  EXPECT_FALSE(GetPiece("RING-1").owner_accepted());
}

TEST_F(OwnerRulesTest, OnlyOwnerBodiesMayBeSignedByAnOwnerAlone) {
  const TestOwner alice = TestOwner::Ed25519();
  v1::Record lot = LotT(refiner, "g-x", "gold", v1::ORIGIN_CLASS_MINED, 100, 10000);
  lot.clear_signer();
  lot.clear_key_id();
  ExpectRefusedBytes(OwnerSignedBytes(lot, alice, origin()), "", Code::kInvalidArgument,
                     "signer is empty, but only an ownership_accepted");
  // An owner record with neither a signer nor an owner signature.
  const uint64_t sale = SellToOwner("RING-1", alice);
  ExpectRefusedBytes(SerializeRecord(Accepted("RING-1", sale)), "", Code::kInvalidArgument,
                     "this ownership_accepted record carries no owner_signature");
  // An owner-signed record that names a key id but no signer.
  v1::Record keyed = Accepted("RING-1", sale);
  keyed.set_key_id(jeweler.key.public_key().Fingerprint());
  ExpectRefusedBytes(OwnerSignedBytes(keyed, alice, origin()), "", Code::kInvalidArgument,
                     "this ownership_accepted record has a key_id");
}

TEST_F(OwnerRulesTest, AParticipantRecordCarriesAnOwnerSignatureOnlyWhereAllowed) {
  const TestOwner alice = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  AcceptAsOwner(Accepted("RING-1", sale, Terms(nullptr, "", insurer.id)), alice);
  const v1::PieceState before = GetPiece("RING-1");
  auto [b1, s1] = CoSigned(jeweler, Lifecycle(jeweler, "RING-1", v1::PIECE_EVENT_LOST), alice);
  ExpectRefusedBytes(b1, s1, Code::kInvalidArgument,
                     "owner_signature: a piece_lifecycle record other than REPAIRED carries no "
                     "owner signature");
  auto [b2, s2] =
      CoSigned(refiner, LotT(refiner, "g-y", "gold", v1::ORIGIN_CLASS_MINED, 1, 10000), alice);
  ExpectRefusedBytes(b2, s2, Code::kInvalidArgument,
                     "owner_signature: a lot_created record carries no owner signature");
  auto [b3, s3] = CoSigned(
      insurer,
      By(insurer, Report("RING-1", GetPiece("RING-1").owner_index(), v1::PIECE_EVENT_STOLEN)),
      alice);
  ExpectRefusedBytes(b3, s3, Code::kInvalidArgument,
                     "owner_signature: a owner_report record carries no owner signature");
  EXPECT_EQ(GetPiece("RING-1").SerializeAsString(), before.SerializeAsString());
}

TEST_F(OwnerRulesTest, OwnerRecordsOfAnUnknownOrPlainPieceAreRefused) {
  const TestOwner alice = TestOwner::Ed25519();
  ExpectRefusedAsOwner(Accepted("NO-SUCH", 1), alice, Code::kNotFound, "no piece 'NO-SUCH'");
  RegisterGoldPiece("PLAIN-1");
  Accept(Lifecycle(jeweler, "PLAIN-1", v1::PIECE_EVENT_SOLD, std::string(32, '\x05')));
  ExpectRefusedAsOwner(Accepted("PLAIN-1", 0), alice, Code::kFailedPrecondition,
                       "piece 'PLAIN-1' has no owner key", "PLAIN-1");
}

TEST_F(OwnerRulesTest, RecordIdsAreUniquePerOwnerKey) {
  const TestOwner alice = TestOwner::Ed25519(), bob = TestOwner::Ed25519();
  const uint64_t a = SellToOwner("RING-A", alice);
  const uint64_t b = SellToOwner("RING-B", bob);
  v1::Record ra = Accepted("RING-A", a);
  ra.set_record_id("owner-accept-1");
  v1::Record rb = Accepted("RING-B", b);
  rb.set_record_id("owner-accept-1");
  const std::string bytes = OwnerSignedBytes(ra, alice, origin());
  const auto first = ledger().Submit(bytes, "");
  ASSERT_TRUE(first.ok()) << first.status();
  // The same bytes again: the same receipt (an idempotent retry).
  const auto again = ledger().Submit(bytes, "");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->index, first->index);
  // Another owner may use the same id.
  AcceptAsOwner(rb, bob);
  // The same owner may not, with other bytes.
  v1::Record other = Report("RING-A", first->index, v1::PIECE_EVENT_LOST);
  other.set_record_id("owner-accept-1");
  ExpectRefusedAsOwner(other, alice, Code::kAlreadyExists,
                       "record id 'owner-accept-1' of 'owner:" + alice.id() + "' is already used",
                       "RING-A");
}

TEST_F(OwnerRulesTest, APasskeyOwnerSignsWithAWebAuthnAssertion) {
  const TestOwner alice = TestOwner::Passkey();
  const uint64_t sale = SellToOwner("RING-1", alice);
  // A forged assertion: its challenge is not SHA-256 of this record's signing message.
  const v1::Record r = Accepted("RING-1", sale);
  const std::string plain = SerializeRecord(r);
  const std::string forged = AppendOwnerSignature(
      plain, alice.Assert(WebAuthnChallenge(OwnerSigningMessage("another.log/ledger", plain))));
  const v1::PieceState before = GetPiece("RING-1");
  ExpectRefusedBytes(forged, "", Code::kPermissionDenied,
                     "owner signature: the challenge is not this record's");
  EXPECT_EQ(GetPiece("RING-1").SerializeAsString(), before.SerializeAsString());
  // The right assertion.
  const uint64_t acc = AcceptAsOwner(r, alice).index;
  EXPECT_TRUE(GetPiece("RING-1").owner_accepted());
  EXPECT_EQ(GetPiece("RING-1").owner_index(), acc);
  // A passkey transfers to an Ed25519 key; a stored passkey key comes through whole.
  const TestOwner bob = TestOwner::Ed25519();
  AcceptAsOwner(Transferred("RING-1", acc, bob.key()), alice);
  EXPECT_TRUE(SameOwnerKey(GetPiece("RING-1").owner(), bob.key()));
}

TEST_F(OwnerRulesTest, StateRebuiltFromTheLogEqualsTheLiveStateAndSurvivesARestart) {
  const TestOwner alice = TestOwner::Passkey(), bob = TestOwner::Ed25519();
  const TestOwner spare = TestOwner::Ed25519(), fresh = TestOwner::Ed25519();
  const uint64_t sale = SellToOwner("RING-1", alice);
  const uint64_t acc =
      AcceptAsOwner(Accepted("RING-1", sale, Terms(&spare, jeweler.id, insurer.id)), alice).index;
  const uint64_t stolen = Accept(By(insurer, Report("RING-1", acc, v1::PIECE_EVENT_STOLEN))).index;
  const uint64_t back =
      AcceptAsOwner(Report("RING-1", stolen, v1::PIECE_EVENT_RECOVERED), alice).index;
  const uint64_t replaced = AcceptAsOwner(KeyReplaced("RING-1", back, fresh.key()), spare).index;
  auto [bytes, sig] =
      CoSigned(jeweler, Lifecycle(jeweler, "RING-1", v1::PIECE_EVENT_REPAIRED), fresh);
  ASSERT_TRUE(ledger().Submit(bytes, sig).ok());
  AcceptAsOwner(Transferred("RING-1", replaced, bob.key()), fresh);
  // A refusal in between leaves no trace.
  ExpectRefusedAsOwner(Accepted("RING-1", GetPiece("RING-1").owner_index()), fresh,
                       Code::kPermissionDenied, "owner signature", "RING-1");
  const v1::PieceState live = GetPiece("RING-1");
  const uint64_t size = ledger().Size();

  CloseLedger();
  {
    auto store = Store::Open({.path = data_dir() + "/db"}).value();
    absl::StatusOr<MemoryState> rebuilt = RebuildState(*store, size, RuleOptions());
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    const absl::Status same = CompareState(*rebuilt, *store);
    EXPECT_TRUE(same.ok()) << same;
  }
  ReopenLedger();
  EXPECT_EQ(ledger().Size(), size);
  EXPECT_EQ(GetPiece("RING-1").SerializeAsString(), live.SerializeAsString());
  EXPECT_TRUE(SameOwnerKey(GetPiece("RING-1").owner(), bob.key()));
  // The chain continues after the restart.
  AcceptAsOwner(Accepted("RING-1", GetPiece("RING-1").owner_index()), bob);
  EXPECT_TRUE(GetPiece("RING-1").owner_accepted());
}

}  // namespace
}  // namespace touchstone::testing
