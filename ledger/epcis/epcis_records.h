// EPCIS import's record mappings (ledger/epcis/epcis_import.h), internal to
// ledger/epcis: one function per event shape, each the inverse of the export's
// (ledger/epcis/epcis_export.cc) for that record, returning the record's body
// (no id, time or signer: the planner adds them) or the refusal, worded for
// the user. Pure, but a Reader's Digital Links must be learnt first.
#ifndef TOUCHSTONE_LEDGER_EPCIS_EPCIS_RECORDS_H_
#define TOUCHSTONE_LEDGER_EPCIS_EPCIS_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/epcis/epcis_reader.h"
#include "proto/record.pb.h"

namespace touchstone::epcis_internal {

// ObjectEvent ADD commissioning of one lot, master data in ilmd.
Or<v1::Record> LotCreatedOf(const Reader& r, const Json& e);
// TransformationEvent with touchstone:process, lots in and out.
Or<v1::Record> TransformationOf(const Reader& r, const Json& e);
// ObjectEvent OBSERVE shipping / receiving of one lot.
Or<v1::Record> ShippedOf(const Reader& r, const Json& e);
Or<v1::Record> ReceivedOf(const Reader& r, const Json& e);
// ObjectEvent OBSERVE inspecting of one lot: a certificate about it.
Or<v1::Record> InspectedOf(const Reader& r, const Json& e);
// ObjectEvent OBSERVE inspecting of one lot with touchstone:certificateStatus.
Or<v1::Record> StatusChangedOf(const Reader& r, const Json& e);
// TransactionEvent ADD of a mass-balance account with touchstone:account.
Or<v1::Record> AccountOpenedOf(const Reader& r, const Json& e);
// TransactionEvent ADD of one lot to an account with touchstone:credit.
Or<v1::Record> CreditOf(const Reader& r, const Json& e);
// ObjectEvent OBSERVE of one piece with touchstone:event.
Or<v1::Record> LifecycleOf(const Reader& r, const Json& e);
// AggregationEvent DELETE then ADD, replacing (the two events of the record).
Or<v1::Record> ReplacedOf(const Reader& r, const std::vector<const Json*>& g);
// A piece's making, then optionally its setting (the events of the record).
Or<v1::Record> PieceOf(const Reader& r, const std::vector<const Json*>& g);

// Lot ids from a list of lot URIs under our key `local` of `o` (none if
// absent); a refusal if it is not a list of strings.
Or<std::vector<std::string>> LotList(const Reader& r, const Json& o, std::string_view local);

// The one piece of an event's epcList, or a refusal naming `what`.
Or<std::string> OnePiece(const Reader& r, const Json& e, std::string_view what);

// True if the events of one record `g` are one event, or two whose second has
// `type`, `action` and bizStep `step`.
bool ThenAtMost(const std::vector<const Json*>& g, std::string_view type, std::string_view action,
                std::string_view step);

// epcis_owner_records.cc: what an owner key signs.
// An owner key under our key `local` of `o` (base64 of proto OwnerKey).
Or<v1::OwnerKey> OwnerKeyOf(const Reader& r, const Json& o, std::string_view local);
// ObjectEvent ADD commissioning of the owner's metal lot (touchstone:heirloom
// in ilmd), then optionally ObjectEvent DELETE decommissioning of the piece it
// repurposes (the events of the record).
Or<v1::Record> HeirloomOf(const Reader& r, const std::vector<const Json*>& g);
// ObjectEvent OBSERVE of one piece with touchstone:owner. Its prev_index is
// touchstone:prevEntry, an index of the log the document came from.
Or<v1::Record> OwnerRecordOf(const Reader& r, const Json& e);

}  // namespace touchstone::epcis_internal

#endif  // TOUCHSTONE_LEDGER_EPCIS_EPCIS_RECORDS_H_
