// Fuzzes a tlog-witness's add-checkpoint (ledger/witness.h): request parsing and
// the whole decision, on a witness that has cosigned the fixture's checkpoint at
// kOldSize (state in a fresh file per input, under /dev/shm when it exists).
// Invariants: a parsed request survives print-and-parse; the witness cosigns only
// a checkpoint the log key signed that extends what it cosigned (the fixture's,
// from kOldSize), and its cosignature verifies; a 409 for a stale size names
// kOldSize; anything refused leaves the witness where it was.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz/fixture.h"
#include "ledger/log/cosignature.h"
#include "ledger/witness.h"

namespace {

const std::string& StatePath() {
  static const std::string* path = [] {
    std::string base =
        std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    std::string tmpl = base + "/touchstone-fuzz-witness-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) touchstone::fuzz::Fail("mkdtemp");
    static std::string dir = tmpl;
    std::atexit([] { std::filesystem::remove_all(dir); });
    return new std::string(tmpl + "/state");
  }();
  return *path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace touchstone;
  using Kind = AddCheckpointResult::Kind;
  const fuzz::FixtureLog& log = fuzz::FixtureLog::Get();
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<AddCheckpointRequest> req = AddCheckpointRequest::FromText(body);
  if (req.ok()) {
    absl::StatusOr<AddCheckpointRequest> again = AddCheckpointRequest::FromText(req->ToText());
    if (!again.ok() || again->old_size != req->old_size || again->proof != req->proof ||
        again->checkpoint_note != req->checkpoint_note) {
      fuzz::Fail("add-checkpoint request does not survive print and parse");
    }
  }

  // The key handover request (touchstone's addition): parsing, and following it.
  // The fixture log has no handover, so no body may make the witness trust
  // another key: afterwards it still cosigns only what the log key signed.
  absl::StatusOr<KeyHandoverRequest> handover = KeyHandoverRequest::FromText(body);
  if (handover.ok()) {
    absl::StatusOr<KeyHandoverRequest> again = KeyHandoverRequest::FromText(handover->ToText());
    if (!again.ok() || again->handovers.size() != handover->handovers.size() ||
        again->checkpoint_note != handover->checkpoint_note) {
      fuzz::Fail("key handover request does not survive print and parse");
    }
    for (size_t i = 0; i < handover->handovers.size(); ++i) {
      if (again->handovers[i].index != handover->handovers[i].index ||
          again->handovers[i].entry != handover->handovers[i].entry ||
          again->handovers[i].proof != handover->handovers[i].proof) {
        fuzz::Fail("key handover request does not survive print and parse");
      }
    }
  }

  std::filesystem::remove(StatePath());
  std::filesystem::remove(StatePath() + ".keys");
  std::unique_ptr<Witness> witness =
      fuzz::OrDie(Witness::Create(log.witness(), {log.verifier()}, StatePath(),
                                  [] { return fuzz::kCosignTimestamp; }),
                  "witness");
  AddCheckpointRequest first;
  first.checkpoint_note = log.CheckpointNote(fuzz::kOldSize);
  if (!witness->AddCheckpoint(first).ok()) fuzz::Fail("the witness refused the first checkpoint");
  witness->AddKeyHandover(body).IgnoreError();
  if (std::filesystem::exists(StatePath() + ".keys")) {
    fuzz::Fail("the witness followed a key handover the log never made");
  }

  const AddCheckpointResult r = witness->AddCheckpoint(body);
  const std::optional<Checkpoint> latest = witness->Latest(fuzz::kOrigin);
  if (!latest.has_value()) fuzz::Fail("the witness forgot its checkpoint");
  if (!r.ok()) {
    if (latest->size != fuzz::kOldSize || latest->root != log.Root(fuzz::kOldSize)) {
      fuzz::Fail("a refused add-checkpoint moved the witness");
    }
    if (r.kind == Kind::kStaleOldSize && r.witness_size != fuzz::kOldSize) {
      fuzz::Fail("409 names another size than the one cosigned");
    }
    if (r.HttpStatus() < 400 || r.HttpStatus() > 500) fuzz::Fail("refusal with a 2xx/3xx status");
    return 0;
  }
  if (!req.ok()) fuzz::Fail("cosigned a body the parser refuses");
  const Checkpoint cp = fuzz::OrDie(VerifyCheckpoint(req->checkpoint_note, log.verifier()),
                                    "cosigned checkpoint does not verify under the log key");
  if (cp.size < fuzz::kOldSize || cp.size > log.size() || cp.root != log.Root(cp.size) ||
      cp.ToText() != log.CheckpointText(cp.size)) {
    fuzz::Fail("cosigned a checkpoint the log never signed, or a smaller one");
  }
  if (cp.size > fuzz::kOldSize && req->old_size != fuzz::kOldSize) {
    fuzz::Fail("cosigned a larger checkpoint without a proof from the cosigned size");
  }
  if (latest->size != cp.size || latest->root != cp.root)
    fuzz::Fail("Latest is not what it cosigned");
  if (fuzz::OrDie(CountCosignatures(req->checkpoint_note + r.cosignature, {log.witness_verifier()}),
                  "count cosignatures") != 1) {
    fuzz::Fail("the witness's cosignature does not verify");
  }
  return 0;
}
