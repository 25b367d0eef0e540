// Replaying the log through the rules.
#include "ledger/provenance/rebuild.h"

#include <limits>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/log/entry_format.h"
#include "ledger/provenance/commitments.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/registry.h"

namespace touchstone {
namespace {

[[nodiscard]] absl::Status Bad(uint64_t index, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("entry ", index, ": ", what));
}

// The record the rules check at `index`: `record` itself, or if it is sealed,
// the record its opening from `openings` opens. DATA_LOSS naming the index if
// the opening is missing or does not open it; `openings`' errors as they are.
[[nodiscard]] absl::StatusOr<v1::Record> Opened(uint64_t index, const v1::Record& record,
                                                const OpeningSource& openings) {
  if (!record.has_sealed()) return record;
  ASSIGN_OR_RETURN(const std::optional<v1::Opening> opening, openings(index));
  if (!opening) {
    return Bad(index, "the record is sealed and its opening is missing from the openings store");
  }
  // The opening was accepted once under the server's record size limit: any size reads here.
  absl::StatusOr<v1::Record> opened =
      OpenRecord(record, *opening, std::numeric_limits<size_t>::max());
  if (!opened.ok()) {
    return Bad(index,
               absl::StrCat("its stored opening does not open it: ", opened.status().message()));
  }
  return opened;
}

}  // namespace

OpeningSource StoredOpenings(const Store& store) {
  return [&store](uint64_t index) -> absl::StatusOr<std::optional<v1::Opening>> {
    absl::StatusOr<std::optional<std::string>> bytes = store.GetOpening(index);
    if (!bytes.ok()) {
      return Bad(index, absl::StrCat("its opening cannot be read: ", bytes.status().message()));
    }
    if (!bytes->has_value()) return std::nullopt;
    v1::Opening opening;
    if (!opening.ParseFromString(**bytes)) return Bad(index, "its stored opening is corrupt");
    return opening;
  };
}

[[nodiscard]] absl::StatusOr<MemoryState> RebuildState(const Store& store, uint64_t size,
                                                       const RuleOptions& options,
                                                       const EntryVisitor& on_entry,
                                                       const OpeningSource& given_openings) {
  const OpeningSource openings = given_openings ? given_openings : StoredOpenings(store);
  MemoryState memory;
  Registry registry(&memory);
  Hash prev{};
  std::set<std::pair<std::string, std::string>> record_ids;
  uint64_t replayed = 0;
  // The log's origin (from its genesis), which record signatures bind, and its
  // policy as the entries so far set it (ledger/provenance/log_policy.h).
  std::string origin;
  std::optional<v1::LogPolicy> policy;
  // Earlier records (for error declarations), read back from the store.
  const RecordReader record_at = [&](uint64_t index) -> absl::StatusOr<v1::Record> {
    if (index >= replayed) return absl::NotFoundError(absl::StrCat("no entry ", index));
    ASSIGN_OR_RETURN(std::string bytes, store.GetEntry(index));
    return RecordOfEntry(index, bytes);
  };

  absl::Status scan =
      store.ScanEntries(0, size, [&](uint64_t index, std::string_view bytes) -> absl::Status {
        absl::StatusOr<EntryView> e = DecodeEntry(bytes);
        if (!e.ok()) return Bad(index, e.status().message());
        if (absl::Status link = CheckEntryLink(*e, index, &prev); !link.ok()) {
          return absl::DataLossError(absl::StrCat("entry ", index, link.message()));
        }
        prev = LeafHash(bytes);
        ASSIGN_OR_RETURN(const v1::Record public_record, RecordOfEntry(index, bytes));
        // The rules check what a sealed record means; on_entry sees the public record.
        ASSIGN_OR_RETURN(const v1::Record record, Opened(index, public_record, openings));
        if (!record_ids.emplace(RecordIdScope(record), record.record_id()).second) {
          return Bad(index, absl::StrCat("record id '", record.record_id(), "' of '",
                                         RecordIdScope(record), "' appears twice"));
        }
        StateView state(&memory, &registry);
        const v1::LogPolicy* before = policy ? &*policy : nullptr;
        const uint32_t version = SignatureVersion(PolicyInForce(record, before));
        if (index == 0) {
          origin = record.genesis().origin();
          absl::Status s = ApplyGenesis(record, 0, state);
          if (!s.ok()) return Bad(index, s.message());
          const auto& keys = record.genesis().operator_().keys();
          auto key = keys.empty() ? absl::StatusOr<PublicKey>(absl::DataLossError("no key"))
                                  : PublicKey::FromRaw(keys[0].ed25519());
          if (!key.ok() ||
              !key->Verify(RecordSigningMessage(version, origin, e->record), e->signature)) {
            return Bad(index, "the genesis record is not signed by the operator key it registers");
          }
        } else if (IsOwnerOnly(record)) {
          // Signed by an owner key alone: no entry signature to verify (it must
          // be empty); the rules verify the owner signature (rules_owners.cc).
          if (!e->signature.empty()) {
            return Bad(index, "an owner-only record's entry signature must be empty");
          }
          const RecordContext ctx{record,    nullptr, index,     e->recorded_at_micros,
                                  record_at, before,  e->record, origin};
          absl::Status s = CheckAndApply(ctx, options, state);
          if (!s.ok()) return Bad(index, absl::StrCat("breaks a rule: ", s.message()));
        } else {
          absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> signer =
              state.Participant(record.signer());
          if (!signer.ok()) return Bad(index, signer.status().message());
          const v1::KeyState* ks = FindKey(**signer, record.key_id());
          if (ks == nullptr) return Bad(index, absl::StrCat("unknown key ", record.key_id()));
          absl::StatusOr<PublicKey> key = PublicKey::FromRaw(ks->ed25519());
          if (!key.ok() ||
              !key->Verify(RecordSigningMessage(version, origin, e->record), e->signature)) {
            return Bad(index, absl::StrCat("bad signature by key ", record.key_id(), " of '",
                                           record.signer(), "'",
                                           key.ok() ? SignatureMismatch(*key, version, origin,
                                                                        e->record, e->signature)
                                                    : ""));
          }
          const RecordContext ctx{record,    &*key,  index,     e->recorded_at_micros,
                                  record_at, before, e->record, origin};
          absl::Status s = CheckAndApply(ctx, options, state);
          if (!s.ok()) return Bad(index, absl::StrCat("breaks a rule: ", s.message()));
        }
        state.CommitRecord();
        if (const v1::LogPolicy* carried = CarriedPolicy(record)) policy = *carried;
        for (const auto& [k, v] : state.changes()) memory.Put(k, v);
        state.Publish(&registry);
        ++replayed;
        return on_entry ? on_entry(index, prev, bytes, public_record) : absl::OkStatus();
      });
  if (!scan.ok()) return scan;
  return memory;
}

[[nodiscard]] absl::Status CompareState(const MemoryState& rebuilt, const Store& store) {
  auto it = rebuilt.values().begin();
  auto printable = [](std::string_view k) { return absl::CHexEscape(Sv(k)); };
  RETURN_IF_ERROR(
      store.ScanState([&](std::string_view key, std::string_view value) -> absl::Status {
        if (it == rebuilt.values().end() || it->first > key) {
          return absl::DataLossError(absl::StrCat("stored state has '", printable(key),
                                                  "', which the log does not produce"));
        }
        if (it->first < key) {
          return absl::DataLossError(absl::StrCat("stored state lacks '", printable(it->first),
                                                  "', which the log produces"));
        }
        if (it->second != value) {
          return absl::DataLossError(absl::StrCat("stored state '", printable(key),
                                                  "' differs from what the log produces"));
        }
        ++it;
        return absl::OkStatus();
      }));
  if (it != rebuilt.values().end()) {
    return absl::DataLossError(
        absl::StrCat("stored state lacks '", printable(it->first), "', which the log produces"));
  }
  return absl::OkStatus();
}

}  // namespace touchstone
