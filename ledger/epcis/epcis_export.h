// EPCIS 2.0 export: entries of the log as a GS1 EPCIS 2.0 JSON-LD document
// (EPCISDocument), so that supply-chain systems that speak the standard read
// what Touchstone holds. Storage-free; thread-safe (pure). The caller hands in
// entries it has verified (a piece bundle, a checked Watch stream).
//
// One record becomes zero, one or two events (CBV 2.0 vocabulary):
//   lot_created          ObjectEvent ADD, bizStep commissioning, the lot as a
//                        quantity (uom MGM or CTM) with its master data in ilmd
//   transformation       TransformationEvent, inputs and outputs as quantities,
//                        transformationID the transformation's URI
//   custody_shipped      ObjectEvent OBSERVE, shipping / in_transit, source and
//                        destination possessing_party (custody is possession)
//   custody_received     ObjectEvent OBSERVE, receiving / in_progress
//   piece_registered     TransformationEvent (its metal into the piece), then
//                        AggregationEvent ADD, assembling (its stones and
//                        parcel draws set into it); a piece without metal gets
//                        an ObjectEvent ADD in place of the first
//   stone_replaced       AggregationEvent DELETE of the old stone, then ADD of the new
//   piece_lifecycle      ObjectEvent OBSERVE: sold (retail_selling / retail_sold),
//                        repaired (repairing), stolen (disposition stolen), lost
//                        and recovered (touchstone:event)
//   certificate_issued   about a lot: ObjectEvent OBSERVE, inspecting, with the
//                        certificate in certificationInfo
//   heirloom_received    ObjectEvent ADD of the owner's metal lot (the intake in
//                        ilmd, the owner key as touchstone:ownerKey); with a
//                        repurposed piece, ObjectEvent DELETE, decommissioning
//   ownership_accepted, ownership_transferred, owner_report, owner_key_replaced
//                        ObjectEvent OBSERVE of the piece, touchstone:owner
//                        holding kind (accepted, transferred, report,
//                        keyReplaced), prevEntry (the index of the ownership
//                        record it follows) and the record's fields; a report
//                        has the disposition of its event
//   certificate_status_changed  of a certificate about a lot whose issuing the
//                        export holds: ObjectEvent OBSERVE, inspecting, the
//                        certificate in certificationInfo, the change in
//                        touchstone:certificateStatus
//   credit_account_opened  TransactionEvent ADD, the account as a business
//                        transaction (bizTransactionList, type
//                        touchstone:massBalanceAccount), its terms in
//                        touchstone:account, its certificate in certificationInfo
//   credit_booked, credit_allocated  TransactionEvent ADD of the lot (quantityList,
//                        no amount) to the account, touchstone:credit holding
//                        kind (booking, allocation), fine, seq and balanceAfter
//   error_declared       no event of its own: the events of the record it
//                        corrects (when exported too) carry errorDeclaration,
//                        with the replacement's events as correctiveEventIDs
// Lots and transformations that cite certificates carry them in
// certificationInfo. Everything else (participants, keys, schemes, policies,
// certificates about participants or facilities and their status changes) has
// no EPCIS event: it is listed in EpcisExport::unmapped.
//
// Identifiers are URIs under "https://<origin>/": lot/<id>, piece/<id>,
// participant/<id>, certificate/<id>, transformation/<id>, account/<id>, entry/<index>
// (eventID, with "#2" for an entry's second event); a piece registered with a
// GTIN and serial is its GS1 Digital Link, https://id.gs1.org/01/<gtin>/21/<serial>.
// An owner key (a buyer's, an intake's owner, a new owner or recovery key) is
// base64 of its canonical bytes (proto OwnerKey); an owner is never named.
// Every event carries "touchstone:entry": {touchstone:index, touchstone:leafHash
// (hex of SHA-256(0x00 || entry)), touchstone:recordId, touchstone:signer, and,
// when an owner key signed the record, touchstone:ownerKeyId,
// touchstone:ownerSignature (base64 of proto OwnerSignature) and the
// participant's touchstone:keyId}, so
// a receiver can find and check it in the log; every key of ours, nested ones
// too, is in the "touchstone" namespace (kEpcisNamespace), so JSON-LD readers
// keep them. A lot whose creation is not in the export is measured in the unit
// of its transformation's material (milligrams for metals, carats otherwise).
#ifndef TOUCHSTONE_LEDGER_EPCIS_EPCIS_EXPORT_H_
#define TOUCHSTONE_LEDGER_EPCIS_EPCIS_EXPORT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace touchstone {

inline constexpr std::string_view kEpcisNamespace = "https://touchstone.example/ns/epcis/";
inline constexpr std::string_view kEpcisContext =
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

// One entry to export: its index and exact stored bytes.
struct EpcisEntryIn {
  uint64_t index = 0;
  std::string data;
};

struct EpcisUnmapped {
  uint64_t index = 0;
  std::string record_type;
};

struct EpcisExport {
  std::string document;  // the EPCISDocument, JSON, indented
  size_t events = 0;
  std::vector<EpcisUnmapped> unmapped;  // entries with no EPCIS event
};

// The document for `entries` (in increasing index order) of the log `origin`,
// created at `created`. DATA_LOSS if an entry does not decode as a record at
// its index (ledger/provenance/record.h RecordOfEntry); INVALID_ARGUMENT if
// the entries are not in increasing index order.
[[nodiscard]] absl::StatusOr<EpcisExport> ExportEpcis(std::string_view origin,
                                                      const std::vector<EpcisEntryIn>& entries,
                                                      absl::Time created);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_EPCIS_EPCIS_EXPORT_H_
