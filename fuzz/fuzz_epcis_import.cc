// Fuzzes EPCIS import (ledger/epcis/epcis_import.h): a document is whatever a
// participant hands the CLI. Invariants: reading never fails but for a document
// that is not an EPCISDocument; no event becomes two records (besides the
// error declaration it may carry), and no event has more than two outcomes;
// positions are in range; every record carries a body, an id and a time, and
// serializes to bytes that parse back to it; an error declaration names records
// of the plan that come before it, and an owner's record the one it follows
// (and only an owner's record follows one); an owner-only record names its
// owner key and no participant, and checking that an owner signed it before
// refuses (no key signed these documents); merging a plan with itself adds nothing.
// Seeds (fuzz/corpus/fuzz_epcis_import): demo pieces' exports (band; mass-balance:
// MB-1, its account, booking and allocation as TransactionEvents; heirloom:
// HEIRLOOM-RING-1, its intake and BRACELET-1's owners' records) and a
// hand-made document of foreign identifiers under another prefix (foreign).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz/fixture.h"
#include "ledger/epcis/epcis_import.h"
#include "ledger/provenance/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace touchstone;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<EpcisImportPlan> plan = PlanEpcisImport(bytes);
  if (!plan.ok()) {
    if (plan.status().code() != absl::StatusCode::kInvalidArgument) {
      fuzz::Fail("PlanEpcisImport failed with a code other than INVALID_ARGUMENT");
    }
    return 0;
  }
  std::vector<int> seen(plan->events + 1, 0);
  for (const EpcisImportError& e : plan->errors) {
    if (e.event == 0 || e.event > plan->events) fuzz::Fail("error at an event out of range");
    if (e.message.empty()) fuzz::Fail("an error without a message");
  }
  for (size_t i = 0; i < plan->records.size(); ++i) {
    const EpcisImportRecord& r = plan->records[i];
    if (r.event == 0 || r.event > plan->events) fuzz::Fail("record at an event out of range");
    if (r.record.body_case() == v1::Record::BODY_NOT_SET) fuzz::Fail("record without a body");
    if (r.record.record_id().empty()) fuzz::Fail("record without an id");
    if (r.record.event_time_micros() < 0) fuzz::Fail("record before 1970");
    v1::Record back;
    if (!back.ParseFromString(SerializeRecord(r.record)) ||
        SerializeRecord(back) != SerializeRecord(r.record)) {
      fuzz::Fail("record does not survive serialization");
    }
    if (OwnerPrevIndex(r.record)) {
      if (!r.prev || *r.prev >= i) fuzz::Fail("owner's record before the one it follows");
      if (*OwnerPrevIndex(r.record) != 0) fuzz::Fail("a prev_index of another log");
    } else if (r.prev) {
      fuzz::Fail("a record that follows another but is no owner's record");
    }
    if (r.owner_only && (r.owner_key_id.empty() || !r.signer.empty())) {
      fuzz::Fail("an owner-only record without its owner key, or with a participant");
    }
    if (!r.owner_key_id.empty()) {
      // No key signed a fuzzed document: the check answers, and only with a refusal.
      v1::OwnerKey key;
      key.set_ed25519(std::string(32, '\x07'));
      if (CheckOwnerSignedBefore(r, key).code() != absl::StatusCode::kPermissionDenied) {
        fuzz::Fail("an owner's signature checked out, or the check failed otherwise");
      }
    }
    if (r.record.has_error_declared()) {
      if (!r.wrong || *r.wrong >= i) fuzz::Fail("declaration before the record it corrects");
      if (r.replacement && *r.replacement >= i) fuzz::Fail("declaration before its replacement");
    } else {
      if (r.wrong || r.replacement) fuzz::Fail("targets on a record that declares nothing");
      ++seen[r.event];
    }
  }
  for (size_t e = 1; e <= plan->events; ++e) {
    if (seen[e] > 1) fuzz::Fail("one event became two records");
  }
  // Each event: at most its record or its error, and at most its declaration or that's error.
  if (plan->records.size() + plan->errors.size() > 2 * plan->events) {
    fuzz::Fail("more outcomes than events");
  }
  absl::StatusOr<EpcisImportPlan> twice = MergeEpcisPlans({*plan, *plan});
  if (twice.ok() && twice->records.size() > plan->records.size()) {
    // Records with one id twice in a document are kept twice (the log decides);
    // across two copies of the document nothing more may appear.
    fuzz::Fail("merging a plan with itself added records");
  }
  if (twice.ok()) {
    for (size_t i = 0; i < twice->records.size(); ++i) {
      const EpcisImportRecord& r = twice->records[i];
      if ((r.wrong && *r.wrong >= i) || (r.replacement && *r.replacement >= i)) {
        fuzz::Fail("a merged declaration comes before a record it names");
      }
      if (r.prev && *r.prev >= i) fuzz::Fail("a merged owner's record before the one it follows");
    }
  }
  return 0;
}
