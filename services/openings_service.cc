// gRPC adapter of opening reads (openings_service.h).
#include "services/openings_service.h"

#include <utility>

#include "services/status_convert.h"

namespace touchstone {

ReadRequest ReadRequestOf(const v1::ReadAuth& auth) {
  return ReadRequest{auth.reader(), auth.key_id(), auth.micros(), auth.signature()};
}

v1::GetOpeningResponse OpeningResponseOf(uint64_t index, Ledger::OpenedEntry opened) {
  v1::GetOpeningResponse resp;
  resp.set_index(index);
  resp.set_sealed(opened.opening.has_value());
  if (opened.opening) *resp.mutable_opening() = std::move(*opened.opening);
  *resp.mutable_record() = std::move(opened.record);
  resp.set_why(std::move(opened.why));
  return resp;
}

grpc::Status OpeningsService::GetOpening(grpc::ServerContext*, const v1::GetOpeningRequest* req,
                                         v1::GetOpeningResponse* resp) {
  absl::StatusOr<Ledger::OpenedEntry> opened =
      ledger_->ReadOpening(req->index(), ReadRequestOf(req->auth()));
  if (!opened.ok()) return ToGrpc(opened.status());
  *resp = OpeningResponseOf(req->index(), *std::move(opened));
  return grpc::Status::OK;
}

grpc::Status OpeningsService::ListOpeningReads(grpc::ServerContext*,
                                               const v1::ListOpeningReadsRequest* req,
                                               v1::ListOpeningReadsResponse* resp) {
  absl::StatusOr<std::vector<v1::OpeningRead>> reads =
      ledger_->ListOpeningReads(ReadRequestOf(req->auth()));
  if (!reads.ok()) return ToGrpc(reads.status());
  for (v1::OpeningRead& r : *reads) *resp->add_reads() = std::move(r);
  return grpc::Status::OK;
}

}  // namespace touchstone
