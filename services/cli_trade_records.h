// The trade's records built from what a person types: a new lot, a shipment,
// a finished piece, each from its fields in the trade's units
// (cli_trade_flags.h). Shared by the one-record commands (`touchstone lot
// create`, `lot ship`, `piece register`: cli_trade.cc) and the bulk import
// (`touchstone import`: cli_import.cc), whose CSV columns are these fields.
// What a record must state that follows from a lot's state (a natural
// diamond's warranty statement, a parcel's stones) is read through a
// LotLookup: the server's state.
#ifndef TOUCHSTONE_SERVICES_CLI_TRADE_RECORDS_H_
#define TOUCHSTONE_SERVICES_CLI_TRADE_RECORDS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/record.pb.h"
#include "proto/state.pb.h"
#include "services/cli_sign.h"

namespace touchstone::cli {

// A lot's state by id; NOT_FOUND "no lot 'X'" if there is none.
using LotLookup = std::function<absl::StatusOr<v1::LotState>(const std::string& id)>;

// `lot create`: its flags, each a CSV column of `import --type lots`.
struct LotFlags {
  Signer signer;
  std::string id, material, form, origin, quantity, fineness, facility, note;
  std::vector<std::string> certificates;
  int64_t parcel_stones = 0;
  std::string size_class, min_stone, max_stone;
  std::string species, treatment, country;
};

// `lot ship` and `lot receive`.
struct ShipFlags {
  Signer signer;
  std::string shipment, lot, to;
  std::string invoice;         // a file whose SHA-256 is recorded
  std::string invoice_sha256;  // or that SHA-256 already made, as 64 hex digits
};

// `piece register`.
struct PieceFlags {
  Signer signer;
  std::string id, description, hallmark, heirloom_claim, gtin, serial;
  std::vector<std::string> stones, metal, parcels, claims;
  bool disclose_inputs = false;
};

// A LotCreated record (unsigned: no signer, key, record id or time).
// INVALID_ARGUMENT naming the field for a value that does not parse.
[[nodiscard]] absl::StatusOr<v1::Record> LotRecord(const LotFlags& f);

// A CustodyShipped record; a natural diamond lot's shipment carries the System
// of Warranties statement (ledger/provenance/disclosure.h). The lookup's
// errors; INVALID_ARGUMENT for a malformed invoice hash.
[[nodiscard]] absl::StatusOr<v1::Record> ShipRecord(const LotLookup& lots, const ShipFlags& f);

// A CustodyReceived record.
v1::Record ReceiveRecord(const ShipFlags& f);

// A PieceRegistered record; a parcel it takes is taken whole, at the stones
// the lookup says it holds. heirloom_claim is left to the caller
// (cli_trade.cc: it needs the lineage). INVALID_ARGUMENT for a value that
// does not parse or a lot that is not a parcel; FAILED_PRECONDITION for a
// sealed parcel; the lookup's errors.
[[nodiscard]] absl::StatusOr<v1::Record> PieceRecord(const LotLookup& lots, const PieceFlags& f);

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CLI_TRADE_RECORDS_H_
