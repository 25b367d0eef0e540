// What other commands take from `touchstone watch` (cli_watch.cc): reading a
// stretch of the log through Provenance.Watch, every event checked
// (ledger/bundle/watch_check.h).
#ifndef TOUCHSTONE_SERVICES_CLI_WATCH_H_
#define TOUCHSTONE_SERVICES_CLI_WATCH_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/note.h"
#include "proto/watch.pb.h"
#include "services/cli.h"

namespace touchstone::cli {

// The entries in [from, until) that match `filter`, each proven under a
// checkpoint `key` signed, resuming the stream whenever it ends. Errors: the
// server's (UNAVAILABLE after 10 failed attempts in a row); when the stream
// does not check out, WatchChecker's (DATA_LOSS, PERMISSION_DENIED) with
// *unverified set (false otherwise).
[[nodiscard]] absl::StatusOr<std::vector<v1::WatchEntry>> ReadWatched(const Context& ctx,
                                                                      const NoteVerifier& key,
                                                                      const v1::WatchFilter& filter,
                                                                      uint64_t from, uint64_t until,
                                                                      bool* unverified);

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CLI_WATCH_H_
