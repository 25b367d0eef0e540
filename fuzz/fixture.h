// A small, fully deterministic log for the fuzz targets and their seed corpus:
// fixed Ed25519 keys (seeds derived from names), fixed event times, and a story a
// piece bundle verifies (a certifier certifies a refiner; the refiner creates a
// recycled gold lot, splits it and ships half to a jeweler, who makes a ring).
//
// Because every key is fixed, a target can state what a verifier may accept:
// the log key signed exactly the checkpoints FixtureLog makes, the witness
// cosigned exactly one, and only FixtureLog's entries are in the tree. Ed25519
// is deterministic, so fuzz/make_seeds (which writes fuzz/corpus/) and the
// targets see byte-identical notes, proofs and bundles. Entries, tree, proofs and
// bundles are built by the tests' LogBuilder (tests/support/fake_log.h).
#ifndef TOUCHSTONE_FUZZ_FIXTURE_H_
#define TOUCHSTONE_FUZZ_FIXTURE_H_

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/bundle_builder.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/cosignature.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/hash.h"
#include "ledger/log/keys.h"
#include "ledger/log/merkle.h"
#include "ledger/log/note.h"
#include "ledger/provenance/record.h"
#include "ledger/tiles.h"
#include "ledger/witness.h"
#include "proto/bundle.pb.h"
#include "proto/record.pb.h"
#include "tests/support/fake_log.h"

namespace touchstone::fuzz {

inline constexpr char kOrigin[] = "fuzz.test/log";
inline constexpr char kWitnessName[] = "fuzz.test/witness";
inline constexpr char kPieceId[] = "ring-1";
inline constexpr int64_t kStartMicros = 1'767'225'600'000'000;  // 2026-01-01 00:00 UTC
inline constexpr uint64_t kCosignTimestamp = 1'767'225'700;     // unix seconds
// The smaller checkpoint the witness cosigns first in fuzz_witness.
inline constexpr uint64_t kOldSize = 5;

// Dies with a message; for invariants a target asserts (libFuzzer reports the abort).
[[noreturn]] inline void Fail(std::string_view what) {
  std::cerr << "fuzz invariant broken: " << what << std::endl;
  std::abort();
}

template <typename T>
T OrDie(absl::StatusOr<T> v, std::string_view what) {
  if (!v.ok()) Fail(std::string(what) + ": " + std::string(v.status().ToString()));
  return *std::move(v);
}

// The key named `name`: seed = SHA-256("touchstone fuzz key " || name).
inline PrivateKey FixedKey(std::string_view name) {
  return OrDie(PrivateKey::FromSeed(HashBytes(Sha256("touchstone fuzz key " + std::string(name)))),
               "fixed key");
}

// Thread-compatible; immutable after construction.
class FixtureLog {
 public:
  // The one fixture (built on first use).
  static const FixtureLog& Get() {
    static const FixtureLog* log = new FixtureLog();
    return *log;
  }

  const std::vector<std::string>& entries() const { return log_.entries(); }
  uint64_t size() const { return log_.size(); }
  const NoteSigner& signer() const { return signer_; }
  const NoteVerifier& verifier() const { return verifier_; }
  const CosignatureSigner& witness() const { return witness_; }
  const NoteVerifier& witness_verifier() const { return witness_verifier_; }

  Hash Root(uint64_t size) const { return log_.Root(size); }
  std::string CheckpointText(uint64_t size) const {
    return Checkpoint{kOrigin, size, Root(size), {}}.ToText();
  }
  // Signed by the log key.
  std::string CheckpointNote(uint64_t size) const {
    return OrDie(signer_.Sign(CheckpointText(size)), "sign checkpoint");
  }
  // The full-size checkpoint, also cosigned by the witness.
  std::string CosignedNote() const {
    return CheckpointNote(size()) +
           OrDie(witness_.SignatureLine(CheckpointText(size()), kCosignTimestamp), "cosign");
  }
  std::vector<Hash> Inclusion(uint64_t index, uint64_t size) const {
    return OrDie(log_.Inclusion(index, size), "inclusion proof");
  }
  // A c2sp.org/tlog-proof@v1 of entry `index` against the checkpoint at `size`.
  std::string ProofText(uint64_t index, uint64_t size) const {
    return TlogProof{.extra = std::nullopt,
                     .index = index,
                     .hashes = Inclusion(index, size),
                     .checkpoint_note = CheckpointNote(size)}
        .ToText();
  }
  // A tlog-witness add-checkpoint body from old_size to the full-size checkpoint.
  std::string AddCheckpointBody(uint64_t old_size) const {
    AddCheckpointRequest r;
    r.old_size = old_size;
    if (old_size > 0 && old_size < size()) {
      r.proof = OrDie(log_.Consistency(old_size, size()), "consistency proof");
    }
    r.checkpoint_note = CheckpointNote(size());
    return r.ToText();
  }
  // The ring's bundle: every entry, proven against the cosigned checkpoint.
  v1::PieceBundle Bundle() const { return OrDie(log_.Bundle(kPieceId, CosignedNote()), "bundle"); }
  // Every entry as a tlog-tiles entry bundle (u16 length || entry, ...).
  std::string EntryBundle() const { return OrDie(EncodeEntryBundle(entries()), "entry bundle"); }

 private:
  struct Who {
    std::string id;
    PrivateKey key;
  };

  FixtureLog()
      : signer_(OrDie(NoteSigner::Create(kOrigin, FixedKey("log")), "log signer")),
        verifier_(OrDie(NoteVerifier::Parse(signer_.VerifierKey()), "log verifier")),
        witness_(OrDie(CosignatureSigner::Create(kWitnessName, FixedKey("witness")), "witness")),
        witness_verifier_(witness_.Verifier()) {
    const Who op{"operator", FixedKey("operator")}, certifier{"certifier", FixedKey("certifier")},
        refiner{"refiner", FixedKey("refiner")}, jeweler{"jeweler", FixedKey("jeweler")};

    v1::Record g;
    g.mutable_genesis()->set_origin(kOrigin);
    Participant(op, {v1::ROLE_OPERATOR}, g.mutable_genesis()->mutable_operator_());
    Append(op, g);
    for (const auto& [who, role] :
         {std::pair{&certifier, v1::ROLE_CERTIFIER}, std::pair{&refiner, v1::ROLE_REFINER},
          std::pair{&jeweler, v1::ROLE_JEWELER}}) {
      v1::Record r;
      Participant(*who, {role}, r.mutable_participant_registered());
      Append(op, r);
    }
    v1::Record cert;
    auto* c = cert.mutable_certificate_issued();
    c->set_certificate_id("cert-1");
    c->set_scheme("recycled-content");
    c->set_subject_participant(refiner.id);
    c->set_scope("post-consumer gold scrap");
    c->set_valid_from_micros(kStartMicros);
    Append(certifier, cert);

    v1::Record lot;
    auto* l = lot.mutable_lot_created();
    l->set_lot_id("gold-1");
    l->set_material("gold");
    l->set_form("grain");
    l->set_origin_class(v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
    l->set_quantity(10000);
    l->set_unit(v1::UNIT_MILLIGRAM);
    l->set_fineness_ppt(999);
    l->set_facility("refinery");
    l->add_certificate_ids("cert-1");
    Append(refiner, lot);

    v1::Record split;
    auto* t = split.mutable_transformation();
    t->set_transformation_id("split-1");
    t->set_process(v1::PROCESS_SPLIT);
    t->set_material("gold");
    auto* in = t->add_inputs();
    in->set_lot_id("gold-1");
    in->set_quantity(10000);
    for (const auto& [id, q] : {std::pair{"gold-1a", 6000}, std::pair{"gold-1b", 4000}}) {
      auto* o = t->add_outputs();
      o->set_lot_id(id);
      o->set_form("grain");
      o->set_quantity(q);
      o->set_fineness_ppt(999);
    }
    Append(refiner, split);

    v1::Record ship;
    ship.mutable_custody_shipped()->set_shipment_id("shp-1");
    ship.mutable_custody_shipped()->set_lot_id("gold-1a");
    ship.mutable_custody_shipped()->set_to_participant(jeweler.id);
    Append(refiner, ship);
    v1::Record receive;
    receive.mutable_custody_received()->set_shipment_id("shp-1");
    receive.mutable_custody_received()->set_lot_id("gold-1a");
    Append(jeweler, receive);

    v1::Record piece;
    auto* p = piece.mutable_piece_registered();
    p->set_piece_id(kPieceId);
    p->set_description("18k gold band");
    auto* m = p->add_metal_inputs();
    m->set_lot_id("gold-1a");
    m->set_quantity(3000);
    p->set_hallmark("999");
    p->add_claims(v1::CLAIM_RECYCLED_METAL);
    Append(jeweler, piece);
  }

  static void Participant(const Who& who, std::vector<v1::Role> roles,
                          v1::ParticipantRegistered* p) {
    testing::FillParticipant(p, who.id, who.key, roles);
  }

  void Append(const Who& who, v1::Record r) {
    const uint64_t index = size();
    const int64_t t = kStartMicros + static_cast<int64_t>(index + 1) * 60'000'000;
    testing::StampRecord(r, "fx-" + std::to_string(index), who.id, who.key, t);
    const std::string bytes = SerializeRecord(r);
    // A log as versions before LogPolicy made them: legacy signatures
    // (ledger/provenance/record.h), so the checked-in corpus stays valid.
    log_.AppendEntry(t, bytes, SignLegacyRecord(who.key, bytes));
  }

  NoteSigner signer_;
  NoteVerifier verifier_;
  CosignatureSigner witness_;
  NoteVerifier witness_verifier_;
  testing::LogBuilder log_;
};

}  // namespace touchstone::fuzz

#endif  // TOUCHSTONE_FUZZ_FIXTURE_H_
