// What the owner and heirloom commands (services/cli_owner.cc,
// cli_heirloom.cc, the sale and repair in cli_trade.cc, the demo) share:
// owner keys kept by this client, the owner-key string, a piece's state read
// back before an owner record is signed.
//
// Owner keys: Ed25519 keys in the client's owner-key directory (default
// ~/.touchstone/owner-keys, env TOUCHSTONE_OWNER_KEYS), one PEM file NAME.pem
// of mode 0600 each. NAME is a label on this machine only: it is never sent,
// never in a record (docs/privacy.md).
//
// The owner-key string is how a key is shown and handed over (to the jeweler
// who sells, to whoever a piece is transferred to): unpadded base64url of the
// canonical OwnerKey bytes (proto/record.proto). The page (services/web/owner.js)
// reads and prints the same form.
#ifndef TOUCHSTONE_SERVICES_CLI_OWNER_H_
#define TOUCHSTONE_SERVICES_CLI_OWNER_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/log/keys.h"
#include "proto/record.pb.h"
#include "proto/state.pb.h"
#include "services/cli.h"

namespace touchstone::cli {

// The owner-key directory: `dir`, or ~/.touchstone/owner-keys when empty.
std::string OwnerKeysDir(const std::string& dir);

// OK if `name` is a local label: 1..64 of A-Z a-z 0-9 . _ -, not starting
// with '.'. INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::Status CheckOwnerKeyName(std::string_view name);

// Makes a new Ed25519 owner key NAME in `dir` (created 0700 if missing), mode
// 0600. ALREADY_EXISTS if NAME exists (a key is never overwritten).
[[nodiscard]] absl::StatusOr<PrivateKey> NewOwnerKey(const std::string& dir,
                                                     const std::string& name);

// Loads owner key NAME from `dir`. NOT_FOUND "no owner key 'NAME' in DIR"
// (with how to make one); FAILED_PRECONDITION if others may read the file.
[[nodiscard]] absl::StatusOr<PrivateKey> LoadOwnerKey(const std::string& dir,
                                                      const std::string& name);

// The owner-key string of `key` (file comment).
std::string OwnerKeyString(const v1::OwnerKey& key);

// Reads an owner-key string: INVALID_ARGUMENT naming `flag` if it is not
// unpadded base64url, not an OwnerKey, not in canonical form, or not a valid
// key (ValidateOwnerKey).
[[nodiscard]] absl::StatusOr<v1::OwnerKey> ParseOwnerKeyString(std::string_view flag,
                                                               std::string_view text);

// The piece's state now (GetPiece); the server's error as it is (NOT_FOUND).
[[nodiscard]] absl::StatusOr<v1::PieceState> FetchPiece(const Context& ctx, const std::string& id);

// "owner key 1a2b3c4d5e6f7a8b": how a key is named in output and notes.
std::string OwnerKeyLabel(const v1::OwnerKey& key);

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CLI_OWNER_H_
