// A client of a c2sp.org/tlog-witness witness: POST <url>/add-checkpoint.
#ifndef TOUCHSTONE_SERVICES_WITNESS_CLIENT_H_
#define TOUCHSTONE_SERVICES_WITNESS_CLIENT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/log/hash.h"

namespace touchstone {

// Asks the witness at `url` ("http://host:port[/prefix]") to cosign
// `checkpoint_note`, given the size it last cosigned and the consistency proof
// from there. Returns its cosignature line(s) (each ending in '\n'; append them
// to the note). Errors by the witness's answer:
//   409 text/x.tlog.size -> FAILED_PRECONDITION "witness is at size N"; *witness_size = N
//   409 otherwise        -> DATA_LOSS (the witness cosigned another tree of this size)
//   422                  -> DATA_LOSS (the proof does not connect: a fork)
//   403 PERMISSION_DENIED, 404 NOT_FOUND, 400 INVALID_ARGUMENT,
//   no connection, a timeout or another status -> UNAVAILABLE.
[[nodiscard]] absl::StatusOr<std::string> RequestCosignature(
    const std::string& url, uint64_t old_size, std::span<const Hash> proof,
    std::string_view checkpoint_note, uint64_t* witness_size = nullptr, int timeout_seconds = 10);

// The same with a ready add-checkpoint body ("old N\n", proof lines, "\n", note).
[[nodiscard]] absl::StatusOr<std::string> PostAddCheckpoint(const std::string& url,
                                                            const std::string& body,
                                                            uint64_t* witness_size = nullptr,
                                                            int timeout_seconds = 10);

// Posts a key handover request body (ledger/witness.h, KeyHandoverRequest) to
// <url>/key-handover. OK if the witness followed it; errors by its answer:
// 400 INVALID_ARGUMENT, 403 PERMISSION_DENIED, 404 NOT_FOUND, 422 DATA_LOSS,
// no connection, a timeout or another status UNAVAILABLE.
[[nodiscard]] absl::Status PostKeyHandover(const std::string& url, const std::string& body,
                                           int timeout_seconds = 10);

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_WITNESS_CLIENT_H_
