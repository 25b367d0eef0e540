// EPCIS 2.0 import: a GS1 EPCIS 2.0 JSON(-LD) document read back into the
// records it describes, unsigned, for a client to sign and submit
// (services/cli_epcis_import.cc). The inverse of ledger/epcis/epcis_export.h:
// every event shape the export writes maps back to the record it came from,
// field for field, so a document exported from one log re-imports into another
// with the same records (and so the same claims). Storage-free; thread-safe (pure).
//
// Shapes read (CBV 2.0 names; "touchstone:" is any prefix the document's
// @context binds to kEpcisNamespace, or that namespace written out):
//   ObjectEvent ADD commissioning, one lot in quantityList, material in ilmd  -> lot_created
//   TransformationEvent with outputQuantityList and touchstone:process       -> transformation
//   TransformationEvent with outputEPCList (one piece), or ObjectEvent ADD of
//     one piece, then optionally AggregationEvent ADD assembling             -> piece_registered
//   ObjectEvent OBSERVE shipping, one lot, a possessing_party destination    -> custody_shipped
//   ObjectEvent OBSERVE receiving, one lot                                   -> custody_received
//   ObjectEvent OBSERVE inspecting, one lot, touchstone:certificate          -> certificate_issued
//   ObjectEvent OBSERVE of one piece with touchstone:event                   -> piece_lifecycle
//   AggregationEvent DELETE replacing then ADD replacing                     -> stone_replaced
//   ObjectEvent ADD commissioning of one lot, touchstone:heirloom in ilmd, then
//     optionally ObjectEvent DELETE decommissioning of the piece it repurposes -> heirloom_received
//   ObjectEvent OBSERVE of one piece with touchstone:owner                   -> ownership_accepted,
//     ownership_transferred, owner_report, owner_key_replaced
//   errorDeclaration on the events of a record                               -> error_declared
// The events of one record are consecutive and share touchstone:entry's index
// (or, without it, an eventID stem: "X", "X#2"). Anything else is an error for
// that event, with the reason; the other events are still read.
//
// Identifiers: a URI https://<host>/lot/<id> names lot <id> (percent-decoded),
// likewise piece/, participant/, certificate/, transformation/; a GS1 Digital
// Link https://id.gs1.org/01/<gtin>/21/<serial> names the piece whose GTIN and
// serial it is (touchstone:pieceId in ilmd gives its id); any other URI names a
// lot by the URI itself (an LGTIN class, say). A record's id is
// touchstone:entry's touchstone:recordId when the event has one, else
// "epcis-" and the first 32 hex digits of SHA-256(eventID): importing the same
// document twice yields the same records, which the log takes as retries.
#ifndef TOUCHSTONE_LEDGER_EPCIS_EPCIS_IMPORT_H_
#define TOUCHSTONE_LEDGER_EPCIS_EPCIS_IMPORT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/record.pb.h"

namespace touchstone {

// One record an import appends.
struct EpcisImportRecord {
  size_t document = 0;   // which document (MergeEpcisPlans: its position; else 0)
  size_t event = 0;      // 1-based position in eventList of the record's first event
  std::string event_id;  // that event's eventID
  // Who must sign: the participant the event names (touchstone:entry's
  // touchstone:signer; else a shipment's possessing_party source or a receipt's
  // destination); empty when the event names none (the importer signs).
  std::string signer;
  // record_id, event_time_micros, history_import and the body. signer and
  // key_id are left for the signer. An error_declared's wrong_index and
  // replacement_index are 0 here: `wrong` and `replacement` say which records
  // of the plan they are, whose log indices the importer learns as it appends.
  v1::Record record;
  std::optional<size_t> wrong, replacement;  // positions in EpcisImportPlan::records
  // An owner's record (ownership accepted or transferred, an owner's report, an
  // owner key replaced): the ownership record it follows, whose index the
  // importer sets as prev_index (record.h SetOwnerPrevIndex; 0 here).
  std::optional<size_t> prev;
  // The owner key that signed the record in the log it came from
  // (touchstone:entry's touchstone:ownerKeyId): it must sign again, for the new
  // log. owner_only: it signed alone (an owner's record, no participant).
  std::string owner_key_id;
  bool owner_only = false;
  // What the owner signed there, for CheckOwnerSignedBefore: its signature
  // (touchstone:ownerSignature), the participant's key id (touchstone:keyId)
  // and the record's prev_index in that log (touchstone:prevEntry).
  std::optional<v1::OwnerSignature> original_owner_signature;
  std::string original_key_id;
  uint64_t original_prev_index = 0;
  // Where the record was in the log the document came from, when the document
  // says (touchstone:entry's index; an error declaration's touchstone:declaredIn),
  // and that log: its eventIDs' stem, "https://<origin>/entry/".
  std::optional<uint64_t> original_index;
  std::string original_log;
};

// An event that does not become a record, and why.
struct EpcisImportError {
  size_t document = 0;  // as EpcisImportRecord::document
  size_t event = 0;
  std::string event_id;
  std::string message;
};

struct EpcisImportPlan {
  size_t events = 0;                       // events in the document
  std::vector<EpcisImportRecord> records;  // in the order to append them
  std::vector<EpcisImportError> errors;    // in document order
};

// OK if `owner` signed `r` on the log it came from: the document carries the
// owner's signature (touchstone:ownerSignature), and it verifies, with
// `owner`, over the record's bytes as that log held them (its signer, key id
// and prev_index there; the origin from its eventIDs, "https://<origin>/entry/")
// with `history_import` as there. An importer checks this before an owner key
// signs again, so that a document cannot put words in the owner's mouth.
// PERMISSION_DENIED saying why otherwise (no signature, no origin, a signature
// that does not verify).
[[nodiscard]] absl::Status CheckOwnerSignedBefore(const EpcisImportRecord& r,
                                                  const v1::OwnerKey& owner);

// The records `document` describes. INVALID_ARGUMENT if it is not JSON, not an
// EPCISDocument, or has no epcisBody.eventList; an event that cannot be mapped
// is an entry of `errors`, not a failure.
[[nodiscard]] absl::StatusOr<EpcisImportPlan> PlanEpcisImport(std::string_view document);

// Several documents' plans as one, so that exports of several pieces of one log
// import together in that log's order (one piece's replacement record can be
// another's). A record (by record id) is kept once, where it first appears;
// when every record says where it was in one and the same log, they are put in
// that order (stable), else they stay in document order. Errors are kept, in
// order. INVALID_ARGUMENT if one record id stands for two different records.
[[nodiscard]] absl::StatusOr<EpcisImportPlan> MergeEpcisPlans(std::vector<EpcisImportPlan> plans);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_EPCIS_EPCIS_IMPORT_H_
