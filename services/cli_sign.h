// Signing and submitting one record from the command line: the options every
// record-writing command takes (--as, --key, --keys_dir, --record_id,
// --receipt, --vkey, --state_dir; --seal on those whose record can be sealed)
// and the one path that seals, signs, submits and checks the receipt
// (services/cli_records.cc).
#ifndef TOUCHSTONE_SERVICES_CLI_SIGN_H_
#define TOUCHSTONE_SERVICES_CLI_SIGN_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/log/keys.h"
#include "proto/record.pb.h"
#include "services/cli.h"

namespace touchstone::cli {

// Who signs: the participant id and its key file. Value type.
struct Signer {
  std::string as;
  std::string key_file;
  std::string keys_dir;
  std::string record_id;
  std::string receipt_out;
  std::string vkey;
  std::string state_dir;  // trusted heads, where the log's key is pinned on first use
  // Seal the record (ledger/provenance/commitments.h): its committed fields go
  // to the ledger in the opening, not into the public log. Default: false.
  bool seal = false;
};

// Adds the signer's options to `cmd`; --as is required unless `optional`
// (owner commands: a record the owner key signs alone has no participant).
void AddSignerOptions(CLI::App* cmd, Signer& s, bool optional = false);

// Adds --seal to `cmd`, a command whose record's body has committed fields
// (docs/confidential.md).
void AddSealOption(CLI::App* cmd, Signer& s);

// The key receipts are checked against, as a verifier key string. With --vkey:
// that key (nothing is stored). Without: the key pinned with this client's
// trusted head of the log, the head advanced to the latest checkpoint as `log
// update` does (following checkpoint key handovers); the key the server reports
// must be the one the head is signed with now. With no trusted head yet, the key
// the server reports is trusted on first use and pinned, and stderr says so.
// Errors: FAILED_PRECONDITION if the server reports a key other than the pinned
// one (a man in the middle, or another log under the same origin); DATA_LOSS if
// the log rewound or forked; the server's errors as they are.
[[nodiscard]] absl::StatusOr<std::string> ReceiptKey(const Context& ctx, const Signer& s);

// The participant's key: --key, else <keys_dir>/<as>.pem. INVALID_ARGUMENT if
// neither is given; the errors of PrivateKey::LoadPemFile.
[[nodiscard]] absl::StatusOr<PrivateKey> LoadSignerKey(const Signer& s);

// A sealed record's salt: kOpeningSaltBytes (ledger/provenance/commitments.h)
// from the OS's CSPRNG through OpenSSL. INTERNAL if OpenSSL cannot supply them.
[[nodiscard]] absl::StatusOr<std::string> FreshSalt();

// Signs `record` (filling signer, key id, record id and event time when empty)
// for the log's origin, submits it, verifies the receipt against the log's
// checkpoint key (--vkey, or the key pinned with this client's trusted head)
// and prints record_id, index, leaf_hash, tree_size. With s.seal, the record
// is sealed first (SealRecord, salted with 32 fresh bytes from OpenSSL's
// RAND_bytes): the public record is what is signed and logged, its opening
// goes with it in SubmitRequest.opening, and "sealed true" is printed;
// INVALID_ARGUMENT if the record's body cannot be sealed, INTERNAL if no
// random bytes could be had. With `owner`, the owner
// key signs the record's bytes too (Record.owner_signature,
// ledger/provenance/owner_signature.h): a co-signature under the participant's
// signature, or, when s.as is empty, the record's only signature (signer and
// key id empty, the entry's signature empty). ALREADY_EXISTS if --receipt
// names a file that exists; INVALID_ARGUMENT without a key; the server's
// refusal as it is (its code and message).
[[nodiscard]] absl::Status SignAndSubmit(const Context& ctx, const Signer& s, v1::Record record,
                                         const PrivateKey* owner = nullptr);

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CLI_SIGN_H_
