// Obtains witness cosignatures for the ledger's checkpoints (C2SP tlog-witness)
// and publishes the newest checkpoint a quorum of witnesses cosigned.
#ifndef TOUCHSTONE_SERVICES_COSIGNER_H_
#define TOUCHSTONE_SERVICES_COSIGNER_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "ledger/ledger.h"
#include "ledger/log/note.h"

namespace touchstone {

struct WitnessEndpoint {
  std::string url;          // e.g. http://127.0.0.1:7380 (POST <url>/add-checkpoint)
  NoteVerifier verifier;    // its cosignature verifier key (type 0x04)
  uint64_t known_size = 0;  // the size it last cosigned, as far as we know
};

// Parses "URL=VKEY". INVALID_ARGUMENT if malformed.
[[nodiscard]] absl::StatusOr<WitnessEndpoint> ParseWitnessFlag(const std::string& flag);

// Thread-compatible construction; runs its own thread until destroyed. A
// checkpoint is published once witnesses with `quorum` distinct keys cosigned
// it: one key listed twice (under two names or URLs) counts once.
class Cosigner {
 public:
  Cosigner(Ledger* ledger, std::vector<WitnessEndpoint> witnesses, size_t quorum);
  ~Cosigner();

 private:
  void Loop();
  // Asks every witness to cosign the checkpoint at `size`; publishes it if a
  // quorum did.
  void CosignRound(uint64_t size, const std::string& note);
  // Posts the log's checkpoint key handovers below `size`, proven in the tree
  // of `note`, to a witness that refused `note`'s signature
  // (ledger/witness.h). OK if the witness followed them.
  [[nodiscard]] absl::Status SendKeyHandovers(const WitnessEndpoint& w, uint64_t size,
                                              const std::string& note);

  Ledger* ledger_;
  std::vector<WitnessEndpoint> witnesses_;
  size_t quorum_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_COSIGNER_H_
