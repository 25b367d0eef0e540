// The ledger: opening, the append path with group commit, and reads.
#include "ledger/ledger.h"

#include <sys/stat.h>

#include <filesystem>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ledger/base/big_endian.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/base/files.h"
#include "ledger/provenance/key_handover.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/rules.h"
#include "ledger/provenance/state_view.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"

namespace touchstone {

struct Ledger::Prepared {
  std::string record_bytes;
  std::string signature;
  v1::Record record;
  std::optional<PublicKey> key;
  // The record signature version the signature was verified in (ledger/provenance/record.h).
  uint32_t signature_version = kOriginBoundRecordSignatures;
  // A key handover: the key that signs checkpoints once it commits.
  std::shared_ptr<const NoteSigner> rotate_to;
};

struct Ledger::Pending {
  Prepared in;
  absl::Notification done;
  // Set by the sequencer before done is notified.
  absl::Status status;
  uint64_t index = 0;
  Hash leaf_hash{};
  uint64_t tree_size = 0;
  std::string checkpoint;
  Hash root{};  // the root `checkpoint` states, which the receipt's proof is checked against
  bool duplicate = false;
};

Ledger::Ledger(LedgerOptions options, std::unique_ptr<Store> store, NoteSigner signer,
               NoteVerifier verifier)
    : options_(std::move(options)),
      origin_(signer.name()),
      store_(std::move(store)),
      registry_(store_.get()),
      node_cache_(options_.cached_leaves),
      verify_pool_(options_.verify_threads != 0 ? options_.verify_threads
                                                : std::max(1u, std::thread::hardware_concurrency()),
                   "ts-verify"),
      signer_(std::make_shared<const NoteSigner>(std::move(signer))),
      verifier_(std::move(verifier)) {}

namespace {

// The log's checkpoint key state; nullopt for an empty log.
absl::StatusOr<std::optional<v1::CheckpointKeyState>> ReadCheckpointKeyState(const Store& store) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw,
                   store.GetState(std::string(kCheckpointKeyStateKey)));
  if (!raw) return std::nullopt;
  v1::CheckpointKeyState state;
  if (!state.ParseFromString(*raw)) return absl::DataLossError("the checkpoint key state is corrupt");
  return state;
}

// A log written before checkpoint key rotation existed has no CheckpointKeyState
// and cannot have a handover: its state is the one its genesis entry gives
// (ApplyGenesis), stored now so that the state stays what a rebuild produces.
absl::StatusOr<std::optional<v1::CheckpointKeyState>> AddCheckpointKeyState(Store& store) {
  ASSIGN_OR_RETURN(std::string entry, store.GetEntry(0));
  ASSIGN_OR_RETURN(v1::Record genesis, RecordOfEntry(0, entry));
  absl::StatusOr<NoteVerifier> key = GenesisCheckpointKey(genesis);
  if (!key.ok()) return absl::DataLossError(absl::StrCat("entry 0: ", key.status().message()));
  v1::CheckpointKeyState state;
  state.set_operator_id(genesis.genesis().operator_().participant_id());
  state.set_ed25519(key->key.raw());
  StoreBatch batch = store.NewBatch();
  batch.PutState(kCheckpointKeyStateKey, state.SerializeAsString());
  RETURN_IF_ERROR(store.Commit(batch));
  return state;
}

// Renames `from` over `to` and syncs the directory: the new key is in place or not.
absl::Status InstallKeyFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot move the new operator key ", from, " to ", to, ": ", ec.message()));
  }
  SyncParentDir(to);
  return absl::OkStatus();
}

// The operator key a log with checkpoint key state `ck` must be opened with:
// `loaded` if it is the key in force; else the staged key of a rotation that
// committed before its key file was replaced (installed now).
absl::StatusOr<PrivateKey> KeyInForce(const v1::CheckpointKeyState& ck, PrivateKey loaded,
                                      const std::string& path) {
  const std::string staged = path + ".next";
  std::error_code ec;
  if (loaded.public_key().raw() == ck.ed25519()) {
    std::filesystem::remove(staged, ec);  // a rotation that did not commit
    return loaded;
  }
  if (std::filesystem::exists(staged, ec)) {
    RETURN_IF_ERROR(CheckKeyFileIsPrivate(staged));
    ASSIGN_OR_RETURN(PrivateKey next, PrivateKey::LoadPemFile(staged));
    if (next.public_key().raw() == ck.ed25519()) {
      RETURN_IF_ERROR(InstallKeyFile(staged, path));
      return next;
    }
  }
  ASSIGN_OR_RETURN(PublicKey in_force, PublicKey::FromRaw(ck.ed25519()));
  return absl::FailedPreconditionError(absl::StrCat(
      "the operator key in ", path, " (", loaded.public_key().Fingerprint(),
      ") does not sign this log's checkpoints: its checkpoint key is ", in_force.Fingerprint(),
      ck.handovers().empty() ? ""
                             : absl::StrCat(" since the handover at entry ",
                                            ck.handovers(ck.handovers_size() - 1)),
      "; put that key's PEM file there"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(LedgerOptions options) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("data_dir is required");
  if (options.operator_key_path.empty()) {
    options.operator_key_path = options.data_dir + "/operator.pem";
  }
  if (!options.now_micros) {
    options.now_micros = [] { return absl::ToUnixMicros(absl::Now()); };
  }
  if (options.max_backdate <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("max_backdate must be above zero, not ",
                                                   absl::FormatDuration(options.max_backdate)));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create data directory ", options.data_dir, ": ", ec.message()));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open({.path = options.data_dir + "/db", .min_free_bytes = options.min_free_bytes}));
  ASSIGN_OR_RETURN(const uint64_t size, store->ReadTreeSize());

  std::string origin;
  std::vector<uint64_t> key_handovers;  // from the checkpoint key state
  // A key file others can read is refused before it is read (and it is never logged).
  if (absl::Status mode = CheckKeyFileIsPrivate(options.operator_key_path);
      !mode.ok() && !absl::IsNotFound(mode)) {
    return mode;
  }
  absl::StatusOr<PrivateKey> key = PrivateKey::LoadPemFile(options.operator_key_path);
  if (size == 0) {
    origin = options.origin.empty() ? kDefaultOrigin : options.origin;
    if (absl::IsNotFound(key.status())) {
      key = PrivateKey::Generate();
      if (key.ok()) RETURN_IF_ERROR(key->SavePemFile(options.operator_key_path));
    }
    if (!key.ok()) return key.status();
  } else {
    ASSIGN_OR_RETURN(std::optional<std::string> stored_origin, store->GetMeta("origin"));
    if (!stored_origin) return absl::DataLossError("the log has entries but no origin");
    origin = *stored_origin;
    if (!options.origin.empty() && options.origin != origin) {
      return absl::FailedPreconditionError(
          absl::StrCat("this log's origin is '", origin, "', not '", options.origin, "'"));
    }
    if (absl::IsNotFound(key.status())) {
      return absl::FailedPreconditionError(absl::StrCat("the log exists but its operator key ",
                                                        options.operator_key_path, " is missing"));
    }
    if (!key.ok()) return key.status();
    ASSIGN_OR_RETURN(std::optional<v1::CheckpointKeyState> ck, ReadCheckpointKeyState(*store));
    if (!ck) {
      ASSIGN_OR_RETURN(ck, AddCheckpointKeyState(*store));
    }
    ASSIGN_OR_RETURN(key, KeyInForce(*ck, *std::move(key), options.operator_key_path));
    key_handovers.assign(ck->handovers().begin(), ck->handovers().end());
  }
  ASSIGN_OR_RETURN(NoteSigner signer, NoteSigner::Create(origin, *key));
  ASSIGN_OR_RETURN(NoteVerifier verifier, NoteVerifier::Parse(signer.VerifierKey()));

  auto ledger = std::unique_ptr<Ledger>(
      new Ledger(std::move(options), std::move(store), std::move(signer), std::move(verifier)));
  if (size == 0) {
    RETURN_IF_ERROR(ledger->CreateGenesis(*key));
  } else {
    {
      absl::MutexLock lock(&ledger->head_mu_);
      ledger->key_handovers_ = std::move(key_handovers);
    }
    RETURN_IF_ERROR(ledger->Initialize());
  }
  // An existing log whose recorded policy is not the one asked for (or that has
  // none yet: the first start of a version with LogPolicy) gets it appended.
  const v1::LogPolicy wanted = ledger->WantedPolicy();
  const bool append_policy =
      !ledger->options_.legacy_log &&
      (!ledger->policy_ || ledger->policy_->SerializeAsString() != wanted.SerializeAsString());
  ledger->sequencer_ = std::thread([l = ledger.get()] { l->SequencerLoop(); });
  if (append_policy) RETURN_IF_ERROR(ledger->AppendPolicy(wanted));
  ledger->StartScrub();
  return ledger;
}

v1::LogPolicy Ledger::WantedPolicy() const {
  v1::LogPolicy policy;
  policy.set_record_signature_version(kOriginBoundRecordSignatures);
  policy.set_max_backdate_micros(absl::ToInt64Microseconds(options_.max_backdate));
  policy.set_history_import_allowed(options_.allow_history_import);
  return policy;
}

absl::Status Ledger::LoadPolicy() {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_->GetState(kLogPolicyStateKey));
  policy_.reset();
  if (raw) {
    v1::LogPolicyState state;
    if (!state.ParseFromString(*raw)) return absl::DataLossError("the log policy state is corrupt");
    policy_ = state.policy();
  }
  signature_version_ = SignatureVersion(policy_ ? &*policy_ : nullptr);
  return absl::OkStatus();
}

absl::Status Ledger::AppendPolicy(const v1::LogPolicy& policy) {
  ASSIGN_OR_RETURN(std::optional<v1::CheckpointKeyState> ck, ReadCheckpointKeyState(*store_));
  if (!ck) return absl::DataLossError("the log has no checkpoint key state");
  const std::shared_ptr<const NoteSigner> key = signer();
  v1::Record record;
  record.set_record_id(absl::StrCat("log-policy-", Size()));
  record.set_signer(ck->operator_id());
  record.set_key_id(key->key().public_key().Fingerprint());
  record.set_event_time_micros(options_.now_micros());
  *record.mutable_log_policy() = policy;
  std::string bytes = SerializeRecord(record);
  std::string signature = SignRecord(key->key(), origin_, bytes);
  ASSIGN_OR_RETURN(Prepared prepared, Prepare(std::move(bytes), std::move(signature), true));
  std::vector<Prepared> one;
  one.push_back(std::move(prepared));
  absl::StatusOr<Receipt> receipt = Await(*Enqueue(std::move(one))[0], absl::InfiniteFuture());
  if (!receipt.ok()) {
    return absl::Status(receipt.status().code(),
                        absl::StrCat("cannot record the log's policy (", PolicyText(policy),
                                     "): ", receipt.status().message()));
  }
  return absl::OkStatus();
}

NodeReader Ledger::Reader() const {
  return node_cache_.ReaderWithFallback(
      [store = store_.get()](int level, uint64_t index) { return store->GetNode(level, index); });
}

absl::Status Ledger::Initialize() {
  ASSIGN_OR_RETURN(const uint64_t size, store_->ReadTreeSize());
  RETURN_IF_ERROR(VerifyTail(size));
  // The operator key must be an active key of the operator registered in genesis.
  ASSIGN_OR_RETURN(std::string genesis_bytes, store_->GetEntry(0));
  ASSIGN_OR_RETURN(EntryView genesis, DecodeEntry(genesis_bytes));
  v1::Record record;
  if (!record.ParseFromArray(genesis.record.data(), static_cast<int>(genesis.record.size())) ||
      !record.has_genesis()) {
    return absl::DataLossError("entry 0 is not a genesis record");
  }
  const std::string& op_id = record.genesis().operator_().participant_id();
  ASSIGN_OR_RETURN(auto op, registry_.Get(op_id));
  const v1::KeyState* k = FindKey(*op, signer()->key().public_key().Fingerprint());
  if (k == nullptr || k->revoked()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the operator key in ", options_.operator_key_path,
                     " is not an active key of this log's operator '", op_id, "'"));
  }
  RETURN_IF_ERROR(LoadHead());
  ASSIGN_OR_RETURN(std::optional<std::string> cosigned_size, store_->GetMeta("cosigned_size"));
  if (cosigned_size && cosigned_size->size() == 8) {
    const uint64_t s = LoadBE(cosigned_size->data(), 8);
    ASSIGN_OR_RETURN(std::string cosigned, store_->GetCheckpoint(s));
    absl::MutexLock lock(&head_mu_);
    cosigned_ = std::make_pair(s, std::move(cosigned));
  }
  return absl::OkStatus();
}

absl::Status Ledger::LoadHead() {
  ASSIGN_OR_RETURN(const uint64_t size, store_->ReadTreeSize());
  if (size == 0) return absl::DataLossError("the log has no entries");
  // The frontier is read from storage and kept in the cache: every receipt needs it.
  ASSIGN_OR_RETURN(CompactRange tree,
                   CompactRange::FromNodes(
                       size, [this](int level, uint64_t index) -> absl::StatusOr<Hash> {
                         ASSIGN_OR_RETURN(Hash h, store_->GetNode(level, index));
                         node_cache_.Put(level, index, h);
                         return h;
                       }));
  ASSIGN_OR_RETURN(const Hash last_leaf, store_->GetNode(0, size - 1));
  ASSIGN_OR_RETURN(std::string note, store_->GetCheckpoint(size));
  ASSIGN_OR_RETURN(Checkpoint cp, VerifyCheckpoint(note, verifier()));
  if (cp.size != size || cp.root != tree.Root()) {
    return absl::DataLossError(absl::StrCat("the latest checkpoint (size ", cp.size,
                                            ") does not match the stored tree of size ", size));
  }
  RETURN_IF_ERROR(LoadPolicy());
  tree_ = std::move(tree);
  last_leaf_hash_ = last_leaf;
  absl::MutexLock lock(&head_mu_);
  size_ = size;
  checkpoint_ = std::move(note);
  return absl::OkStatus();
}

namespace {

// The status of appends refused because the storage cannot be written.
absl::Status NotAppended(const absl::Status& cause) {
  const bool full = cause.code() == absl::StatusCode::kResourceExhausted;
  return absl::Status(
      cause.code(),
      absl::StrCat("nothing was appended: the ledger cannot write to its storage (",
                   cause.message(), "); ",
                   full ? "the disk is full or a file reached its size limit: free space (or "
                          "raise the limit) and appends resume by themselves"
                        : "appends resume by themselves once writing works again"));
}

}  // namespace

absl::Status Ledger::EnsureWritable() {
  if (storage_error_.ok()) {
    const absl::Status failed = store_->WriteError();
    if (failed.ok()) return absl::OkStatus();
    storage_error_ = NotAppended(failed);
  }
  const absl::Time now = absl::Now();
  if (now < next_storage_retry_) return storage_error_;
  next_storage_retry_ = now + options_.storage_retry_interval;
  if (!store_->WriteError().ok()) {
    // Reopening replays the write-ahead log up to its last complete write: a
    // batch half written when the disk filled up is dropped, and nothing is
    // ever written after it.
    if (absl::Status reopened = store_->Reopen(); !reopened.ok()) {
      return storage_error_ = NotAppended(reopened);
    }
  }
  // What is durable is the truth now: a failed write may or may not be in it.
  registry_.Clear();
  if (absl::Status loaded = LoadHead(); !loaded.ok()) {
    return storage_error_ = NotAppended(loaded);
  }
  storage_error_ = absl::OkStatus();
  return absl::OkStatus();
}

absl::Status Ledger::VerifyTail(uint64_t size) const {
  const uint64_t start =
      size > options_.verify_tail_entries ? size - options_.verify_tail_entries : 0;
  std::optional<Hash> prev;
  if (start > 0) {
    ASSIGN_OR_RETURN(prev, store_->GetNode(0, start - 1));
  }
  constexpr absl::string_view kRefusal = "refusing to extend a damaged log: ";
  absl::Status scanned = store_->ScanEntries(start, size, [&](uint64_t i, std::string_view bytes)
                                                              -> absl::Status {
    auto bad = [&](absl::string_view what) {
      return absl::DataLossError(absl::StrCat(kRefusal, "entry ", i, " ", what));
    };
    const Hash leaf = LeafHash(bytes);
    absl::StatusOr<Hash> stored = store_->GetNode(0, i);
    if (!stored.ok() || *stored != leaf) return bad("does not match its leaf hash in the tree");
    absl::StatusOr<EntryView> e = DecodeEntry(bytes);
    if (!e.ok()) return bad(e.status().message());
    if (e->index != i) return bad(absl::StrCat("says it is entry ", e->index));
    if (prev && e->prev_leaf_hash != *prev) return bad("does not chain to the entry before it");
    prev = leaf;
    return absl::OkStatus();
  });
  // A missing entry or an unreadable (checksum-failing) block is refused the same way.
  if (!scanned.ok() && !absl::StartsWith(scanned.message(), kRefusal)) {
    return absl::Status(scanned.code(), absl::StrCat(kRefusal, scanned.message()));
  }
  return scanned;
}

absl::Status Ledger::CreateGenesis(const PrivateKey& operator_key) {
  const std::shared_ptr<const NoteSigner> signer = this->signer();
  const int64_t now = options_.now_micros();
  v1::Record record;
  record.set_record_id("genesis");
  record.set_signer(options_.operator_id);
  record.set_key_id(operator_key.public_key().Fingerprint());
  record.set_event_time_micros(now);
  v1::Genesis* g = record.mutable_genesis();
  g->set_origin(signer->name());
  v1::ParticipantRegistered* op = g->mutable_operator_();
  op->set_participant_id(options_.operator_id);
  op->set_legal_name(options_.operator_name);
  op->add_roles(v1::ROLE_OPERATOR);
  op->add_keys()->set_ed25519(operator_key.public_key().raw());
  if (!options_.legacy_log) *g->mutable_policy() = WantedPolicy();
  const std::string record_bytes = SerializeRecord(record);
  // Signed in the form its own policy sets (ledger/provenance/log_policy.h).
  const std::string signature = options_.legacy_log
                                    ? SignLegacyRecord(operator_key, record_bytes)
                                    : SignRecord(operator_key, origin_, record_bytes);

  StateView state(store_.get(), &registry_);
  RETURN_IF_ERROR(ApplyGenesis(record, 0, state));
  state.CommitRecord();
  const std::string entry = EncodeEntry(0, now, Hash{}, record_bytes, signature);
  const Hash leaf = LeafHash(entry);
  std::vector<NewNode> nodes;
  tree_.Append(leaf, &nodes);
  StoreBatch batch = store_->NewBatch();
  batch.PutEntry(0, entry);
  batch.PutLeafIndex(leaf, 0);
  batch.PutRecordId(record.signer(), record.record_id(), 0);
  for (const NewNode& n : nodes) batch.PutNode(n.level, n.index, n.hash);
  for (const auto& [key, value] : state.changes()) batch.PutState(key, value);
  batch.PutMeta("origin", signer->name());
  batch.PutTreeSize(1);
  Checkpoint cp{.origin = signer->name(), .size = 1, .root = tree_.Root(), .extensions = {}};
  ASSIGN_OR_RETURN(std::string note, signer->Sign(cp.ToText()));
  batch.PutCheckpoint(1, note);
  RETURN_IF_ERROR(store_->Commit(batch));
  state.Publish(&registry_);
  for (const NewNode& n : nodes) node_cache_.Put(n.level, n.index, n.hash);
  last_leaf_hash_ = leaf;
  if (record.genesis().has_policy()) policy_ = record.genesis().policy();
  signature_version_ = SignatureVersion(policy_ ? &*policy_ : nullptr);
  absl::MutexLock lock(&head_mu_);
  size_ = 1;
  checkpoint_ = std::move(note);
  return absl::OkStatus();
}

Ledger::~Ledger() { Shutdown(); }

void Ledger::Shutdown() {
  if (scrub_) scrub_->Stop();
  {
    absl::MutexLock lock(&queue_mu_);
    stopping_ = true;
  }
  if (sequencer_.joinable()) sequencer_.join();
}

absl::StatusOr<Ledger::Prepared> Ledger::Prepare(std::string record, std::string signature,
                                                 bool internal) const {
  // Cheapest checks first: a malformed or oversized record costs a parse, not
  // a key lookup and an Ed25519 verification.
  if (signature.size() != kEd25519SignatureSize) {
    return absl::InvalidArgumentError(absl::StrCat("signature must be ", kEd25519SignatureSize,
                                                   " bytes, got ", signature.size()));
  }
  ASSIGN_OR_RETURN(v1::Record parsed, ParseRecord(record, options_.max_record_bytes));
  if (parsed.has_genesis()) {
    return absl::InvalidArgumentError("a genesis record can only be entry 0");
  }
  if (parsed.has_operator_key_rotated() && !internal) {
    return absl::FailedPreconditionError(
        "a checkpoint key handover is appended by the ledger itself, with the new private key "
        "at hand: run touchstoned --rotate_operator_key NEW.pem on the server");
  }
  if (parsed.has_log_policy() && !internal) {
    return absl::FailedPreconditionError(
        "the log's policy is appended by the ledger itself: start touchstoned with the "
        "policy's options (--max_backdate, --allow_history_import)");
  }
  RETURN_IF_ERROR(CheckFieldLimits(parsed, options_.field_limits));
  ASSIGN_OR_RETURN(PublicKey key, registry_.SigningKey(parsed.signer(), parsed.key_id()));
  // The form the policy in force at the entry sets (ledger/provenance/log_policy.h): a
  // policy entry's own, else the log's (after Open, always the origin-bound form).
  const v1::LogPolicy* carried = CarriedPolicy(parsed);
  const uint32_t version =
      carried != nullptr ? SignatureVersion(carried) : signature_version_.load();
  if (!key.Verify(RecordSigningMessage(version, origin_, record), signature)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad signature: record '", parsed.record_id(), "' is not signed by key ",
                     parsed.key_id(), " of '", parsed.signer(), "'",
                     SignatureMismatch(key, version, origin_, record, signature)));
  }
  return Prepared{
      std::move(record), std::move(signature), std::move(parsed), std::move(key), version, nullptr};
}

std::vector<std::shared_ptr<Ledger::Pending>> Ledger::Enqueue(std::vector<Prepared> prepared,
                                                              int started) {
  std::vector<std::shared_ptr<Pending>> out;
  out.reserve(prepared.size());
  for (Prepared& p : prepared) {
    auto pending = std::make_shared<Pending>();
    pending->in = std::move(p);
    out.push_back(std::move(pending));
  }
  absl::MutexLock lock(&queue_mu_);
  preparing_ -= started;
  for (auto& p : out) {
    if (stopping_) {
      p->status = absl::UnavailableError("the ledger is shutting down");
      p->done.Notify();
    } else {
      queue_.push_back(p);
    }
  }
  return out;
}

absl::StatusOr<Receipt> Ledger::Await(Pending& p, absl::Time deadline) const {
  if (!p.done.WaitForNotificationWithDeadline(deadline)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "record '", p.in.record.record_id(),
        "' was not committed before the call's deadline; it may still be appended: submit the "
        "same bytes again for its receipt"));
  }
  if (!p.status.ok()) return p.status;
  Receipt r;
  r.index = p.index;
  r.leaf_hash = p.leaf_hash;
  r.tree_size = p.tree_size;
  r.checkpoint = p.checkpoint;
  r.duplicate = p.duplicate;
  // Checked against the checkpoint's root before it is handed out (ledger_proofs.cc).
  ASSIGN_OR_RETURN(r.inclusion_proof, ProveInclusion(p.index, p.tree_size, p.leaf_hash, p.root));
  return r;
}

namespace {

absl::Status PastDeadline(absl::Time deadline) {
  if (absl::Now() < deadline) return absl::OkStatus();
  return absl::DeadlineExceededError(
      "the call's deadline passed before the submission was queued; nothing was appended");
}

}  // namespace

absl::StatusOr<Receipt> Ledger::Submit(std::string record, std::string signature,
                                       absl::Time deadline) {
  Ticket ticket = Start(std::move(record), std::move(signature), deadline);
  return Finish(ticket, deadline);
}

Ledger::Ticket Ledger::Start(std::string record, std::string signature, absl::Time deadline) {
  Ticket ticket;
  {
    absl::MutexLock lock(&queue_mu_);
    ++preparing_;  // the sequencer may wait for it (group_linger)
  }
  absl::StatusOr<Prepared> prepared = Prepare(std::move(record), std::move(signature));
  absl::Status refused = prepared.status();
  if (refused.ok()) refused = PastDeadline(deadline);
  if (!refused.ok()) {
    {
      absl::MutexLock lock(&queue_mu_);
      --preparing_;
    }
    ticket.refused = std::move(refused);
    metrics_.CountOutcome(ticket.refused, false);
    return ticket;
  }
  std::vector<Prepared> one;
  one.push_back(std::move(*prepared));
  ticket.pending = std::move(Enqueue(std::move(one), /*started=*/1)[0]);
  return ticket;
}

absl::StatusOr<Receipt> Ledger::Finish(Ticket& ticket, absl::Time deadline) const {
  if (ticket.pending == nullptr) {
    return ticket.refused.ok() ? absl::FailedPreconditionError("this ticket was finished")
                               : ticket.refused;
  }
  std::shared_ptr<Pending> pending = std::move(ticket.pending);
  ticket.refused = absl::FailedPreconditionError("this ticket was finished");
  return Await(*pending, deadline);
}

absl::StatusOr<std::vector<absl::StatusOr<Receipt>>> Ledger::SubmitBatch(
    std::vector<std::pair<std::string, std::string>> records, absl::Time deadline) {
  if (records.size() > options_.max_batch) {
    return absl::InvalidArgumentError(absl::StrCat("batch limit: a batch holds at most ",
                                                   options_.max_batch, " records (max_batch), got ",
                                                   records.size()));
  }
  const size_t n = records.size();
  std::vector<absl::StatusOr<Prepared>> prepared(n, absl::UnknownError("not prepared"));
  auto prepare = [&](size_t i) {
    prepared[i] = Prepare(std::move(records[i].first), std::move(records[i].second));
  };
  // Verify signatures on every core (the pool's and this thread) for large batches.
  if (n >= 16) {
    verify_pool_.ParallelFor(n, prepare);
  } else {
    for (size_t i = 0; i < n; ++i) prepare(i);
  }

  RETURN_IF_ERROR(PastDeadline(deadline));
  std::vector<Prepared> ok;
  for (auto& p : prepared) {
    if (p.ok()) {
      ok.push_back(std::move(*p));
    } else {
      metrics_.CountOutcome(p.status(), false);
    }
  }
  auto pending = Enqueue(std::move(ok));
  std::vector<absl::StatusOr<Receipt>> results;
  results.reserve(n);
  size_t next = 0;
  for (auto& p : prepared) {
    if (!p.ok()) {
      results.push_back(p.status());
    } else {
      results.push_back(Await(*pending[next++], deadline));
    }
  }
  return results;
}

void Ledger::SequencerLoop() {
  for (;;) {
    std::vector<std::shared_ptr<Pending>> group;
    {
      absl::MutexLock lock(&queue_mu_);
      queue_mu_.Await(absl::Condition(
          +[](Ledger* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->queue_mu_) {
            return !l->queue_.empty() || l->stopping_;
          },
          this));
      if (queue_.empty()) return;  // stopping, and drained
      if (options_.group_linger > absl::ZeroDuration() && preparing_ > 0 && !stopping_ &&
          queue_.size() < options_.max_group) {
        // More single submissions are on their way: let them join this group.
        queue_mu_.AwaitWithTimeout(
            absl::Condition(
                +[](Ledger* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->queue_mu_) {
                  return l->preparing_ == 0 || l->stopping_ ||
                         l->queue_.size() >= l->options_.max_group;
                },
                this),
            options_.group_linger);
      }
      const size_t n = std::min(queue_.size(), options_.max_group);
      group.assign(queue_.begin(), queue_.begin() + n);
      queue_.erase(queue_.begin(), queue_.begin() + n);
    }
    CommitGroup(group);
  }
}

void Ledger::CommitGroup(std::vector<std::shared_ptr<Pending>>& group) {
  const absl::Time started = absl::Now();
  if (absl::Status writable = EnsureWritable(); !writable.ok()) {
    for (auto& sp : group) {
      sp->status = writable;
      metrics_.CountOutcome(sp->status, false);
      sp->done.Notify();
    }
    metrics_.CountCommit(group.size(), 0, absl::Now() - started, absl::Now());
    return;
  }
  const CompactRange saved_tree = tree_;
  const Hash saved_last = last_leaf_hash_;
  StateView state(store_.get(), &registry_);
  StoreBatch batch = store_->NewBatch();
  std::vector<NewNode> nodes;
  std::vector<Pending*> appended;
  // In-group record ids, and in-group retries of a record appended by this group.
  absl::flat_hash_map<std::string, Pending*> ids;
  std::vector<std::pair<Pending*, Pending*>> retries;
  // Set when this group holds a key handover: its checkpoint is signed by both keys.
  std::shared_ptr<const NoteSigner> rotate_to;
  const std::shared_ptr<const NoteSigner> signer = this->signer();
  const int64_t now = options_.now_micros();
  // The log's policy as this group changes it (a LogPolicy entry takes effect at once).
  std::optional<v1::LogPolicy> policy = policy_;
  // Earlier records, including those appended earlier in this group.
  const RecordReader record_at = [&](uint64_t index) -> absl::StatusOr<v1::Record> {
    if (index >= saved_tree.size()) {
      const size_t i = index - saved_tree.size();
      if (i < appended.size()) return appended[i]->in.record;
      return absl::NotFoundError(absl::StrCat("no entry ", index));
    }
    return ReadRecord(index);
  };

  for (auto& sp : group) {
    Pending& p = *sp;
    const v1::Record& rec = p.in.record;
    std::string id_key = absl::StrCat(rec.signer(), absl::string_view("\0", 1), rec.record_id());
    if (auto it = ids.find(id_key); it != ids.end()) {
      if (it->second->in.record_bytes == p.in.record_bytes) {
        retries.emplace_back(&p, it->second);
      } else {
        p.status = absl::AlreadyExistsError(absl::StrCat("record id '", rec.record_id(), "' of '",
                                                         rec.signer(), "' is already used"));
      }
      continue;
    }
    absl::StatusOr<std::optional<uint64_t>> existing =
        store_->FindRecordId(rec.signer(), rec.record_id());
    if (!existing.ok()) {
      p.status = existing.status();
      continue;
    }
    if (existing->has_value()) {
      const uint64_t index = **existing;
      absl::StatusOr<std::string> entry = store_->GetEntry(index);
      absl::StatusOr<EntryView> view =
          entry.ok() ? DecodeEntry(*entry) : absl::StatusOr<EntryView>(entry.status());
      if (!view.ok()) {
        p.status = view.status();
      } else if (view->record == p.in.record_bytes) {
        p.duplicate = true;
        p.index = index;
        p.leaf_hash = LeafHash(*entry);
      } else {
        p.status = absl::AlreadyExistsError(
            absl::StrCat("record id '", rec.record_id(), "' of '", rec.signer(),
                         "' is already used by entry ", index, " with other bytes"));
      }
      continue;
    }
    const uint64_t index = tree_.size();
    const v1::LogPolicy* before = policy ? &*policy : nullptr;
    if (p.in.signature_version != SignatureVersion(PolicyInForce(rec, before))) {
      // Cannot happen while the policy changes only in Open, before any submission.
      p.status = absl::FailedPreconditionError(
          "the log's record signature policy changed while the record was being verified; "
          "sign it again for this log's policy and submit it again");
      continue;
    }
    const RecordContext ctx{rec, *p.in.key, index, now, record_at, before};
    absl::Status st = CheckAndApply(ctx, options_.rules, state);
    if (!st.ok()) {
      state.RollbackRecord();
      p.status = std::move(st);
      continue;
    }
    state.CommitRecord();
    if (const v1::LogPolicy* carried = CarriedPolicy(rec)) policy = *carried;
    const std::string entry =
        EncodeEntry(index, now, last_leaf_hash_, p.in.record_bytes, p.in.signature);
    const Hash leaf = LeafHash(entry);
    batch.PutEntry(index, entry);
    batch.PutLeafIndex(leaf, index);
    batch.PutRecordId(rec.signer(), rec.record_id(), index);
    tree_.Append(leaf, &nodes);
    last_leaf_hash_ = leaf;
    p.index = index;
    p.leaf_hash = leaf;
    ids.emplace(std::move(id_key), &p);
    appended.push_back(&p);
    if (p.in.rotate_to) rotate_to = p.in.rotate_to;
  }

  absl::Status commit = absl::OkStatus();
  std::string note;
  if (!appended.empty()) {
    for (const NewNode& n : nodes) batch.PutNode(n.level, n.index, n.hash);
    for (const auto& [key, value] : state.changes()) batch.PutState(key, value);
    batch.PutTreeSize(tree_.size());
    Checkpoint cp{
        .origin = signer->name(), .size = tree_.size(), .root = tree_.Root(), .extensions = {}};
    const std::string text = cp.ToText();
    absl::StatusOr<std::string> signed_note = signer->Sign(text);
    if (signed_note.ok() && rotate_to) {
      absl::StatusOr<std::string> line = rotate_to->SignatureLine(text);
      if (line.ok()) {
        signed_note->append(*line);
      } else {
        signed_note = line.status();
      }
    }
    commit = signed_note.status();
    if (commit.ok()) {
      note = std::move(*signed_note);
      batch.PutCheckpoint(tree_.size(), note);
      if (options_.commit_delay > absl::ZeroDuration()) absl::SleepFor(options_.commit_delay);
      commit = store_->Commit(batch);
      if (!commit.ok()) commit = NotAppended(commit);
    }
    if (commit.ok()) {
      state.Publish(&registry_);
      for (const NewNode& n : nodes) node_cache_.Put(n.level, n.index, n.hash);
      policy_ = std::move(policy);
      signature_version_ = SignatureVersion(policy_ ? &*policy_ : nullptr);
      absl::MutexLock lock(&head_mu_);
      size_ = tree_.size();
      checkpoint_ = note;
      if (rotate_to) {
        // Later checkpoints are signed by the new key only.
        for (Pending* p : appended) {
          if (p->in.rotate_to == rotate_to) key_handovers_.push_back(p->index);
        }
        verifier_ = *NoteVerifier::Parse(rotate_to->VerifierKey());
        signer_ = std::move(rotate_to);
      }
    } else {
      tree_ = saved_tree;
      last_leaf_hash_ = saved_last;
      for (Pending* p : appended) p->status = commit;
    }
  }
  for (auto& [retry, original] : retries) {
    retry->status = original->status;
    retry->duplicate = true;
    retry->index = original->index;
    retry->leaf_hash = original->leaf_hash;
  }
  const auto [size, latest] = LatestCheckpoint();
  // Read back from the note every receipt carries: what its proof is checked against.
  const absl::StatusOr<Checkpoint> latest_cp = ParseCheckpointNote(latest);
  const absl::Time done = absl::Now();
  metrics_.CountCommit(group.size(), commit.ok() ? appended.size() : 0, done - started, done);
  for (auto& sp : group) {
    if (sp->status.ok()) {
      sp->tree_size = size;
      sp->checkpoint = latest;
      if (latest_cp.ok()) sp->root = latest_cp->root;
    }
    metrics_.CountOutcome(sp->status, sp->duplicate);
    sp->done.Notify();
  }
}

absl::StatusOr<v1::Record> Ledger::ReadRecord(uint64_t index) const {
  ASSIGN_OR_RETURN(std::string bytes, store_->GetEntry(index));
  return RecordOfEntry(index, bytes);
}

LogInfo Ledger::Info() const {
  absl::MutexLock lock(&head_mu_);
  return LogInfo{signer_->name(), signer_->VerifierKey(), size_, key_handovers_};
}

std::shared_ptr<const NoteSigner> Ledger::signer() const {
  absl::MutexLock lock(&head_mu_);
  return signer_;
}

NoteVerifier Ledger::verifier() const {
  absl::MutexLock lock(&head_mu_);
  return verifier_;
}

absl::StatusOr<Receipt> Ledger::RotateOperatorKey(const std::string& new_key_path,
                                                  const std::string& reason) {
  absl::MutexLock rotating(&rotate_mu_);
  RETURN_IF_ERROR(CheckKeyFileIsPrivate(new_key_path));
  ASSIGN_OR_RETURN(PrivateKey next_key, PrivateKey::LoadPemFile(new_key_path));
  const std::shared_ptr<const NoteSigner> current = signer();
  if (next_key.public_key().raw() == current->key().public_key().raw()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the key in ", new_key_path, " already signs this log's checkpoints"));
  }
  ASSIGN_OR_RETURN(std::optional<v1::CheckpointKeyState> ck, ReadCheckpointKeyState(*store_));
  if (!ck) return absl::DataLossError("the log has no checkpoint key state");
  ASSIGN_OR_RETURN(NoteSigner next, NoteSigner::Create(current->name(), next_key));

  // Staged beside the key file first: if the process dies once the handover is
  // durable, Open installs it (KeyInForce).
  const std::string staged = options_.operator_key_path + ".next";
  std::error_code ec;
  std::filesystem::remove(staged, ec);
  RETURN_IF_ERROR(next_key.SavePemFile(staged));

  v1::Record record;
  record.set_record_id(absl::StrCat("checkpoint-key-", next_key.public_key().Fingerprint()));
  record.set_signer(ck->operator_id());
  record.set_key_id(current->key().public_key().Fingerprint());
  record.set_event_time_micros(options_.now_micros());
  record.mutable_operator_key_rotated()->mutable_new_key()->set_ed25519(next_key.public_key().raw());
  record.mutable_operator_key_rotated()->set_reason(reason);
  std::string bytes = SerializeRecord(record);
  std::string signature = SignRecord(current->key(), origin_, bytes);
  absl::StatusOr<Prepared> prepared = Prepare(std::move(bytes), std::move(signature), true);
  absl::StatusOr<Receipt> receipt = absl::UnknownError("not submitted");
  if (prepared.ok()) {
    prepared->rotate_to = std::make_shared<const NoteSigner>(std::move(next));
    std::vector<Prepared> one;
    one.push_back(*std::move(prepared));
    receipt = Await(*Enqueue(std::move(one))[0], absl::InfiniteFuture());
  } else {
    receipt = prepared.status();
  }
  if (!receipt.ok()) {
    std::filesystem::remove(staged, ec);
    return receipt.status();
  }
  RETURN_IF_ERROR(InstallKeyFile(staged, options_.operator_key_path));
  return receipt;
}

uint64_t Ledger::Size() const {
  absl::MutexLock lock(&head_mu_);
  return size_;
}

std::pair<uint64_t, std::string> Ledger::LatestCheckpoint() const {
  absl::MutexLock lock(&head_mu_);
  return {size_, checkpoint_};
}

std::optional<std::pair<uint64_t, std::string>> Ledger::LatestCosigned() const {
  absl::MutexLock lock(&head_mu_);
  return cosigned_;
}

absl::Status Ledger::PublishCosigned(uint64_t size, const std::string& cosigned) {
  ASSIGN_OR_RETURN(std::string plain, GetCheckpoint(size));
  if (cosigned.size() <= plain.size() || cosigned.compare(0, plain.size(), plain) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("a cosigned checkpoint must extend the one issued at size ", size));
  }
  StoreBatch batch = store_->NewBatch();
  batch.PutCheckpoint(size, cosigned);
  batch.PutMeta("cosigned_size", EncodeU64(size));
  if (const auto latest = LatestCosigned(); latest && latest->first >= size) {
    return absl::OkStatus();  // a newer one is already published
  }
  RETURN_IF_ERROR(store_->Commit(batch));
  absl::MutexLock lock(&head_mu_);
  if (!cosigned_ || cosigned_->first < size) cosigned_ = std::make_pair(size, cosigned);
  return absl::OkStatus();
}

absl::StatusOr<BackupInfo> Ledger::Backup(const std::string& root) const {
  return WriteBackup(*store_, signer()->key(), root, absl::Now());
}

absl::StatusOr<std::string> Ledger::GetEntry(uint64_t index) const {
  const uint64_t size = Size();
  if (index >= size) {
    return absl::OutOfRangeError(
        absl::StrCat("index ", index, " is beyond the log (size ", size, ")"));
  }
  return store_->GetEntry(index);
}

absl::Status Ledger::ScanEntries(
    uint64_t start, uint64_t end,
    const std::function<absl::Status(uint64_t, std::string_view)>& fn) const {
  const uint64_t size = Size();
  if (start > end || end > size) {
    return absl::OutOfRangeError(
        absl::StrCat("range [", start, ", ", end, ") is not within the log (size ", size, ")"));
  }
  return store_->ScanEntries(start, end, fn);
}

absl::StatusOr<std::string> Ledger::GetCheckpoint(uint64_t size) const {
  const uint64_t current = Size();
  if (size > current) {
    return absl::OutOfRangeError(
        absl::StrCat("size ", size, " is beyond the log (size ", current, ")"));
  }
  return store_->GetCheckpoint(size);
}

absl::StatusOr<uint64_t> Ledger::FindLeaf(const Hash& leaf_hash) const {
  ASSIGN_OR_RETURN(std::optional<uint64_t> index, store_->FindLeaf(leaf_hash));
  if (!index || *index >= Size()) {
    return absl::NotFoundError(absl::StrCat("no entry has leaf hash ", HashToHex(leaf_hash)));
  }
  return *index;
}

}  // namespace touchstone
