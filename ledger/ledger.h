// The ledger: an append-only, hash-chained, Merkle-tree log of signed records
// over RocksDB, with group commit and signed checkpoints.
//
// Append path: Submit() parses the record and verifies its signature on the
// caller's thread (so verification runs in parallel across callers), then
// queues it. One sequencer thread takes every waiting submission as a group,
// checks the rules, assigns indices, writes entries, tree nodes, indexes,
// state and one signed checkpoint in one synced WriteBatch, and only then
// completes each submission. The caller then builds its receipt (inclusion
// proof against that checkpoint) on its own thread.
//
// Read path: every inclusion proof (a receipt's included) and consistency
// proof the ledger returns is verified against the checkpoint it is served
// with before it leaves (ledger_proofs.cc, proof_check.h): one that fails is
// DATA_LOSS naming the damaged stored value, counted in metrics() and reported
// to LedgerOptions::on_damage, never returned. A background scrub (scrub.h)
// re-checks the whole stored log at a bounded rate and reports the same way.
//
// Where each job is: ledger_open.cc (Open, recovery, the tail check),
// ledger_policy.cc (the log's policy), ledger_genesis.cc (a new log's first
// entry), ledger_append.cc (Prepare, the queue, the sequencer loop),
// ledger_commit.cc (the group commit and the one batch-writing path genesis
// shares), ledger_keys.cc (the operator key and its rotation), ledger_reads.cc
// and ledger_proofs.cc (reads and proofs). Storage layout: ledger/store/storage_map.h.
#ifndef TOUCHSTONE_LEDGER_LEDGER_H_
#define TOUCHSTONE_LEDGER_LEDGER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/backup.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/compact_range.h"
#include "ledger/log/hash.h"
#include "ledger/log/note.h"
#include "ledger/metrics.h"
#include "ledger/provenance/limits.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/opening_access.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/registry.h"
#include "ledger/provenance/rules.h"
#include "ledger/scrub.h"
#include "ledger/store/damage.h"
#include "ledger/store/node_cache.h"
#include "ledger/store/store.h"
#include "ledger/worker_pool.h"
#include "proto/replication.pb.h"
#include "proto/state.pb.h"

namespace touchstone {

class StateView;  // ledger/provenance/state_view.h

// The origin of a new log when none is given (LedgerOptions::origin).
inline constexpr char kDefaultOrigin[] = "touchstone.local/ledger";

struct LedgerOptions {
  // Directory holding the database ("db/") and, by default, the operator key.
  // Default: /var/lib/touchstone
  std::string data_dir = "/var/lib/touchstone";
  // The log's origin (checkpoint key name), used when the log is created; an
  // existing log keeps its own and refuses a different non-empty value.
  // Default: "touchstone.local/ledger"
  std::string origin;
  // PEM file of the operator's Ed25519 key; created (mode 0600) with a new log
  // if missing. Default: <data_dir>/operator.pem
  std::string operator_key_path;
  // Participant id of the operator, used when the log is created. Default: "operator"
  std::string operator_id = "operator";
  // Legal name of the operator, used when the log is created. Default: "Touchstone operator"
  std::string operator_name = "Touchstone operator";
  // Most submissions one commit group takes. Default: 4096
  size_t max_group = 4096;
  // While other single submissions are still being verified, the sequencer
  // waits up to this long for them before it commits a group, so that one
  // checkpoint signature and one synced write serve more records (each group
  // costs ~340 us of CPU here: bench/RESULTS.md). A lone submission never
  // waits. Default: 500 us; zero turns it off.
  absl::Duration group_linger = absl::Microseconds(500);
  // Most records one SubmitBatch call takes. Default: 1000 (ledger/provenance/limits.h)
  size_t max_batch = kDefaultMaxBatchRecords;
  // Largest record accepted, in bytes. Default: 64 KiB (ledger/provenance/limits.h)
  size_t max_record_bytes = kDefaultMaxRecordBytes;
  // Length limits on the fields of submitted records, checked before the
  // signature is. Default: see FieldLimits (ledger/provenance/limits.h)
  FieldLimits field_limits;
  // Clock for recorded_at, in microseconds since the epoch. Default: the system clock.
  std::function<int64_t()> now_micros;
  // Tolerances of the provenance rules. Default: see RuleOptions.
  RuleOptions rules;
  // The log's policy (ledger/provenance/log_policy.h): how far before the time the log
  // records it a record may be dated. A new log's genesis carries the policy;
  // when an existing log's recorded policy differs (or it has none, being older
  // than LogPolicy), Open appends a LogPolicy entry. Must be above zero.
  // Default: 3 days
  absl::Duration max_backdate = absl::Hours(72);
  // Whether the log's policy accepts records marked history_import (exempt
  // from max_backdate), for importing history; recorded like max_backdate.
  // Default: false
  bool allow_history_import = false;
  // Which record rules the log's policy puts in force (LogPolicy.rules_version,
  // ledger/provenance/log_policy.h): a new log starts under them, and an older
  // log opened with a different one gets a LogPolicy entry (its earlier
  // entries keep the rules they were appended under). 0 = the legacy rules
  // (tests that build legacy records). Default: kTradeRulesVersion (2)
  uint32_t rules_version = kTradeRulesVersion;
  // Test hook: create a new log as versions before LogPolicy did (a genesis
  // without a policy, legacy record signatures: ledger/provenance/record.h), and append no
  // policy when opening one. Default: false
  bool legacy_log = false;
  // On open, how many of the newest entries are re-hashed and chain-checked
  // against the stored tree before the log may be extended. Default: 1000
  uint64_t verify_tail_entries = 1000;
  // Receipts of the newest this many entries are proven from tree nodes kept in
  // memory (ledger/store/node_cache.h) instead of storage reads; about 64 bytes each.
  // Default: 16384
  uint64_t cached_leaves = uint64_t{1} << 14;
  // Threads that verify the signatures of one SubmitBatch call in parallel,
  // beside the caller's own. Default: 0, one per core
  size_t verify_threads = 0;
  // Appends are refused (RESOURCE_EXHAUSTED) while the data directory's
  // filesystem has less than this many bytes free. Default: 16 MiB
  uint64_t min_free_bytes = 16 << 20;
  // After a write failed (disk full, I/O error), appends are refused at once
  // until the storage is reopened; an append tries that at most this often.
  // Default: 1 second
  absl::Duration storage_retry_interval = absl::Seconds(1);
  // Called for every damaged stored value the ledger finds: a proof that
  // failed its check and was refused, or a finding of the scrub. On the thread
  // that found it; must be thread-safe. touchstoned logs it as an error
  // (event "data_loss"). Default: none (findings are still counted in metrics())
  DamageSink on_damage;
  // The background scrub (ledger/scrub.h) re-checks this many entries a second,
  // with their tree nodes and checkpoints, pass after pass; 0 turns it off.
  // Default: 200 (a pass over 10^7 entries in under 14 hours)
  double scrub_entries_per_second = 200;
  // Test hook: every commit sleeps this long between signing its checkpoint and
  // writing its batch, so that a kill or a shutdown can be made to land there.
  // Default: 0
  absl::Duration commit_delay = absl::ZeroDuration();
  // Auditors whose cosignatures of audited checkpoints the ledger keeps
  // (AddAuditCosignature): cosignature/v1 verifier keys (ledger/log/audit_note.h),
  // the key name being the auditor's name. Default: none (cosignatures refused)
  std::vector<NoteVerifier> auditors;
  // How many auditors (distinct keys) must cosign a checkpoint before it is
  // served as the audited checkpoint (LatestAudited). 0 = all of them.
  // Default: 0
  size_t auditor_quorum = 0;

  // ---- Replicated mode (ledger_replica.cc, docs/replication.md). ----
  // Set: this ledger is one replica of a log whose commit groups a leader makes
  // durable elsewhere (etcd) first. Open neither creates a genesis nor appends
  // a policy: a new replica opens empty (Size() 0), and the leader creates
  // them through `replicate` (StartWriting); followers take them by
  // ApplyGroup. Default: false
  bool replica = false;
  // Replicated mode: called on the sequencer thread with each group this
  // replica sequenced and signed (genesis included), before the group is
  // written here; the group is written and its submissions acknowledged only
  // if it returns OK (the group is durable in the replica set). Any other
  // status refuses the group's submissions with that status, and nothing is
  // written here. Must be thread-compatible. Default: none (one node)
  std::function<absl::Status(const v1::ReplicatedGroup&)> replicate;
  // Most bytes one commit group carries (at least one record): each record's
  // bytes, its entry's framing and signature, and its opening; 0 = no limit. Replicated mode bounds
  // groups below etcd's request limit. Default: 0
  size_t max_group_bytes = 0;
};

// What AddAuditCosignature did. Value type.
struct AuditCosignResult {
  uint64_t size = 0;                  // the cosigned checkpoint's size
  std::vector<std::string> added;     // auditors whose cosignature was new
  std::vector<std::string> auditors;  // every auditor who cosigned this size
  uint64_t audited_size = 0;          // the served audited checkpoint's size now (0: none)
};

// What a submitter gets back: where the record is and the proof that it is there.
struct Receipt {
  uint64_t index = 0;
  Hash leaf_hash{};
  uint64_t tree_size = 0;             // size of `checkpoint`
  std::string checkpoint;             // signed note covering the entry
  std::vector<Hash> inclusion_proof;  // against `checkpoint`
  bool duplicate = false;             // an idempotent retry of an earlier submission
};

struct LogInfo {
  std::string origin;
  std::string verifier_key;  // the checkpoint key in force
  uint64_t size = 0;
  // Indices of the checkpoint key handovers (ledger/provenance/key_handover.h), in order.
  std::vector<uint64_t> key_handovers;
};

// Thread-safe.
class Ledger {
  struct Pending;  // a queued submission (ledger_internal.h)

 public:
  // Opens the log in options.data_dir, creating it (operator key and genesis
  // entry, with the log's policy) if new; an existing log whose recorded policy
  // differs from the options' gets a LogPolicy entry first (ledger/provenance/log_policy.h).
  // FAILED_PRECONDITION if the operator key does not match the log's genesis,
  // its file may be read by group or others, or the origin differs;
  // INVALID_ARGUMENT if max_backdate is not above zero; storage errors as
  // Store::Open; errors of appending the policy as Submit.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Ledger>> Open(LedgerOptions options);
  // Stops the sequencer after draining queued submissions.
  ~Ledger();

  // Appends one signed record and waits until it is durable, or until
  // `deadline`. Errors: see proto/ledger_service.proto (Submit); UNAVAILABLE
  // after Shutdown(); DEADLINE_EXCEEDED if the deadline passes first: nothing
  // was queued if it had passed on entry, otherwise the record may still be
  // appended and resubmitting the same bytes returns its receipt. `signature`
  // is empty for a record an owner key signs alone (IsOwnerOnly,
  // ledger/provenance/record.h): its owner_signature is in the record bytes.
  [[nodiscard]] absl::StatusOr<Receipt> Submit(std::string record, std::string signature,
                                               absl::Time deadline = absl::InfiniteFuture());
  // The same with the record's opening: a sealed record (Record.sealed) must
  // come with the opening of its commitment, and only a sealed one may
  // (ledger/provenance/commitments.h). The rules check the opened record; the
  // entry holds the public record bytes as signed, and the opening is written
  // to CF "openings" in the same synced batch as the entry. INVALID_ARGUMENT,
  // nothing appended, for a sealed record without an opening ("record is
  // sealed: its opening must come with it"), an opening with an unsealed
  // record, or an opening OpenRecord refuses (one that does not match the
  // commitment, holds a field that is not committed, ...). A retry of the same
  // public bytes with the (necessarily same) opening returns the receipt.
  [[nodiscard]] absl::StatusOr<Receipt> Submit(std::string record, std::string signature,
                                               std::optional<v1::Opening> opening,
                                               absl::Time deadline = absl::InfiniteFuture());
  // A submission started and not yet finished. Move-only.
  class Ticket {
   public:
    Ticket(Ticket&&) = default;
    Ticket& operator=(Ticket&&) = default;

   private:
    friend class Ledger;
    Ticket() = default;
    absl::Status refused;              // set if Start refused the record
    std::shared_ptr<Pending> pending;  // set otherwise
  };
  // The two halves of Submit, for callers that keep many records in flight
  // (a stream): Start parses and verifies on this thread and queues the record
  // without waiting (refused with DEADLINE_EXCEEDED, nothing queued, if
  // `deadline` has passed); Finish waits until it is durable or `deadline`
  // and returns its receipt or error, as Submit does. Every started ticket
  // should be finished.
  Ticket Start(std::string record, std::string signature,
               absl::Time deadline = absl::InfiniteFuture());
  // Start with the record's opening (as Submit with an opening).
  Ticket Start(std::string record, std::string signature, std::optional<v1::Opening> opening,
               absl::Time deadline = absl::InfiniteFuture());
  [[nodiscard]] absl::StatusOr<Receipt> Finish(Ticket& ticket,
                                               absl::Time deadline = absl::InfiniteFuture()) const;

  // Appends many records; one result per record, in order, each as Submit's.
  // INVALID_ARGUMENT (for the call) if there are more than max_batch.
  [[nodiscard]] absl::StatusOr<std::vector<absl::StatusOr<Receipt>>> SubmitBatch(
      std::vector<std::pair<std::string, std::string>> records,
      absl::Time deadline = absl::InfiniteFuture());
  // The same for records that may carry openings (as Submit with an opening).
  struct Submission {
    std::string record;
    std::string signature;
    std::optional<v1::Opening> opening;  // required with a sealed record, else empty
  };
  [[nodiscard]] absl::StatusOr<std::vector<absl::StatusOr<Receipt>>> SubmitBatch(
      std::vector<Submission> records, absl::Time deadline = absl::InfiniteFuture());

  // Hands the checkpoint key over to the Ed25519 key in the PEM file
  // `new_key_path` (owner-only permissions): appends an OperatorKeyRotated
  // record signed with the key in force (ledger/provenance/key_handover.h), signs the
  // checkpoint it commits in with both keys and every later one with the new
  // key, and replaces the operator key file with the new key. The new key is
  // staged at <operator key path>.next before the append, so a crash after it
  // is completed by the next Open. Returns the handover's receipt. Errors:
  // FAILED_PRECONDITION if the file may be read by others or the key is the key
  // in force; NOT_FOUND / INVALID_ARGUMENT for a missing or unreadable file;
  // otherwise as Submit; UNAVAILABLE if the key file cannot be replaced (the
  // handover is in the log then: restart, and Open completes it).
  [[nodiscard]] absl::StatusOr<Receipt> RotateOperatorKey(const std::string& new_key_path,
                                                          const std::string& reason);

  // Refuses new submissions, completes those queued, and stops the sequencer.
  void Shutdown();

  // ---- Replicated mode (LedgerOptions::replica; ledger_replica.cc). ----
  // Applies a commit group another replica (the leader) made durable, after
  // checking it as completely as this replica checks its own submissions:
  // every entry decodes, is the next index, links to the previous leaf, has
  // the group's one recorded time, and its record parses, carries a valid
  // signature and passes the rules here (with its opening, for a sealed
  // record); re-encoding it gives the same bytes; and the checkpoint states
  // this replica's own tree of the group's end (so it is consistent with
  // every earlier one) and is byte for byte the note the log's key (which
  // every replica holds; Ed25519 is deterministic) signs for it. The entries
  // and those checkpoint bytes are then written in one synced batch. Errors: FAILED_PRECONDITION
  // unless the group starts at Size(), or if the replica stopped (ReplicaError); DATA_LOSS
  // "replicated group at N does not verify: ..." if any check fails (nothing written; the replica
  // must not serve a history it could not verify); UNIMPLEMENTED for a
  // checkpoint key handover (not replicated yet); storage errors.
  [[nodiscard]] absl::Status ApplyGroup(const v1::ReplicatedGroup& group);
  // The leader, once it holds every group: creates the log (its genesis) if
  // Size() is 0, and appends the log's policy if it differs from the
  // options', both through LedgerOptions::replicate. Errors as Submit.
  [[nodiscard]] absl::Status StartWriting();
  // Not OK once a group `replicate` made durable could not be written here:
  // the replica set holds it and this replica does not, so this replica
  // refuses everything until it is restarted (and applies it from the set).
  absl::Status ReplicaError() const;

  LogInfo Info() const;
  uint64_t Size() const;
  // Waits until the latest checkpoint's size (with `cosigned`, the latest
  // witness-cosigned checkpoint's, 0 if none) is above `beyond`, or until
  // `deadline`. Returns that size, which may still be <= beyond at the deadline.
  uint64_t AwaitSize(uint64_t beyond, bool cosigned, absl::Time deadline) const;
  const LedgerOptions& options() const { return options_; }
  // The key that signs this log's checkpoints now, and its verifier.
  std::shared_ptr<const NoteSigner> signer() const;
  NoteVerifier verifier() const;

  // A dry run of the append path (ledger/ledger_check.h): a session that checks
  // records as Submit would append them and appends nothing. It must not
  // outlive this Ledger. DATA_LOSS if the log's policy state does not parse;
  // storage errors.
  class CheckSession;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<CheckSession>> StartCheck() const;

  // Entry bytes at index; OUT_OF_RANGE if index >= Size().
  [[nodiscard]] absl::StatusOr<std::string> GetEntry(uint64_t index) const;
  // Calls fn for each entry in [start, end); OUT_OF_RANGE if end > Size() or start > end.
  [[nodiscard]] absl::Status ScanEntries(
      uint64_t start, uint64_t end,
      const std::function<absl::Status(uint64_t, std::string_view)>& fn) const;
  // The latest checkpoint note and its size.
  std::pair<uint64_t, std::string> LatestCheckpoint() const;
  // The newest checkpoint witnesses have cosigned (with their cosignature lines),
  // if any: see PublishCosigned.
  std::optional<std::pair<uint64_t, std::string>> LatestCosigned() const;
  // Stores `cosigned` (the checkpoint issued at `size` plus witness cosignature
  // lines) in place of the plain note at that size, durably, and makes it the
  // latest cosigned checkpoint if it is newer. FAILED_PRECONDITION unless it
  // extends the stored note at that size; storage errors as Store::Commit.
  [[nodiscard]] absl::Status PublishCosigned(uint64_t size, const std::string& cosigned);
  // Auditors who cosign (ledger/log/audit_note.h, ledger_audited.cc): keeps the
  // auditor cosignature lines of `cosigned_note` (a checkpoint note of this
  // log, as issued at its size, plus cosignature/v1 lines by auditors of
  // options().auditors) with the checkpoint issued at that size, durably
  // (storage_map.h AuditedCheckpointMetaKey); once the checkpoint holds
  // options().auditor_quorum distinct auditors' lines and is newer than the
  // served one, it is served as LatestAudited. A line an auditor already gave
  // is kept once (a retry is OK, with nothing added). Errors:
  // FAILED_PRECONDITION if no auditor is configured or the text is not the
  // checkpoint issued at its size; NOT_FOUND if none was issued at that size;
  // OUT_OF_RANGE beyond the log; PERMISSION_DENIED if no line is by a
  // configured auditor's key or one does not verify; INVALID_ARGUMENT if
  // malformed; storage errors as Store::Commit.
  [[nodiscard]] absl::StatusOr<AuditCosignResult> AddAuditCosignature(
      std::string_view cosigned_note);
  // The newest checkpoint enough auditors cosigned (with the log's signature
  // and their lines), and its size; nullopt if none.
  std::optional<std::pair<uint64_t, std::string>> LatestAudited() const;
  // The checkpoint issued at `size`; NOT_FOUND if none was issued at that size,
  // OUT_OF_RANGE if size > Size().
  [[nodiscard]] absl::StatusOr<std::string> GetCheckpoint(uint64_t size) const;
  // Inclusion proof of the entry at `index`, whose leaf hash is `leaf_hash`
  // (that of the entry bytes served with it), in the tree of `checkpoint`: a
  // checkpoint note of this log (LatestCheckpoint, LatestCosigned,
  // GetCheckpoint) that the caller serves with the proof. The proof is
  // verified against the checkpoint's root before it is returned. Errors:
  // INVALID_ARGUMENT if `checkpoint` is not a checkpoint note; OUT_OF_RANGE if
  // index >= its size or its size > Size(); DATA_LOSS if the proof cannot be
  // made or does not verify, naming the damaged stored value (counted in
  // metrics(), reported to options().on_damage); UNAVAILABLE from storage.
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index,
                                                                 const Hash& leaf_hash,
                                                                 std::string_view checkpoint) const;
  // The same for the entry stored at `index` (its leaf hash is computed from
  // the stored bytes, which GetEntry serves).
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index,
                                                                 std::string_view checkpoint) const;
  // The index of the entry with this leaf hash; NOT_FOUND if none.
  [[nodiscard]] absl::StatusOr<uint64_t> FindLeaf(const Hash& leaf_hash) const;
  // Consistency proof from old_size to the tree of `checkpoint` (as for
  // InclusionProof), verified before it is returned from the root of the
  // checkpoint issued at old_size (for a size none was issued at, the stored
  // tree's root there) to the checkpoint's root. Errors: INVALID_ARGUMENT
  // unless 0 < old_size <= the checkpoint's size, or if `checkpoint` is not a
  // checkpoint note; otherwise as InclusionProof.
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> ConsistencyProof(
      uint64_t old_size, std::string_view checkpoint) const;

  // Writes a consistent backup of the log and the operator key into a new
  // directory under `root` while appends continue (ledger/backup.h). Errors as
  // WriteBackup.
  [[nodiscard]] absl::StatusOr<BackupInfo> Backup(const std::string& root) const;

  const Store& store() const { return *store_; }
  // What the ledger has done and found since it opened (ledger/metrics.h).
  const LedgerMetrics& metrics() const { return metrics_; }
  // Calls fn(record_id, index) for every record `signer` signed (the record id
  // index, CF "index"), in record id order: its cost is the signer's records,
  // not the log. DATA_LOSS / UNAVAILABLE from storage.
  [[nodiscard]] absl::Status ScanRecordsSignedBy(
      std::string_view signer,
      const std::function<absl::Status(std::string_view, uint64_t)>& fn) const {
    return store_->ScanRecordIds(signer, fn);
  }
  // The record stored at index (parsed from the entry); NOT_FOUND / DATA_LOSS.
  [[nodiscard]] absl::StatusOr<v1::Record> ReadRecord(uint64_t index) const;
  // The opening of the sealed record at `index`, from CF "openings"; nullopt
  // if that record is not sealed. No access control here: who may read an
  // opening is ledger/provenance/opening_access.h's business. Errors:
  // OUT_OF_RANGE if index >= Size(); DATA_LOSS if the record is sealed and its
  // opening is missing or does not parse; storage errors.
  [[nodiscard]] absl::StatusOr<std::optional<v1::Opening>> GetOpening(uint64_t index) const;
  // The committed state value at a state key (ledger/store/storage_map.h), if any.
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> GetState(std::string_view key) const {
    return store_->GetState(key);
  }
  // Typed lookups of committed derived state (ledger/provenance/state_view.h):
  // the object with that id, NOT_FOUND "no <kind> '<id>'" (kind: participant,
  // lot, certificate, piece) if there is none, DATA_LOSS if its stored value
  // does not parse, UNAVAILABLE / DATA_LOSS from storage.
  [[nodiscard]] absl::StatusOr<v1::ParticipantState> GetParticipant(std::string_view id) const;
  [[nodiscard]] absl::StatusOr<v1::LotState> GetLot(std::string_view id) const;
  [[nodiscard]] absl::StatusOr<v1::CertificateState> GetCertificate(std::string_view id) const;
  [[nodiscard]] absl::StatusOr<v1::PieceState> GetPiece(std::string_view id) const;
  // A mass-balance credit account (state key "account/<id>"): NOT_FOUND "no
  // account '<id>'", DATA_LOSS if its value does not parse, storage errors.
  [[nodiscard]] absl::StatusOr<v1::CreditAccountState> GetCreditAccount(std::string_view id) const;
  // A registered scheme (state key "scheme/<name>"): NOT_FOUND "no scheme
  // '<name>'", DATA_LOSS if its value does not parse, storage errors.
  [[nodiscard]] absl::StatusOr<v1::SchemeState> GetScheme(std::string_view name) const;
  // Whether a piece with that id is recorded (its state is not parsed);
  // storage errors.
  [[nodiscard]] absl::StatusOr<bool> HasPiece(std::string_view id) const;

  // ---- Who reads openings (ledger_openings.cc; ledger/provenance/opening_access.h).
  // What an allowed opening read returns.
  struct OpenedEntry {
    v1::Record record;                   // the opened record (the stored one if not sealed)
    std::optional<v1::Opening> opening;  // nullopt: the record is not sealed
    std::string why;                     // "signer", "counterparty" or "auditor"
  };
  // Answers `request` to read the opening of the entry at `index`
  // (what = OpeningWhat(index), checked against this log's origin and clock).
  // Every attempt on a sealed record, allowed or not, is first logged durably
  // under the record's signer (LogOpeningRead); nothing is answered if that
  // fails. Errors: PERMISSION_DENIED kOpeningReadDenied for every refusal
  // (the same for a sealed record, an unsealed one, and an index beyond the
  // log), OUT_OF_RANGE beyond the log only to an auditor's good request;
  // DATA_LOSS if a sealed entry's stored opening is missing or does not open
  // it; storage errors.
  [[nodiscard]] absl::StatusOr<OpenedEntry> ReadOpening(uint64_t index, const ReadRequest& request);
  // The read attempts on `request`'s reader's own records, oldest first, if
  // the request is good (what = kOpeningReadsWhat); PERMISSION_DENIED
  // kOpeningReadsDenied otherwise; storage errors, DATA_LOSS if a logged read
  // does not parse.
  [[nodiscard]] absl::StatusOr<std::vector<v1::OpeningRead>> ListOpeningReads(
      const ReadRequest& request) const;
  // Logs `read` (an attempt on a record `signer` signed) durably in CF
  // "opening_reads". Errors as Store::Commit.
  [[nodiscard]] absl::Status LogOpeningRead(std::string_view signer, const v1::OpeningRead& read);
  // Every read logged under `signer`, oldest first. DATA_LOSS if one does not
  // parse; storage errors.
  [[nodiscard]] absl::StatusOr<std::vector<v1::OpeningRead>> OpeningReads(
      std::string_view signer) const;

 private:
  struct Prepared;

  Ledger(LedgerOptions options, std::unique_ptr<Store> store, NoteSigner signer,
         NoteVerifier verifier);
  [[nodiscard]] absl::Status Initialize();
  // Reads the size, frontier, last leaf hash and latest checkpoint from the
  // store and makes them the head. DATA_LOSS if they disagree.
  // REQUIRES: on the sequencer thread, or before it starts.
  [[nodiscard]] absl::Status LoadHead();
  // Loads the served audited checkpoint (AddAuditCosignature) if it still
  // makes the configured quorum. Storage errors.
  [[nodiscard]] absl::Status LoadAudited();
  // The number of distinct auditor keys a served audited checkpoint needs.
  size_t AuditorQuorum() const;
  // OK if the store can be written. After a failed write, reopens it (at most
  // once per storage_retry_interval) and reloads the head from what is durable;
  // until that works, the reason, as the status refused appends get.
  // REQUIRES: on the sequencer thread.
  [[nodiscard]] absl::Status EnsureWritable();
  [[nodiscard]] absl::Status CreateGenesis(const PrivateKey& operator_key);
  // The LogPolicy the options ask for (record signature version 2).
  v1::LogPolicy WantedPolicy() const;
  // Reads the log's policy from the store into policy_ and signature_version_.
  // REQUIRES: on the sequencer thread, or before it starts.
  [[nodiscard]] absl::Status LoadPolicy();
  // Appends `policy` as a LogPolicy entry signed with the checkpoint key in
  // force, and waits for it. Errors as Submit.
  [[nodiscard]] absl::Status AppendPolicy(const v1::LogPolicy& policy);
  // Re-hashes the newest entries and checks them against the tree and the chain.
  [[nodiscard]] absl::Status VerifyTail(uint64_t size) const;

  // Parses and verifies on the caller's thread (the signature in the form of
  // the log's policy in force: ledger/provenance/record.h). Key handovers and log policies
  // are refused unless `internal` (RotateOperatorKey, AppendPolicy).
  // A sealed record is opened with `opening` (which it requires, and only it
  // may carry): Prepared.record is the opened record, record_bytes the public ones.
  [[nodiscard]] absl::StatusOr<Prepared> Prepare(std::string record, std::string signature,
                                                 std::optional<v1::Opening> opening,
                                                 bool internal = false) const;
  // Queues prepared submissions; returns their pending handles. `started`
  // submissions were counted in preparing_ by Start and are uncounted here.
  std::vector<std::shared_ptr<Pending>> Enqueue(std::vector<Prepared> prepared, int started = 0);
  // Waits (until `deadline`) for a pending submission and builds its receipt.
  [[nodiscard]] absl::StatusOr<Receipt> Await(Pending& pending, absl::Time deadline) const;

  // Reads `note` (a checkpoint this log issued) for serving a proof with it.
  // INVALID_ARGUMENT if it is not a checkpoint note, OUT_OF_RANGE beyond Size().
  [[nodiscard]] absl::StatusOr<Checkpoint> ServedCheckpoint(std::string_view note) const;
  // The inclusion proof of leaf_hash at index in the tree of `size` with
  // `root`, checked (InclusionProof's errors).
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> ProveInclusion(uint64_t index, uint64_t size,
                                                                 const Hash& leaf_hash,
                                                                 const Hash& root) const;
  // Counts and reports a refused proof; returns DATA_LOSS with `message`.
  // `source` is "inclusion_proof" or "consistency_proof".
  [[nodiscard]] absl::Status RefuseProof(const std::string& source, Damage damage,
                                         uint64_t tree_size, std::string message) const;
  // Hands a finding to options_.on_damage, if set.
  void ReportDamage(const std::string& source, Damage damage, uint64_t tree_size,
                    std::string message) const;
  // Starts the background scrub (a no-op thread-less Scrub if its rate is 0).
  void StartScrub();

  void SequencerLoop();
  NodeReader Reader() const;

  // ---- The commit of one group (ledger_commit.cc), as named steps. ----
  struct Group;  // what one group commit builds (ledger_commit.cc)
  // Commits `group`: refuses it if the storage cannot be written, sequences
  // each submission, writes what was appended in one synced batch with one
  // checkpoint, settles in-group retries, and completes every submission.
  void CommitGroup(std::vector<std::shared_ptr<Pending>>& group);
  // Completes every submission of `group` with `why` (nothing was appended).
  void RefuseGroup(std::vector<std::shared_ptr<Pending>>& group, const absl::Status& why,
                   absl::Time started);
  // One submission: a repeat (settled), a refusal by the rules (p.status), or
  // an entry appended to the group.
  void Sequence(Group& g, Pending& p);
  // True if p repeats a record id appended earlier in this group: a retry of
  // the same bytes (settled after the commit) or ALREADY_EXISTS.
  bool SettleRepeatInGroup(Group& g, Pending& p, const std::string& id_key);
  // An entry whose record repeats a submission's record id with the same bytes.
  struct Repeat {
    uint64_t index = 0;
    Hash leaf_hash{};
  };
  // The entry of `rec`'s record id (scope and id) if its bytes are
  // `record_bytes`; nullopt if the id is not in the log; ALREADY_EXISTS if
  // it holds other bytes; storage errors. The one reading of an idempotent
  // retry, for the group commit and the dry run (ledger_check.h).
  [[nodiscard]] absl::StatusOr<std::optional<Repeat>> FindRepeat(
      const v1::Record& rec, std::string_view record_bytes) const;
  // True if p's record id is already in the log: a duplicate of the same
  // bytes (its receipt), ALREADY_EXISTS, or a storage error.
  bool SettleRepeatInLog(Pending& p);
  // Checks p's record against the rules as entry `index`, and keeps its state
  // changes and any policy it carries in the group. The refusal otherwise.
  [[nodiscard]] absl::Status ApplyRules(Group& g, Pending& p, uint64_t index);
  // Seals and writes the group's batch (synced); on success publishes it as
  // the new head, else restores the head and fails the appended submissions.
  // OK or the reason nothing was appended.
  [[nodiscard]] absl::Status WriteGroup(Group& g);
  // Completes every submission with its outcome and the latest checkpoint.
  void CompleteGroup(std::vector<std::shared_ptr<Pending>>& group, const absl::Status& commit,
                     size_t appended, absl::Time started);

  // ---- Replicated mode (ledger_replica.cc). ----
  // ApplyGroup for the group holding entry 0: the log's genesis, checked
  // against this replica's origin and operator key.
  [[nodiscard]] absl::Status ApplyGenesisGroup(const v1::ReplicatedGroup& group);
  // The group `g` as LedgerOptions::replicate gets it, with its `note`.
  static v1::ReplicatedGroup ToReplicate(Group& g, uint64_t first_index, const std::string& note);
  // Hands a sealed group to LedgerOptions::replicate (if set). Its status.
  [[nodiscard]] absl::Status Replicate(Group& g, uint64_t first_index, const std::string& note);
  // After `replicate` accepted a group whose local write failed: stops the replica.
  void StopReplica(const absl::Status& why);

  // ---- The one batch-writing path, shared by genesis and the group commit. ----
  // Encodes the record as entry tree_.size(), chained to last_leaf_hash_;
  // stages the entry and its leaf and record id index keys in `batch`; appends
  // its leaf to tree_ (new complete nodes into `nodes`) and makes it the last
  // leaf. Returns its leaf hash. REQUIRES: on the sequencer thread (or in Open).
  // With `encoded`, the entry's bytes are also stored there.
  Hash AppendEntry(StoreBatch& batch, std::vector<NewNode>& nodes, int64_t recorded_at,
                   const v1::Record& record, std::string_view record_bytes,
                   std::string_view signature, std::string* encoded = nullptr);
  // Stages `nodes`, the state's changes and the tree size (what every sealed
  // batch holds besides its entries and checkpoint).
  void StageTree(StoreBatch& batch, const std::vector<NewNode>& nodes,
                 const StateView& state) const;
  // Replicated mode: stages as SealCheckpoint does, but with `note`, a
  // checkpoint the leader signed: OK if it is the canonical checkpoint of
  // tree_ signed by the key in force; DATA_LOSS saying what differs otherwise.
  [[nodiscard]] absl::Status SealGivenCheckpoint(StoreBatch& batch,
                                                 const std::vector<NewNode>& nodes,
                                                 const StateView& state,
                                                 const std::string& note) const;
  // Stages `nodes`, the state's changes and the tree size, signs a checkpoint
  // of tree_ with `signer` (adding a signature line by `also`, the new key of
  // a handover in this batch, if set) and stages it. Returns the note, or the
  // error of signing (nothing is written then).
  [[nodiscard]] absl::StatusOr<std::string> SealCheckpoint(StoreBatch& batch,
                                                           const std::vector<NewNode>& nodes,
                                                           const StateView& state,
                                                           const NoteSigner& signer,
                                                           const NoteSigner* also) const;
  // After a sealed batch is durable: publishes its participants and nodes to
  // the caches, makes `policy` the log's policy and (tree_.size(), note) the
  // head; with `rotate_to`, records the `handovers` and makes it the key.
  void PublishCommit(const StateView& state, const std::vector<NewNode>& nodes,
                     std::optional<v1::LogPolicy> policy, std::string note,
                     std::shared_ptr<const NoteSigner> rotate_to,
                     const std::vector<uint64_t>& handovers);

  const LedgerOptions options_;
  const std::string origin_;  // the log's origin, which record signatures bind
  std::unique_ptr<Store> store_;
  Registry registry_;
  // Nodes of committed groups only: written by the sequencer after its commit.
  NodeCache node_cache_;
  // Counted into by const reads too (refused proofs).
  mutable LedgerMetrics metrics_;
  WorkerPool verify_pool_;

  mutable absl::Mutex queue_mu_;
  std::deque<std::shared_ptr<Pending>> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  // Single submissions being parsed and verified by Start, not yet queued.
  int preparing_ ABSL_GUARDED_BY(queue_mu_) = 0;

  // Held by the group commit (sequencer thread), genesis and ApplyGroup: one
  // writer of the head below at a time.
  absl::Mutex commit_mu_;
  // Set by StopReplica; read under commit_mu_ and by ReplicaError.
  mutable absl::Mutex replica_mu_;
  absl::Status replica_error_ ABSL_GUARDED_BY(replica_mu_);

  // Written under commit_mu_ (and by Open before the sequencer starts).
  CompactRange tree_;
  Hash last_leaf_hash_{};
  // The log's policy in force (ledger/provenance/log_policy.h); nullopt before the first.
  std::optional<v1::LogPolicy> policy_;
  absl::Time next_storage_retry_ = absl::InfinitePast();
  // Why appends are refused, until the head is reloaded after a failed write.
  absl::Status storage_error_;

  // The record signature version Prepare verifies with: that of policy_.
  // Changes only in Open, before any submission (AppendPolicy).
  std::atomic<uint32_t> signature_version_{kOriginBoundRecordSignatures};

  mutable absl::Mutex head_mu_;
  uint64_t size_ ABSL_GUARDED_BY(head_mu_) = 0;
  std::string checkpoint_ ABSL_GUARDED_BY(head_mu_);
  std::optional<std::pair<uint64_t, std::string>> cosigned_ ABSL_GUARDED_BY(head_mu_);
  std::optional<std::pair<uint64_t, std::string>> audited_ ABSL_GUARDED_BY(head_mu_);
  // One AddAuditCosignature at a time (read, merge, write).
  absl::Mutex audit_mu_;
  // The checkpoint key in force; replaced by the sequencer when a handover commits.
  std::shared_ptr<const NoteSigner> signer_ ABSL_GUARDED_BY(head_mu_);
  NoteVerifier verifier_ ABSL_GUARDED_BY(head_mu_);
  std::vector<uint64_t> key_handovers_ ABSL_GUARDED_BY(head_mu_);
  // One rotation at a time.
  absl::Mutex rotate_mu_;

  // The time of the newest logged opening read: each read is logged at a
  // later microsecond than the one before, so no two share a key (ReadOpening).
  std::atomic<int64_t> last_read_micros_{0};

  std::thread sequencer_;
  // Started by Open after the sequencer; stopped first by Shutdown.
  std::unique_ptr<Scrub> scrub_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LEDGER_H_
