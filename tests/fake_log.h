// A log the test controls end to end, for bundles the real ledger would never
// produce: records are encoded as entries (ledger/log/entry_format.h) without any
// rule being checked, hashed into an RFC 9162 tree (CompactRange), and the
// checkpoint is signed with a note key the test owns. A verifier given that key
// sees a perfectly well-proven log, so whatever it refuses, it refuses for what
// the records say, not for how they were proven. Its genesis carries a log
// policy (ledger/provenance/log_policy.h) and records are signed in the form the policy in
// force sets, unless the test bends that (Forge).
#ifndef TOUCHSTONE_TESTS_FAKE_LOG_H_
#define TOUCHSTONE_TESTS_FAKE_LOG_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/bundle/bundle_verify.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/compact_range.h"
#include "ledger/log/entry_format.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/log/merkle.h"
#include "ledger/log/note.h"
#include "ledger/provenance/record.h"
#include "proto/bundle.pb.h"
#include "tests/test_util.h"

namespace touchstone::testing {

// Thread-compatible.
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
    auto* o = g.mutable_genesis()->mutable_operator_();
    o->set_participant_id(op_.id);
    o->set_legal_name("Fake operator");
    o->add_roles(v1::ROLE_OPERATOR);
    o->add_keys()->set_ed25519(op_.key.public_key().raw());
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
  };

  const Identity& op() const { return op_; }
  NoteVerifier verifier() const { return NoteVerifier::Parse(signer_.VerifierKey()).value(); }
  uint64_t size() const { return entries_.size(); }
  const std::string& entry(uint64_t index) const { return entries_.at(index); }

  // Appends `r` as `who` (record id, signer, key id and an increasing event time
  // filled in), signed by `key` (default: who's own key). Returns its index.
  uint64_t Append(const Identity& who, v1::Record r, const PrivateKey* key = nullptr) {
    return AppendForged(who, std::move(r), Forge{.key = key});
  }

  // Appends `r` as `who` the way `forge` says. Returns its index.
  uint64_t AppendForged(const Identity& who, v1::Record r, const Forge& forge) {
    const PrivateKey& key = forge.key ? *forge.key : who.key;
    r.set_record_id("fake-" + std::to_string(entries_.size()));
    r.set_signer(who.id);
    r.set_key_id(key.public_key().Fingerprint());
    time_ += 1000;
    r.set_event_time_micros(forge.event_time.value_or(time_));
    const v1::LogPolicy* in_force = PolicyInForce(r, policy_ ? &*policy_ : nullptr);
    if (in_force != nullptr) policy_ = *in_force;
    const std::string bytes = SerializeRecord(r) + forge.extra;
    const std::string signature = key.Sign(RecordSigningMessage(
        forge.signature_version.value_or(SignatureVersion(in_force)), forge.origin, bytes));
    const std::string entry = EncodeEntry(entries_.size(), time_, prev_, bytes, signature);
    prev_ = LeafHash(entry);
    std::vector<NewNode> nodes;
    tree_.Append(prev_, &nodes);
    for (const NewNode& n : nodes) nodes_[{n.level, n.index}] = n.hash;
    entries_.push_back(entry);
    return entries_.size() - 1;
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
    auto* p = r.mutable_participant_registered();
    p->set_participant_id(who.id);
    p->set_legal_name("Legal name of " + who.id);
    for (v1::Role role : roles) p->add_roles(role);
    p->add_keys()->set_ed25519(who.key.public_key().raw());
    return Append(op_, std::move(r));
  }

  // The checkpoint note at the current size, with extra signature lines appended.
  std::string Checkpoint(const std::vector<std::string>& extra_lines = {}) const {
    const std::string text = touchstone::Checkpoint{kOrigin, size(), tree_.Root(), {}}.ToText();
    std::string note = signer_.Sign(text).value();
    for (const std::string& line : extra_lines) note += line;
    return note;
  }

  // A bundle of the given entries (default: all) against Checkpoint(extra_lines).
  v1::PieceBundle Bundle(const std::string& piece_id, std::set<uint64_t> indices = {},
                         const std::vector<std::string>& extra_lines = {}) const {
    if (indices.empty()) {
      for (uint64_t i = 0; i < size(); ++i) indices.insert(i);
    }
    v1::PieceBundle b;
    b.set_format(kBundleFormat);
    b.set_piece_id(piece_id);
    b.set_checkpoint(Checkpoint(extra_lines));
    const NodeReader read = [this](int level, uint64_t index) -> absl::StatusOr<Hash> {
      auto it = nodes_.find({level, index});
      if (it == nodes_.end()) return absl::NotFoundError("no node");
      return it->second;
    };
    for (uint64_t i : indices) {
      TlogProof proof{.extra = std::nullopt,
                      .index = i,
                      .hashes = InclusionProof(i, size(), read).value(),
                      .checkpoint_note = b.checkpoint()};
      v1::BundleEntry* e = b.add_entries();
      e->set_index(i);
      e->set_entry(entries_[i]);
      e->set_tlog_proof(proof.ToText());
    }
    return b;
  }

 private:
  Identity op_;  // before signer_, which is made from its key
  NoteSigner signer_;
  std::vector<std::string> entries_;
  Hash prev_{};
  CompactRange tree_;
  std::map<std::pair<int, uint64_t>, Hash> nodes_;
  int64_t time_ = NowMicros() - 3600LL * 1'000'000;
  std::optional<v1::LogPolicy> policy_;  // in force after the newest entry
};

}  // namespace touchstone::testing

#endif  // TOUCHSTONE_TESTS_FAKE_LOG_H_
