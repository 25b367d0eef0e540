// Logs a test or fuzz target builds itself, for verifiers to be given what the real ledger would
// never produce. One copy, used by tests/ (FakeLog) and by fuzz/fixture.h (the fuzz targets'
// deterministic log):
//   - LogBuilder: entries encoded as the ledger encodes them (ledger/log/entry_format.h), chained
//     and hashed into an RFC 9162 tree (CompactRange), with no rule checked; it gives the root at
//     every size, inclusion and consistency proofs, and piece bundles of chosen entries.
//   - StampRecord / FillParticipant: the fields a fake log fills in before signing a record.
//   - FakeLog: a LogBuilder whose genesis carries a log policy (ledger/provenance/log_policy.h),
//     with fresh keys and a clock; records are signed in the form the policy in force sets,
//     unless the test bends that (Forge), and checkpoints with the operator's key. A verifier
//     given that key sees a perfectly well-proven log, so whatever it refuses, it refuses for
//     what the records say, not for how they were proven.
#ifndef TOUCHSTONE_TESTS_SUPPORT_FAKE_LOG_H_
#define TOUCHSTONE_TESTS_SUPPORT_FAKE_LOG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/compact_range.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/hash.h"
#include "ledger/log/keys.h"
#include "ledger/log/merkle.h"
#include "ledger/log/note.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/record.h"
#include "proto/bundle.pb.h"
#include "proto/record.pb.h"
#include "tests/test_util.h"

namespace touchstone::testing {

// The entries and tree of a log built entry by entry. Thread-compatible.
class LogBuilder {
 public:
  uint64_t size() const { return entries_.size(); }
  const std::vector<std::string>& entries() const { return entries_; }
  const std::string& entry(uint64_t index) const { return entries_.at(index); }

  // Appends the entry at index size(): `record` (exact bytes) and its `signature`, recorded at
  // `recorded_at` (unix micros), chained to the previous entry's leaf hash. Returns its index.
  uint64_t AppendEntry(int64_t recorded_at, const std::string& record,
                       const std::string& signature) {
    const uint64_t index = entries_.size();
    const std::string entry = EncodeEntry(index, recorded_at, prev_, record, signature);
    prev_ = LeafHash(entry);
    std::vector<NewNode> nodes;
    tree_.Append(prev_, &nodes);
    for (const NewNode& n : nodes) nodes_[{n.level, n.index}] = n.hash;
    entries_.push_back(entry);
    roots_[entries_.size()] = tree_.Root();
    return index;
  }

  // The tree's root at `size` (0 .. size()).
  Hash Root(uint64_t size) const { return size == 0 ? EmptyRoot() : roots_.at(size); }
  Hash Root() const { return Root(size()); }

  // Reads the tree's nodes; NOT_FOUND for a node the tree does not (yet) have.
  NodeReader Reader() const {
    return [this](int level, uint64_t index) -> absl::StatusOr<Hash> {
      auto it = nodes_.find({level, index});
      if (it == nodes_.end()) return absl::NotFoundError("no node");
      return it->second;
    };
  }

  // The inclusion proof of entry `index` in the tree at `size`; errors as InclusionProof's.
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> Inclusion(uint64_t index, uint64_t size) const {
    return InclusionProof(index, size, Reader());
  }
  // The consistency proof from `old_size` to `size`; errors as ConsistencyProof's.
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> Consistency(uint64_t old_size,
                                                              uint64_t size) const {
    return ConsistencyProof(old_size, size, Reader());
  }

  // A piece bundle of the entries `indices` (every entry when empty), each with its
  // c2sp.org/tlog-proof against `checkpoint_note`, which must be a checkpoint at size().
  // Errors as Inclusion's.
  [[nodiscard]] absl::StatusOr<v1::PieceBundle> Bundle(const std::string& piece_id,
                                                       const std::string& checkpoint_note,
                                                       std::set<uint64_t> indices = {}) const {
    if (indices.empty()) {
      for (uint64_t i = 0; i < size(); ++i) indices.insert(i);
    }
    v1::PieceBundle b;
    b.set_format(kBundleFormat);
    b.set_piece_id(piece_id);
    b.set_checkpoint(checkpoint_note);
    for (uint64_t i : indices) {
      absl::StatusOr<std::vector<Hash>> hashes = Inclusion(i, size());
      if (!hashes.ok()) return hashes.status();
      TlogProof proof{.extra = std::nullopt,
                      .index = i,
                      .hashes = *std::move(hashes),
                      .checkpoint_note = checkpoint_note};
      v1::BundleEntry* e = b.add_entries();
      e->set_index(i);
      e->set_entry(entries_.at(i));
      e->set_tlog_proof(proof.ToText());
    }
    return b;
  }

 private:
  std::vector<std::string> entries_;
  Hash prev_{};
  CompactRange tree_;
  std::map<std::pair<int, uint64_t>, Hash> nodes_;
  std::map<uint64_t, Hash> roots_;  // by size, from 1
};

// Fills in what the log's participant `signer` states about its record before signing it:
// record id, signer, the fingerprint of `key` and the event time.
inline void StampRecord(v1::Record& r, const std::string& record_id, const std::string& signer,
                        const PrivateKey& key, int64_t event_time_micros) {
  r.set_record_id(record_id);
  r.set_signer(signer);
  r.set_key_id(key.public_key().Fingerprint());
  r.set_event_time_micros(event_time_micros);
}

// Describes participant `id` with `key`, `roles` and legal name `legal_name` (default
// "Legal name of <id>"), as a genesis operator or a registration carries it.
inline void FillParticipant(v1::ParticipantRegistered* p, const std::string& id,
                            const PrivateKey& key, const std::vector<v1::Role>& roles,
                            std::string legal_name = "") {
  p->set_participant_id(id);
  p->set_legal_name(legal_name.empty() ? "Legal name of " + id : std::move(legal_name));
  for (v1::Role role : roles) p->add_roles(role);
  p->add_keys()->set_ed25519(key.public_key().raw());
}

// A log the test controls end to end (see the file comment). Thread-compatible.
class FakeLog {
 public:
  static constexpr char kOrigin[] = "fake.test/log";

  // The policy a FakeLog's genesis carries by default: origin-bound
  // signatures, records dated at most 3 days back, no imports.
  static v1::LogPolicy DefaultPolicy() {
    v1::LogPolicy p;
    p.set_record_signature_version(kOriginBoundRecordSignatures);
    p.set_max_backdate_micros(kDefaultMaxBackdateMicros);
    return p;
  }

  // A log whose entry 0 is the genesis of `op` (participant id "operator"),
  // carrying `policy`; without one, a log as versions before LogPolicy made
  // them (legacy signatures until a policy entry: AppendPolicy).
  // The operator's key also signs the checkpoints, as a real log's does.
  explicit FakeLog(std::optional<v1::LogPolicy> policy = DefaultPolicy())
      : op_(NewIdentity("operator")),
        signer_(NoteSigner::Create(kOrigin, PrivateKey::FromSeed(op_.key.Seed()).value()).value()) {
    v1::Record g;
    g.mutable_genesis()->set_origin(kOrigin);
    FillParticipant(g.mutable_genesis()->mutable_operator_(), op_.id, op_.key, {v1::ROLE_OPERATOR},
                    "Fake operator");
    if (policy) *g.mutable_genesis()->mutable_policy() = *policy;
    Append(op_, std::move(g));
  }

  // How a test bends one entry (AppendForged).
  struct Forge {
    const PrivateKey* key = nullptr;  // sign with this key (default: who's own)
    // The event time the record claims (default: the log's clock when it
    // records the entry, which is the entry's recorded_at).
    std::optional<int64_t> event_time;
    // Sign in this form and for this origin (default: the form the policy in
    // force sets, for kOrigin: ledger/provenance/record.h).
    std::optional<uint32_t> signature_version;
    std::string origin = kOrigin;
    // Bytes appended to the serialized record (to forge another encoding).
    std::string extra;
    // Owners (ledger/provenance/owner_signature.h): the record is co-signed by
    // this owner key (its owner_signature over the bytes before it, for
    // `origin`), or signed by it alone if `owner_only` (no signer, no key id,
    // an empty entry signature). `owner_signer`, if set, makes the owner
    // signature from the signing message instead.
    const PrivateKey* owner = nullptr;
    bool owner_only = false;
    std::function<v1::OwnerSignature(const std::string& message)> owner_signer;
  };

  const Identity& op() const { return op_; }
  NoteVerifier verifier() const { return NoteVerifier::Parse(signer_.VerifierKey()).value(); }
  uint64_t size() const { return log_.size(); }
  const std::string& entry(uint64_t index) const { return log_.entry(index); }

  // Appends `r` as `who` (record id, signer, key id and an increasing event time
  // filled in), signed by `key` (default: who's own key). Returns its index.
  uint64_t Append(const Identity& who, v1::Record r, const PrivateKey* key = nullptr) {
    return AppendForged(who, std::move(r), Forge{.key = key});
  }

  // Appends `r` as `who` the way `forge` says. Returns its index.
  uint64_t AppendForged(const Identity& who, v1::Record r, const Forge& forge) {
    const PrivateKey& key = forge.key ? *forge.key : who.key;
    time_ += 1000;
    StampRecord(r, "fake-" + std::to_string(size()), who.id, key, forge.event_time.value_or(time_));
    if (forge.owner_only) {
      r.clear_signer();
      r.clear_key_id();
    }
    const v1::LogPolicy* in_force = PolicyInForce(r, policy_ ? &*policy_ : nullptr);
    if (in_force != nullptr) policy_ = *in_force;
    std::string bytes = SerializeRecord(r);
    if (forge.owner != nullptr || forge.owner_signer) {
      const std::string message = OwnerSigningMessage(forge.origin, bytes);
      bytes = AppendOwnerSignature(bytes, forge.owner_signer ? forge.owner_signer(message)
                                                             : SignAsOwner(*forge.owner, message));
    }
    bytes += forge.extra;
    const std::string signature =
        forge.owner_only ? std::string()
                         : key.Sign(RecordSigningMessage(
                               forge.signature_version.value_or(SignatureVersion(in_force)),
                               forge.origin, bytes));
    return log_.AppendEntry(time_, bytes, signature);
  }

  // Appends a LogPolicy entry (signed by the operator), in force from itself on.
  uint64_t AppendPolicy(const v1::LogPolicy& policy) {
    v1::Record r;
    *r.mutable_log_policy() = policy;
    return Append(op_, std::move(r));
  }

  // The log's clock: the recorded_at of the newest entry.
  int64_t now() const { return time_; }
  // Moves the log's clock ahead (the next entries are recorded that much later).
  void AdvanceClock(int64_t micros) { time_ += micros; }

  // Registers `who` (signed by the operator) with `roles`.
  uint64_t Register(const Identity& who, std::vector<v1::Role> roles) {
    v1::Record r;
    FillParticipant(r.mutable_participant_registered(), who.id, who.key, roles);
    return Append(op_, std::move(r));
  }

  // The checkpoint note at the current size, with extra signature lines appended.
  std::string Checkpoint(const std::vector<std::string>& extra_lines = {}) const {
    const std::string text = touchstone::Checkpoint{kOrigin, size(), log_.Root(), {}}.ToText();
    std::string note = signer_.Sign(text).value();
    for (const std::string& line : extra_lines) note += line;
    return note;
  }

  // A bundle of the given entries (default: all) against Checkpoint(extra_lines).
  v1::PieceBundle Bundle(const std::string& piece_id, std::set<uint64_t> indices = {},
                         const std::vector<std::string>& extra_lines = {}) const {
    return log_.Bundle(piece_id, Checkpoint(extra_lines), std::move(indices)).value();
  }

 private:
  Identity op_;  // before signer_, which is made from its key
  NoteSigner signer_;
  LogBuilder log_;
  int64_t time_ = NowMicros() - 3600LL * 1'000'000;
  std::optional<v1::LogPolicy> policy_;  // in force after the newest entry
};

}  // namespace touchstone::testing

#endif  // TOUCHSTONE_TESTS_SUPPORT_FAKE_LOG_H_
