// A transparency-log witness (c2sp.org/tlog-witness, c2sp.org/tlog-cosignature):
// the add-checkpoint logic, with no HTTP.
//
// The witness is configured with its cosigning key and the verifier keys of the
// logs it witnesses (origin = key name). Per origin it remembers the latest
// checkpoint it cosigned, in a state file (replaced by write-temp, fsync,
// rename), and it cosigns a new checkpoint only if it is signed by the log's key
// and provably extends that one: it never cosigns two different trees of one log,
// nor a smaller tree after a larger one, including across restarts.
//
// add-checkpoint request body:
//   "old " <size the client thinks the witness last cosigned, decimal> "\n"
//   zero to 63 lines: base64 consistency-proof hash "\n"
//   "\n"
//   <the checkpoint note, signatures included>
// Outcomes and their HTTP statuses (tlog-witness):
//   200 cosigned: body = the cosignature line(s)
//   400 malformed body, old size > checkpoint size, a proof with old size 0
//   403 no valid signature by a key the witness trusts for the origin
//   404 unknown origin
//   409 old size != the size last cosigned: body = that size + "\n",
//       Content-Type text/x.tlog.size
//   409 same size as last cosigned, other root hash (a fork; plain-text body)
//   422 the consistency proof does not verify (a fork), or a size-0 checkpoint
//       whose root is not the empty tree
//   500 the state could not be persisted (nothing cosigned)
//
// Evidence: a refused 409 fork (same size, other root) or 422 (the proof does
// not show the checkpoint extends the cosigned one) of a checkpoint validly
// signed by the log is kept in <state path>.evidence/, one file per refusal:
//   "touchstone witness evidence v1\n"
//   "kind " ("fork" | "inconsistent") "\n"
//   "reason " <why> "\n"
//   "cosigned " <size> " " <base64 root> "\n"        (what this witness cosigned)
//   "\n" <the cosigned checkpoint note, verbatim>     (if cosigned since the witness started)
//   "\n" "request" "\n" <the refused add-checkpoint request body, verbatim>
// The two signed notes together prove the log signed two histories; a file
// that cannot be written does not change the answer.
//
// Checkpoint key handovers (ledger/provenance/key_handover.h), touchstone's addition to
// tlog-witness: when a log hands its checkpoint key over, its cosigner posts
// the handovers and a checkpoint signed by the new key (KeyHandoverRequest).
// The witness follows them from a key it trusts for that origin, as any
// verifier does, and then trusts the new key instead, across restarts:
// <state path>.keys holds one line per handover followed,
//   <new verifier key> " " <retired verifier key> "\n"
// replayed over the configured keys at start.
#ifndef TOUCHSTONE_LEDGER_WITNESS_H_
#define TOUCHSTONE_LEDGER_WITNESS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/cosignature.h"
#include "ledger/log/hash.h"
#include "ledger/log/note.h"
#include "ledger/provenance/key_handover.h"

namespace touchstone {

inline constexpr size_t kMaxWitnessProofLines = 63;
inline constexpr std::string_view kTlogSizeContentType = "text/x.tlog.size";

// A parsed add-checkpoint request body.
struct AddCheckpointRequest {
  uint64_t old_size = 0;
  std::vector<Hash> proof;
  std::string checkpoint_note;  // verbatim

  std::string ToText() const;
  // INVALID_ARGUMENT if malformed (bad "old" line, leading zeros, bad base64 or
  // hash length, more than 63 proof lines, no empty line, empty checkpoint).
  [[nodiscard]] static absl::StatusOr<AddCheckpointRequest> FromText(std::string_view body);
};

// A key handover request body (POST /key-handover):
//   per handover, in index order:
//     "handover " <index, decimal> "\n"
//     <base64 of the entry's bytes> "\n"
//     zero to 63 lines: base64 inclusion-proof hash (in the checkpoint's tree) "\n"
//   "\n"
//   <a checkpoint note of the log, signed by the key the handovers lead to>
struct KeyHandoverRequest {
  std::vector<HandoverProof> handovers;
  std::string checkpoint_note;

  std::string ToText() const;
  // INVALID_ARGUMENT if malformed (more than 64 handovers, a bad index or
  // base64, more than 63 proof lines, no empty line, no checkpoint).
  [[nodiscard]] static absl::StatusOr<KeyHandoverRequest> FromText(std::string_view body);
};

// The HTTP status of a Witness::AddKeyHandover result: 200, 400 (INVALID_ARGUMENT),
// 403 (PERMISSION_DENIED), 404 (NOT_FOUND), 422 (DATA_LOSS), else 500.
int KeyHandoverHttpStatus(const absl::Status& s);

// What a witness answered to one add-checkpoint request.
struct AddCheckpointResult {
  enum class Kind {
    kCosigned,         // 200
    kMalformed,        // 400
    kOldSizeTooLarge,  // 400
    kBadSignature,     // 403
    kUnknownOrigin,    // 404
    kStaleOldSize,     // 409 + witness_size
    kRootMismatch,     // 409: same size, another tree
    kInconsistent,     // 422
    kInternal,         // 500
  };
  Kind kind = Kind::kInternal;
  std::string cosignature;    // kCosigned: the signature line(s), each ending in '\n'
  uint64_t witness_size = 0;  // kStaleOldSize: the size of the latest cosigned checkpoint
  std::string message;        // why, for humans (errors)

  bool ok() const { return kind == Kind::kCosigned; }
  int HttpStatus() const;
  // 200: the cosignature lines; 409 stale: "<size>\n"; otherwise message + "\n".
  std::string HttpBody() const;
  // "text/x.tlog.size" for a stale old size, else "text/plain; charset=utf-8".
  std::string ContentType() const;
};

// A witness. Thread-safe: one add-checkpoint at a time (check, persist and sign
// are atomic, as the spec requires).
class Witness {
 public:
  using Clock = std::function<uint64_t()>;  // unix seconds

  // `logs` are the log verifier keys (origin = key name); several keys for one
  // origin are allowed, any one of them suffices. Loads the state file (absent =
  // nothing cosigned yet). INVALID_ARGUMENT if `logs` is empty or the state path is
  // empty; DATA_LOSS if the state file is corrupt; UNAVAILABLE if it cannot be
  // read. `clock` defaults to the system clock.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Witness>> Create(
      CosignatureSigner signer, std::vector<NoteVerifier> logs, std::string state_path,
      Clock clock = nullptr);

  // The tlog-witness add-checkpoint call.
  AddCheckpointResult AddCheckpoint(std::string_view body);
  AddCheckpointResult AddCheckpoint(const AddCheckpointRequest& request);

  // Follows a log's checkpoint key handovers (see the file comment): OK, and
  // from then on the key they lead to is trusted for the checkpoint's origin in
  // place of the key followed from, if they lead from a trusted key to the one
  // that signed the checkpoint, each in its tree. Errors: INVALID_ARGUMENT
  // (malformed), NOT_FOUND (unknown origin), PERMISSION_DENIED (no trusted key
  // leads to the signer), DATA_LOSS (a handover is not in the tree),
  // UNAVAILABLE (the new key could not be persisted: nothing changed).
  [[nodiscard]] absl::Status AddKeyHandover(std::string_view body);

  // The directory evidence files are written to.
  std::string EvidenceDir() const { return state_path_ + ".evidence"; }
  // The latest checkpoint cosigned for `origin`, if any.
  std::optional<Checkpoint> Latest(std::string_view origin) const;
  const CosignatureSigner& signer() const { return signer_; }
  std::string VerifierKey() const { return signer_.VerifierKey(); }

 private:
  Witness(CosignatureSigner signer, std::vector<NoteVerifier> logs, std::string state_path,
          Clock clock);
  [[nodiscard]] absl::Status Load();
  [[nodiscard]] absl::Status LoadHandovers();
  [[nodiscard]] absl::Status Persist(
      const std::map<std::string, Checkpoint, std::less<>>& state) const;
  std::string HandoversPath() const { return state_path_ + ".keys"; }
  // The keys trusted for `origin` now (empty if unknown).
  std::vector<NoteVerifier> LogKeys(std::string_view origin) const;
  void Adopt(const NoteVerifier& adopted, const NoteVerifier& retired)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(keys_mu_);

  const CosignatureSigner signer_;
  mutable absl::Mutex keys_mu_;
  std::map<std::string, std::vector<NoteVerifier>, std::less<>> logs_
      ABSL_GUARDED_BY(keys_mu_);                          // by origin
  std::string handovers_text_ ABSL_GUARDED_BY(keys_mu_);  // the .keys file's content
  const std::string state_path_;
  const Clock clock_;
  mutable absl::Mutex mu_;
  std::map<std::string, Checkpoint, std::less<>> latest_ ABSL_GUARDED_BY(mu_);
  // The signed notes cosigned since start, by origin (for evidence).
  std::map<std::string, std::string, std::less<>> latest_note_ ABSL_GUARDED_BY(mu_);

  // Writes an evidence file (see above); returns its path or the error.
  [[nodiscard]] absl::StatusOr<std::string> KeepEvidence(AddCheckpointResult::Kind kind,
                                                         std::string_view why,
                                                         const Checkpoint& cosigned,
                                                         const AddCheckpointRequest& req) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_WITNESS_H_
