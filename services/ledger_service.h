// The gRPC adapter of the ledger: convert the request, call ledger::Ledger,
// convert the result and its status back. No rules live here.
#ifndef TOUCHSTONE_SERVICES_LEDGER_SERVICE_H_
#define TOUCHSTONE_SERVICES_LEDGER_SERVICE_H_

#include <atomic>

#include "absl/time/time.h"
#include "ledger/ledger.h"
#include "proto/ledger_service.grpc.pb.h"

namespace touchstone {

// Thread-safe (the ledger is).
class LedgerService final : public v1::Ledger::Service {
 public:
  // `max_call`: the longest a Submit, SubmitBatch or GetEntries call may run
  // (see CallDeadline).
  LedgerService(Ledger* ledger, absl::Duration max_call) : ledger_(ledger), max_call_(max_call) {}

  grpc::Status Submit(grpc::ServerContext*, const v1::SubmitRequest* req,
                      v1::Receipt* resp) override;
  grpc::Status SubmitBatch(grpc::ServerContext*, const v1::SubmitBatchRequest* req,
                           v1::SubmitBatchResponse* resp) override;
  grpc::Status SubmitStream(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::SubmitResult, v1::SubmitRequest>* stream) override;
  grpc::Status CheckStream(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::SubmitResult, v1::SubmitRequest>* stream) override;
  grpc::Status GetEntry(grpc::ServerContext*, const v1::GetEntryRequest* req,
                        v1::Entry* resp) override;
  grpc::Status GetEntries(grpc::ServerContext* ctx, const v1::GetEntriesRequest* req,
                          grpc::ServerWriter<v1::Entry>* writer) override;
  grpc::Status GetCheckpoint(grpc::ServerContext*, const v1::GetCheckpointRequest* req,
                             v1::CheckpointResponse* resp) override;
  grpc::Status GetInclusionProof(grpc::ServerContext*, const v1::GetInclusionProofRequest* req,
                                 v1::InclusionProofResponse* resp) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext*, const v1::GetConsistencyProofRequest* req,
                                   v1::ConsistencyProofResponse* resp) override;
  grpc::Status GetLogInfo(grpc::ServerContext*, const v1::GetLogInfoRequest* req,
                          v1::LogInfo* resp) override;
  grpc::Status AddAuditCosignature(grpc::ServerContext*, const v1::AddAuditCosignatureRequest* req,
                                   v1::AddAuditCosignatureResponse* resp) override;
  grpc::Status GetAuditedCheckpoint(grpc::ServerContext*,
                                    const v1::GetAuditedCheckpointRequest* req,
                                    v1::CheckpointResponse* resp) override;

 private:
  Ledger* ledger_;
  absl::Duration max_call_;
  std::atomic<int> check_streams_{0};  // CheckStreams running
};

// The most records one CheckStream checks, and the most CheckStreams at once
// (each holds its records in memory: ledger/ledger_check.h).
inline constexpr uint64_t kMaxCheckRecords = 200'000;
inline constexpr int kMaxCheckStreams = 2;

// Fills a protobuf receipt.
void ToProto(const Receipt& r, v1::Receipt* out);

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_LEDGER_SERVICE_H_
