// The Ledger's opening and recovery: Open (a new log's key and genesis, an
// existing log's key in force and head), the tail check that refuses to extend
// a damaged log, reloading the head after a failed write, and shutting down.
#include <sys/stat.h>

#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/ledger.h"
#include "ledger/ledger_internal.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/provenance/key_handover.h"
#include "ledger/provenance/rebuild.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/state_view.h"
#include "ledger/store/storage_map.h"

namespace touchstone {

using ledger_internal::NotAppended;

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

// A log written before checkpoint key rotation existed has no CheckpointKeyState
// and cannot have a handover: its state is the one its genesis entry gives
// (ApplyGenesis), stored now so that the state stays what a rebuild produces.
[[nodiscard]] absl::StatusOr<std::optional<v1::CheckpointKeyState>> AddCheckpointKeyState(
    Store& store) {
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

// State written by a version older than this one (storage_map.h
// kStateFormat) lacks what this version keeps (the lots' traces): it is
// rebuilt from the log (rebuild.h) and replaced, keys the rebuild does not
// produce removed, with the format marker in the same batch, so a reader
// never sees a half-filled state. Nothing to do if the marker is current.
[[nodiscard]] absl::Status UpgradeStateFormat(Store& store, uint64_t size,
                                              const RuleOptions& rules) {
  ASSIGN_OR_RETURN(std::optional<std::string> format, store.GetMeta(kStateFormatMetaKey));
  if (format && *format == kStateFormat) return absl::OkStatus();
  absl::StatusOr<MemoryState> rebuilt = RebuildState(store, size, rules);
  if (!rebuilt.ok()) {
    return absl::Status(rebuilt.status().code(),
                        absl::StrCat("cannot rebuild the state an older version wrote: ",
                                     rebuilt.status().message()));
  }
  StoreBatch batch = store.NewBatch();
  RETURN_IF_ERROR(store.ScanState([&](std::string_view key, std::string_view) {
    if (!rebuilt->values().contains(std::string(key))) batch.DeleteState(key);
    return absl::OkStatus();
  }));
  for (const auto& [key, value] : rebuilt->values()) batch.PutState(key, value);
  batch.PutMeta(kStateFormatMetaKey, kStateFormat);
  return store.Commit(batch);
}

}  // namespace

namespace ledger_internal {

[[nodiscard]] absl::Status NotAppended(const absl::Status& cause) {
  const bool full = cause.code() == absl::StatusCode::kResourceExhausted;
  return absl::Status(
      cause.code(),
      absl::StrCat("nothing was appended: the ledger cannot write to its storage (",
                   cause.message(), "); ",
                   full ? "the disk is full or a file reached its size limit: free space (or "
                          "raise the limit) and appends resume by themselves"
                        : "appends resume by themselves once writing works again"));
}

}  // namespace ledger_internal

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
  ASSIGN_OR_RETURN(
      std::unique_ptr<Store> store,
      Store::Open({.path = options.data_dir + "/db", .min_free_bytes = options.min_free_bytes}));
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
    if (absl::IsNotFound(key.status()) && options.replica) {
      // One log, one checkpoint key: a replica never makes its own.
      return absl::FailedPreconditionError(
          absl::StrCat("replicated mode: every replica holds the log's operator key, and ",
                       options.operator_key_path,
                       " is missing: copy the key the replica set shares there (mode 0600)"));
    }
    if (absl::IsNotFound(key.status())) {
      key = PrivateKey::Generate();
      if (key.ok()) RETURN_IF_ERROR(key->SavePemFile(options.operator_key_path));
    }
    if (!key.ok()) return key.status();
  } else {
    ASSIGN_OR_RETURN(std::optional<std::string> stored_origin, store->GetMeta(kOriginMetaKey));
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
    RETURN_IF_ERROR(UpgradeStateFormat(*store, size, options.rules));
    ASSIGN_OR_RETURN(std::optional<v1::CheckpointKeyState> ck, ReadCheckpointKeyState(*store));
    if (!ck) {
      ASSIGN_OR_RETURN(ck, AddCheckpointKeyState(*store));
    }
    ASSIGN_OR_RETURN(key,
                     ledger_internal::KeyInForce(*ck, *std::move(key), options.operator_key_path));
    key_handovers.assign(ck->handovers().begin(), ck->handovers().end());
  }
  ASSIGN_OR_RETURN(NoteSigner signer, NoteSigner::Create(origin, *key));
  ASSIGN_OR_RETURN(NoteVerifier verifier, NoteVerifier::Parse(signer.VerifierKey()));

  auto ledger = std::unique_ptr<Ledger>(
      new Ledger(std::move(options), std::move(store), std::move(signer), std::move(verifier)));
  if (size == 0) {
    // A replica's log is created by its leader (StartWriting) or applied (ApplyGroup).
    if (!ledger->options_.replica) RETURN_IF_ERROR(ledger->CreateGenesis(*key));
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
      !ledger->options_.legacy_log && !ledger->options_.replica &&
      (!ledger->policy_ || ledger->policy_->SerializeAsString() != wanted.SerializeAsString());
  ledger->sequencer_ = std::thread([l = ledger.get()] { l->SequencerLoop(); });
  if (append_policy) RETURN_IF_ERROR(ledger->AppendPolicy(wanted));
  ledger->StartScrub();
  return ledger;
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
  ASSIGN_OR_RETURN(v1::Record record, RecordOfEntry(0, genesis_bytes));
  if (!record.has_genesis()) return absl::DataLossError("entry 0 is not a genesis record");
  const std::string& op_id = record.genesis().operator_().participant_id();
  ASSIGN_OR_RETURN(auto op, registry_.Get(op_id));
  const v1::KeyState* k = FindKey(*op, signer()->key().public_key().Fingerprint());
  if (k == nullptr || k->revoked()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the operator key in ", options_.operator_key_path,
                     " is not an active key of this log's operator '", op_id, "'"));
  }
  RETURN_IF_ERROR(LoadHead());
  ASSIGN_OR_RETURN(std::optional<std::string> cosigned_size, store_->GetMeta(kCosignedSizeMetaKey));
  if (const std::optional<uint64_t> s =
          cosigned_size ? DecodeU64Value(*cosigned_size) : std::nullopt) {
    ASSIGN_OR_RETURN(std::string cosigned, store_->GetCheckpoint(*s));
    absl::MutexLock lock(&head_mu_);
    cosigned_ = std::make_pair(*s, std::move(cosigned));
  }
  return LoadAudited();
}

absl::Status Ledger::LoadHead() {
  ASSIGN_OR_RETURN(const uint64_t size, store_->ReadTreeSize());
  if (size == 0) return absl::DataLossError("the log has no entries");
  // The frontier is read from storage and kept in the cache: every receipt needs it.
  ASSIGN_OR_RETURN(
      CompactRange tree,
      CompactRange::FromNodes(size, [this](int level, uint64_t index) -> absl::StatusOr<Hash> {
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
  absl::Status scanned =
      store_->ScanEntries(start, size, [&](uint64_t i, std::string_view bytes) -> absl::Status {
        auto bad = [&](absl::string_view what) {
          return absl::DataLossError(absl::StrCat(kRefusal, "entry ", i, " ", what));
        };
        const Hash leaf = LeafHash(bytes);
        absl::StatusOr<Hash> stored = store_->GetNode(0, i);
        if (!stored.ok() || *stored != leaf) return bad("does not match its leaf hash in the tree");
        absl::StatusOr<EntryView> e = DecodeEntry(bytes);
        if (!e.ok()) return bad(e.status().message());
        // Entry `start`'s predecessor is unknown when the check starts at entry 0.
        if (absl::Status link = CheckEntryLink(*e, i, prev ? &*prev : nullptr); !link.ok()) {
          return absl::DataLossError(absl::StrCat(kRefusal, "entry ", i, link.message()));
        }
        prev = leaf;
        return absl::OkStatus();
      });
  // A missing entry or an unreadable (checksum-failing) block is refused the same way.
  if (!scanned.ok() && !absl::StartsWith(scanned.message(), kRefusal)) {
    return absl::Status(scanned.code(), absl::StrCat(kRefusal, scanned.message()));
  }
  return scanned;
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

}  // namespace touchstone
