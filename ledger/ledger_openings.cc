// The Ledger's opening reads: who may read the opening of a sealed record
// (ledger/provenance/opening_access.h decides), and the read log in CF
// "opening_reads" (ledger/store/storage_map.h) that records every attempt for
// the record's signer.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/ledger.h"
#include "ledger/provenance/commitments.h"
#include "ledger/store/storage_map.h"

namespace touchstone {

absl::StatusOr<Ledger::OpenedEntry> Ledger::ReadOpening(uint64_t index,
                                                        const ReadRequest& request) {
  // Strictly after the previous read's time, so every attempt has a key of its own.
  const int64_t clock = options_.now_micros();
  int64_t last = last_read_micros_.load();
  int64_t now = std::max(clock, last + 1);
  while (!last_read_micros_.compare_exchange_weak(last, now)) now = std::max(clock, last + 1);
  const ParticipantLookup lookup = [this](std::string_view id) { return GetParticipant(id); };
  if (index >= Size()) {
    // No entry: no signer, no counterparty; only an auditor is told it is beyond.
    ASSIGN_OR_RETURN(ReadDecision d,
                     DecideOpeningRead(request, origin_, index, v1::Record(), now, lookup));
    if (!d.allowed) return OpeningReadDenied();
    return absl::OutOfRangeError(
        absl::StrCat("index ", index, " is beyond the log (size ", Size(), ")"));
  }
  ASSIGN_OR_RETURN(v1::Record stored, ReadRecord(index));
  ASSIGN_OR_RETURN(std::optional<v1::Opening> opening, GetOpening(index));
  const bool sealed = stored.has_sealed();
  if (sealed != opening.has_value()) {
    return absl::DataLossError(absl::StrCat("entry ", index,
                                            sealed ? " is sealed and its opening is missing"
                                                   : " is not sealed but has an opening stored"));
  }
  v1::Record record = std::move(stored);
  if (sealed) {
    absl::StatusOr<v1::Record> opened = OpenRecord(record, *opening, options_.max_record_bytes);
    if (!opened.ok()) {
      return absl::DataLossError(absl::StrCat("the stored opening of entry ", index,
                                              " does not open it: ", opened.status().message()));
    }
    record = *std::move(opened);
  }
  ASSIGN_OR_RETURN(ReadDecision d, DecideOpeningRead(request, origin_, index, record, now, lookup));
  if (sealed) {
    v1::OpeningRead read;
    read.set_index(index);
    read.set_reader(request.reader);
    read.set_reader_key_id(request.key_id);
    read.set_micros(now);
    read.set_allowed(d.allowed);
    read.set_why(d.why);
    RETURN_IF_ERROR(LogOpeningRead(record.signer(), read));
  }
  if (!d.allowed) return OpeningReadDenied();
  return OpenedEntry{std::move(record), std::move(opening), std::move(d.why)};
}

absl::StatusOr<std::vector<v1::OpeningRead>> Ledger::ListOpeningReads(
    const ReadRequest& request) const {
  ASSIGN_OR_RETURN(ReadDecision d, AuthenticateReadRequest(
                                       request, origin_, kOpeningReadsWhat, options_.now_micros(),
                                       [this](std::string_view id) { return GetParticipant(id); }));
  if (!d.allowed) return absl::PermissionDeniedError(std::string(kOpeningReadsDenied));
  return OpeningReads(request.reader);
}

absl::Status Ledger::LogOpeningRead(std::string_view signer, const v1::OpeningRead& read) {
  StoreBatch batch = store_->NewBatch();
  batch.PutOpeningRead(
      OpeningReadKey(signer, static_cast<uint64_t>(read.micros()), read.index(), read.reader()),
      read.SerializeAsString());
  return store_->Commit(batch);
}

absl::StatusOr<std::vector<v1::OpeningRead>> Ledger::OpeningReads(std::string_view signer) const {
  std::vector<v1::OpeningRead> out;
  RETURN_IF_ERROR(store_->ScanOpeningReads(
      signer, [&](std::string_view, std::string_view value) -> absl::Status {
        v1::OpeningRead read;
        if (!read.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          return absl::DataLossError(
              absl::StrCat("a logged opening read of '", Sv(signer), "' does not parse"));
        }
        out.push_back(std::move(read));
        return absl::OkStatus();
      }));
  return out;
}

}  // namespace touchstone
