// Fuzzes C2SP signed notes and verifier keys (ledger/log/note.h, ledger/log/cosignature.h).
// Invariants: a parsed note has a text ending in '\n' and 1..100 signature lines;
// VerifyNote under the fixture's log key returns only a text that key signed; a
// parsed verifier key prints back to exactly its string (but for the case of
// its key ID's hex digits).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "fuzz/fixture.h"
#include "ledger/log/cosignature.h"
#include "ledger/log/note.h"

namespace {

// A verifier key with its key ID in lower case: like Go's note.NewVerifier
// (strconv.ParseUint), the parser takes the 8 hex digits in either case.
std::string LowerKeyId(std::string_view vkey) {
  std::string s(vkey);
  const size_t a = s.find('+');
  const size_t b = a == std::string::npos ? a : s.find('+', a + 1);
  if (b == std::string::npos) return s;
  for (size_t i = a + 1; i < b; ++i) s[i] = absl::ascii_tolower(static_cast<unsigned char>(s[i]));
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace touchstone;
  const fuzz::FixtureLog& log = fuzz::FixtureLog::Get();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<ParsedNote> note = ParseNote(bytes);
  if (note.ok()) {
    if (note->text.empty() || note->text.back() != '\n') fuzz::Fail("note text without final \\n");
    if (note->signatures.empty() || note->signatures.size() > 100) {
      fuzz::Fail("note with no or too many signatures");
    }
    if (!bytes.starts_with(note->text)) fuzz::Fail("note text is not a prefix of the note");
  }
  absl::StatusOr<std::string> text = VerifyNote(bytes, log.verifier());
  if (text.ok()) {
    if (!note.ok()) fuzz::Fail("VerifyNote accepted a note ParseNote refuses");
    bool known = false;
    for (uint64_t s = 0; s <= log.size(); ++s) known = known || *text == log.CheckpointText(s);
    if (!known) fuzz::Fail("VerifyNote accepted a text the log key never signed");
  }

  absl::StatusOr<NoteVerifier> vkey = NoteVerifier::Parse(bytes);
  if (vkey.ok() && FormatVerifierKey(vkey->name, vkey->key) != LowerKeyId(bytes)) {
    fuzz::Fail("verifier key does not round-trip");
  }
  absl::StatusOr<NoteVerifier> wkey = ParseCosignatureVerifier(bytes);
  if (wkey.ok() && FormatCosignatureVerifierKey(wkey->name, wkey->key) != LowerKeyId(bytes)) {
    fuzz::Fail("cosignature verifier key does not round-trip");
  }
  return 0;
}
