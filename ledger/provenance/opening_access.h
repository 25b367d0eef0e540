// Who may read an opening (the values and salt a sealed record's commitment
// hides: ledger/provenance/commitments.h), and how a reader proves who it is.
//
// A reader signs a short-lived request with one of its participant keys:
//
//   Ed25519 over  "touchstone-read/v1\n" || origin || "\n" || reader || "\n" ||
//                 key_id || "\n" || what || "\n" || micros || "\n"
//
// where `origin` is the log's origin (the first line of its checkpoints), so a
// request made for one log is refused by another; `what` is "opening <index>"
// (decimal) to read the opening of the entry at that index, or "reads" to list
// the reads of one's own records (OpeningReadsWhat); `micros` is the reader's
// clock, microseconds since the Unix epoch in decimal, and the request is good
// only within kReadRequestWindow of the server's clock (a captured request
// cannot be replayed later, nor used for another index or log).
//
// The request is good if the reader is a registered participant, not
// suspended, whose key `key_id` is not revoked and verifies the signature.
// A good request may read the opening of a record if the reader is:
//   - the record's signer ("signer"),
//   - a counterparty the opened record names (Counterparties: "counterparty"),
//   - a holder of ROLE_AUDITOR ("auditor").
// Anyone else, and every request that is not good, is refused with one
// PERMISSION_DENIED message (kOpeningReadDenied), the same whether the record
// is sealed or not: a refusal tells nothing about the record. The reason is
// kept only in the read log, which the record's signer reads.
//
// Thread safety: pure functions (the lookup passed in must be thread-safe if
// they are called from several threads).
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_OPENING_ACCESS_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_OPENING_ACCESS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/log/keys.h"
#include "proto/record.pb.h"
#include "proto/state.pb.h"

namespace touchstone {

inline constexpr std::string_view kReadRequestContext = "touchstone-read/v1\n";
// How far a request's time may be from the server's clock, either way.
inline constexpr int64_t kReadRequestWindowMicros = int64_t{300} * 1'000'000;
// The one refusal of every opening read that is not allowed.
inline constexpr std::string_view kOpeningReadDenied = "not allowed to read this opening";
// The one refusal of every request to list reads that is not good.
inline constexpr std::string_view kOpeningReadsDenied = "not allowed to list these reads";

// A signed read request, as a client sends it.
struct ReadRequest {
  std::string reader;     // participant id
  std::string key_id;     // which of its keys (Record.key_id form)
  int64_t micros = 0;     // the reader's clock when it signed
  std::string signature;  // Ed25519 over ReadRequestMessage
};

// What a request to read the opening of entry `index` names: "opening <index>".
std::string OpeningWhat(uint64_t index);
// What a request to list the reads of one's own records names: "reads".
inline constexpr std::string_view kOpeningReadsWhat = "reads";

// The exact message a read request's signature covers (format above).
std::string ReadRequestMessage(std::string_view origin, std::string_view reader,
                               std::string_view key_id, std::string_view what, int64_t micros);

// A request by `reader` signed with `key` (its key id is the key's
// fingerprint) for the log `origin`.
ReadRequest SignReadRequest(const PrivateKey& key, std::string_view origin, std::string_view reader,
                            std::string_view what, int64_t micros);

// The participants a record names as the other side of a business act, whose
// openings they may read: today the receiver of a shipment
// (custody_shipped.to_participant). `record` must be the opened record (the
// counterparty of a sealed shipment is committed). Empty ones are left out.
std::vector<std::string> Counterparties(const v1::Record& record);

// A registered participant's committed state; NOT_FOUND if there is none,
// other errors from storage.
using ParticipantLookup =
    std::function<absl::StatusOr<v1::ParticipantState>(std::string_view participant_id)>;

// The outcome of a request. `why` is for the read log only, never the reader:
// "signer", "counterparty", "auditor" when allowed, or the reason it was not
// ("signature does not verify", "request time outside the window", ...).
struct ReadDecision {
  bool allowed = false;
  std::string why;
};

// Whether `request` is good for `what` at `now_micros` on the log `origin`
// (the checks above, in order: window, reader, key, signature). Allowed with
// an empty `why` if it is. Errors: only the lookup's other than NOT_FOUND.
[[nodiscard]] absl::StatusOr<ReadDecision> AuthenticateReadRequest(const ReadRequest& request,
                                                                   std::string_view origin,
                                                                   std::string_view what,
                                                                   int64_t now_micros,
                                                                   const ParticipantLookup& lookup);

// Whether `request` may read the opening of the entry at `index`, which holds
// `record` (the opened record if it is sealed). Errors as AuthenticateReadRequest.
[[nodiscard]] absl::StatusOr<ReadDecision> DecideOpeningRead(
    const ReadRequest& request, std::string_view origin, uint64_t index, const v1::Record& record,
    int64_t now_micros, const ParticipantLookup& lookup);

// PERMISSION_DENIED kOpeningReadDenied: the answer to every refused opening read.
absl::Status OpeningReadDenied();

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_OPENING_ACCESS_H_
