// gRPC adapter for provenance lookups: the derived state of participants,
// lots, certificates and pieces, with the log indices behind each.
#ifndef TOUCHSTONE_SERVICES_PROVENANCE_SERVICE_H_
#define TOUCHSTONE_SERVICES_PROVENANCE_SERVICE_H_

#include <atomic>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/ledger.h"
#include "proto/provenance_service.grpc.pb.h"

namespace touchstone {

// How Watch streams are served (touchstoned flags).
struct WatchServiceOptions {
  // A stream ends (OK, after a last checkpoint event) when the call's
  // deadline, capped at this, comes: --max_call_seconds.
  absl::Duration max_call = absl::Seconds(60);
  // Streams open at once; more are RESOURCE_EXHAUSTED (--max_watches). Each
  // holds a handler thread while it waits.
  int max_watches = 64;
  // Whether witnesses cosign this log's checkpoints (WatchRequest.cosigned).
  bool witnesses = false;
};

// Thread-safe (the ledger is).
class ProvenanceService final : public v1::Provenance::Service {
 public:
  explicit ProvenanceService(const Ledger* ledger, WatchServiceOptions watch = {})
      : ledger_(ledger), watch_(watch) {}

  // Ends every Watch stream (UNAVAILABLE) within a wait slice and refuses new
  // ones: called before the gRPC server shuts down, so that it need not wait
  // for them.
  void StopWatches();

  grpc::Status GetParticipant(grpc::ServerContext*, const v1::LookupRequest* req,
                              v1::ParticipantState* resp) override;
  grpc::Status GetLot(grpc::ServerContext*, const v1::LookupRequest* req,
                      v1::LotState* resp) override;
  grpc::Status GetCertificate(grpc::ServerContext*, const v1::LookupRequest* req,
                              v1::CertificateLookup* resp) override;
  grpc::Status GetPiece(grpc::ServerContext*, const v1::LookupRequest* req,
                        v1::PieceState* resp) override;
  grpc::Status GetCreditAccount(grpc::ServerContext*, const v1::LookupRequest* req,
                                v1::CreditAccountState* resp) override;
  grpc::Status GetScheme(grpc::ServerContext*, const v1::LookupRequest* req,
                         v1::SchemeState* resp) override;
  grpc::Status GetPieceBundle(grpc::ServerContext*, const v1::LookupRequest* req,
                              v1::PieceBundle* resp) override;
  grpc::Status Search(grpc::ServerContext*, const v1::SearchQuery* req,
                      v1::SearchAnswer* resp) override;
  grpc::Status Impact(grpc::ServerContext*, const v1::ImpactQuery* req,
                      v1::ImpactAnswer* resp) override;
  // provenance_watch.cc
  grpc::Status Watch(grpc::ServerContext* ctx, const v1::WatchRequest* req,
                     grpc::ServerWriter<v1::WatchEvent>* writer) override;

 private:
  const Ledger* ledger_;
  const WatchServiceOptions watch_;
  std::atomic<bool> watches_stopped_{false};
  absl::Mutex watch_mu_;
  int watches_ ABSL_GUARDED_BY(watch_mu_) = 0;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_PROVENANCE_SERVICE_H_
