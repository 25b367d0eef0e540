// The cosigning loop: every new checkpoint goes to every witness, with a
// consistency proof from the size that witness last cosigned.
#include "services/cosigner.h"

#include <iostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/cosignature.h"
#include "ledger/log_reader.h"
#include "ledger/witness.h"
#include "services/log.h"
#include "services/witness_client.h"

namespace touchstone {

[[nodiscard]] absl::StatusOr<WitnessEndpoint> ParseWitnessFlag(const std::string& flag) {
  const size_t eq = flag.find('=');
  if (eq == std::string::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrCat("--witness '", flag, "' is not URL=VKEY"));
  }
  absl::StatusOr<NoteVerifier> v = ParseCosignatureVerifier(flag.substr(eq + 1));
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--witness '", flag, "': ", v.status().message()));
  }
  return WitnessEndpoint{flag.substr(0, eq), *std::move(v), 0};
}

Cosigner::Cosigner(Ledger* ledger, std::vector<WitnessEndpoint> witnesses, size_t quorum)
    : ledger_(ledger), witnesses_(std::move(witnesses)), quorum_(quorum) {
  thread_ = std::thread([this] { Loop(); });
}

Cosigner::~Cosigner() {
  stop_.Notify();
  thread_.join();
}

void Cosigner::Loop() {
  uint64_t done = 0;
  while (!stop_.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
    const auto [size, note] = ledger_->LatestCheckpoint();
    if (size == done) continue;
    CosignRound(size, note);
    done = size;
  }
}

namespace {

// The ledger this server runs, as a LogReader (ledger/log_reader.h): what the
// key handovers a witness is shown are fetched through. Only the handover
// reads are used here.
class LedgerReader final : public LogReader {
 public:
  explicit LedgerReader(const Ledger& ledger) : ledger_(ledger) {}

  [[nodiscard]] absl::StatusOr<std::string> GetCheckpoint() override {
    return ledger_.LatestCheckpoint().second;
  }
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> GetConsistencyProof(uint64_t old_size,
                                                                      uint64_t new_size) override {
    ASSIGN_OR_RETURN(const std::string note, ledger_.GetCheckpoint(new_size));
    return ledger_.ConsistencyProof(old_size, note);
  }
  [[nodiscard]] absl::StatusOr<std::vector<uint64_t>> GetKeyHandoverIndices() override {
    return ledger_.Info().key_handovers;
  }
  [[nodiscard]] absl::StatusOr<std::string> GetEntry(uint64_t index) override {
    return ledger_.GetEntry(index);
  }
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> GetInclusionProof(uint64_t index,
                                                                    uint64_t tree_size) override {
    ASSIGN_OR_RETURN(const std::string note, ledger_.GetCheckpoint(tree_size));
    return ledger_.InclusionProof(index, note);
  }

 private:
  const Ledger& ledger_;
};

}  // namespace

absl::Status Cosigner::SendKeyHandovers(const WitnessEndpoint& w, uint64_t size,
                                        const std::string& note) {
  KeyHandoverRequest req;
  req.checkpoint_note = note;
  LedgerReader log(*ledger_);
  ASSIGN_OR_RETURN(req.handovers, FetchKeyHandovers(log, size));
  if (req.handovers.empty()) return absl::NotFoundError("the log has no key handover");
  absl::Status s = PostKeyHandover(w.url, req.ToText());
  Log(s.ok() ? LogLevel::kInfo : LogLevel::kWarning, "witness_key_handover",
      s.ok() ? absl::StrCat("witness ", w.url, " followed the checkpoint key handover")
             : absl::StrCat("witness ", w.url, " did not follow the key handover: ", s.message()),
      {{"witness", w.url}, {"size", size}});
  return s;
}

void Cosigner::CosignRound(uint64_t size, const std::string& note) {
  std::string cosigned = note;
  // The keys that cosigned: one witness key listed under two names or URLs
  // counts once towards the quorum.
  std::set<std::string> got;
  for (WitnessEndpoint& w : witnesses_) {
    absl::StatusOr<std::string> line;
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::vector<Hash> proof;
      if (w.known_size > 0 && w.known_size < size) {
        absl::StatusOr<std::vector<Hash>> p = ledger_->ConsistencyProof(w.known_size, note);
        if (!p.ok()) {
          line = p.status();
          break;
        }
        proof = *std::move(p);
      }
      uint64_t witness_size = w.known_size;
      line = RequestCosignature(w.url, w.known_size, proof, note, &witness_size);
      // 403: the witness may not know the key yet; show it the handovers once.
      if (absl::IsPermissionDenied(line.status()) && attempt == 0) {
        if (absl::Status followed = SendKeyHandovers(w, size, note); followed.ok()) continue;
      }
      // 409: the witness last saw another size; it says which, so try once more from there.
      if (!absl::IsFailedPrecondition(line.status()) || witness_size == w.known_size) break;
      w.known_size = witness_size;
    }
    if (!line.ok()) {
      Log(LogLevel::kWarning, "witness_refused",
          absl::StrCat("witness ", w.url, " did not cosign size ", size, ": ",
                       line.status().message()),
          {{"witness", w.url}, {"size", size}});
      continue;
    }
    const std::string candidate = cosigned + *line;
    absl::StatusOr<size_t> n = CountCosignatures(candidate, {w.verifier});
    if (!n.ok() || *n != 1) {
      Log(LogLevel::kWarning, "witness_bad_cosignature",
          absl::StrCat("witness ", w.url,
                       " returned a cosignature that does not verify with its key"),
          {{"witness", w.url}, {"size", size}});
      continue;
    }
    cosigned = candidate;
    w.known_size = size;
    got.insert(w.verifier.key.raw());
  }
  if (got.size() < quorum_) return;
  if (absl::Status s = ledger_->PublishCosigned(size, cosigned); !s.ok()) {
    Log(LogLevel::kError, "cosigned_not_stored",
        absl::StrCat("cannot store the cosigned checkpoint: ", s.message()), {{"size", size}});
  }
}

}  // namespace touchstone
