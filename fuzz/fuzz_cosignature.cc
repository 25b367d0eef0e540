// Fuzzes witness cosignature counting (ledger/log/cosignature.h, c2sp.org/tlog-cosignature).
// Invariants: the count never exceeds the number of distinct witness keys (the
// fixture's witness listed twice and its key under a second name are one); a note
// counted as cosigned by it carries the one checkpoint text it cosigned.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz/fixture.h"
#include "ledger/log/cosignature.h"
#include "ledger/log/note.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace touchstone;
  const fuzz::FixtureLog& log = fuzz::FixtureLog::Get();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The witness listed twice, and its key under another name, still count once.
  static const NoteVerifier alias =
      fuzz::OrDie(ParseCosignatureVerifier(FormatCosignatureVerifierKey(
                      "alias.example/witness", log.witness_verifier().key)),
                  "alias witness key");
  const std::vector<NoteVerifier> witnesses = {log.witness_verifier(), log.witness_verifier(),
                                               alias};
  absl::StatusOr<size_t> n = CountCosignatures(bytes, witnesses);
  if (!n.ok()) return 0;
  if (*n > 1) fuzz::Fail("a witness key counted more than once");
  if (*n == 1) {
    absl::StatusOr<ParsedNote> note = ParseNote(bytes);
    if (!note.ok()) fuzz::Fail("counted cosignatures on a note ParseNote refuses");
    if (note->text != log.CheckpointText(log.size())) {
      fuzz::Fail("a cosignature verified on a text the witness never cosigned");
    }
  }
  return 0;
}
