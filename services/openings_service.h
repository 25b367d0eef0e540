// gRPC adapter of opening reads (proto/openings_service.proto): converts the
// signed request, asks the ledger (Ledger::ReadOpening, ListOpeningReads:
// ledger/ledger_openings.cc, which decides with
// ledger/provenance/opening_access.h and logs every attempt), converts back.
#ifndef TOUCHSTONE_SERVICES_OPENINGS_SERVICE_H_
#define TOUCHSTONE_SERVICES_OPENINGS_SERVICE_H_

#include "ledger/ledger.h"
#include "ledger/provenance/opening_access.h"
#include "proto/openings_service.grpc.pb.h"

namespace touchstone {

// The core's form of a request's signed part.
ReadRequest ReadRequestOf(const v1::ReadAuth& auth);

// The reply to an allowed opening read of entry `index`.
v1::GetOpeningResponse OpeningResponseOf(uint64_t index, Ledger::OpenedEntry opened);

// Thread-safe (the ledger is).
class OpeningsService final : public v1::Openings::Service {
 public:
  explicit OpeningsService(Ledger* ledger) : ledger_(ledger) {}

  grpc::Status GetOpening(grpc::ServerContext*, const v1::GetOpeningRequest* req,
                          v1::GetOpeningResponse* resp) override;
  grpc::Status ListOpeningReads(grpc::ServerContext*, const v1::ListOpeningReadsRequest* req,
                                v1::ListOpeningReadsResponse* resp) override;

 private:
  Ledger* ledger_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_OPENINGS_SERVICE_H_
