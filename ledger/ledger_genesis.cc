// A new log's first entry: the genesis record (operator, origin, policy),
// written through the same AppendEntry / SealCheckpoint path as every group
// commit (ledger_commit.cc), with the log's origin in the same batch.
#include <utility>
#include <vector>

#include "ledger/base/status_macros.h"
#include "ledger/ledger.h"
#include "ledger/ledger_internal.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/rules.h"
#include "ledger/provenance/state_view.h"
#include "ledger/store/storage_map.h"

namespace touchstone {
namespace {

// The genesis record of a log with `origin`, registering the operator with
// `operator_key`, carrying `policy` if given.
v1::Record GenesisRecord(const LedgerOptions& options, std::string_view origin,
                         const PrivateKey& operator_key, int64_t now,
                         const std::optional<v1::LogPolicy>& policy) {
  v1::Record record;
  record.set_record_id("genesis");
  record.set_signer(options.operator_id);
  record.set_key_id(operator_key.public_key().Fingerprint());
  record.set_event_time_micros(now);
  v1::Genesis* g = record.mutable_genesis();
  g->set_origin(std::string(origin));
  v1::ParticipantRegistered* op = g->mutable_operator_();
  op->set_participant_id(options.operator_id);
  op->set_legal_name(options.operator_name);
  op->add_roles(v1::ROLE_OPERATOR);
  op->add_keys()->set_ed25519(operator_key.public_key().raw());
  if (policy) *g->mutable_policy() = *policy;
  return record;
}

}  // namespace

absl::Status Ledger::CreateGenesis(const PrivateKey& operator_key) {
  absl::MutexLock commit_lock(&commit_mu_);
  const std::shared_ptr<const NoteSigner> signer = this->signer();
  const int64_t now = options_.now_micros();
  const v1::Record record =
      GenesisRecord(options_, signer->name(), operator_key, now,
                    options_.legacy_log ? std::nullopt : std::optional(WantedPolicy()));
  const std::string record_bytes = SerializeRecord(record);
  // Signed in the form its own policy sets (ledger/provenance/log_policy.h).
  const std::string signature = options_.legacy_log
                                    ? SignLegacyRecord(operator_key, record_bytes)
                                    : SignRecord(operator_key, origin_, record_bytes);

  Group g(*this, now);
  RETURN_IF_ERROR(ApplyGenesis(record, 0, g.state));
  g.state.CommitRecord();
  std::string* entry = options_.replicate ? &g.entries.emplace_back() : nullptr;
  AppendEntry(g.batch, g.nodes, now, record, record_bytes, signature, entry);
  g.batch.PutMeta(kOriginMetaKey, signer->name());
  g.batch.PutMeta(kStateFormatMetaKey, kStateFormat);
  absl::StatusOr<std::string> note =
      SealCheckpoint(g.batch, g.nodes, g.state, *signer, /*also=*/nullptr);
  absl::Status commit = note.status();
  // Replicated mode: the replica set holds the genesis before this replica does.
  if (commit.ok()) commit = Replicate(g, 0, *note);
  const bool replicated = commit.ok() && options_.replicate;
  if (commit.ok()) commit = store_->Commit(g.batch);
  if (!commit.ok()) {
    tree_ = g.saved_tree;
    last_leaf_hash_ = g.saved_last;
    if (replicated) StopReplica(commit);
    return commit;
  }
  PublishCommit(g.state, g.nodes,
                record.genesis().has_policy() ? std::optional(record.genesis().policy()) : policy_,
                *std::move(note), /*rotate_to=*/nullptr, /*handovers=*/{});
  return absl::OkStatus();
}

}  // namespace touchstone
