// touchstoned's HTTP side: a piece's customer page, its bundle (the binary
// .tsbundle and a JSON form for the page) and its QR codes.
//
//   GET /p/PIECE_ID              the page (HTML; the log's and witnesses' keys pinned in it)
//   GET /p/PIECE_ID/bundle       the PieceBundle, binary, as a download (PIECE_ID.tsbundle)
//   GET /p/PIECE_ID/bundle.json  the same bundle as JSON (services/bundle_json.h)
//   GET /p/PIECE_ID/qr.svg       a QR code of the page's URL (services/qr_code.h)
//   GET /p/PIECE_ID/qr.png       the same QR code as PNG
//   GET /static/{page.js,verify.js,owner.js,...}   the page's assets (embedded in the binary)
//   GET /static/i18n/LANG.json   the page's messages in one language (services/web/i18n/);
//                                the page itself comes in the language its ?lang= names,
//                                else Accept-Language's (services/page_language.h), as
//                                <html lang> and Content-Language, with Vary: Accept-Language
//   POST /v1/owner-records       appends a record an owner key signs alone (the
//                                page's owner actions, services/web/owner.js): the
//                                body is the record's exact bytes (Content-Type
//                                application/octet-stream, at most the ledger's
//                                max_record_bytes); answers {"index": N} (200), or
//                                {"error": message, "code": "FAILED_PRECONDITION", ...}
//                                with 400/403/404/409/412/429/503 as the ledger refused it
//   POST /v1/openings            reads the opening of a sealed record, signed by the
//                                reader (ledger/provenance/opening_access.h): the body
//                                is JSON {"index": N, "reader": P, "key_id": K,
//                                "micros": T, "signature": base64}; answers the
//                                GetOpeningResponse of proto/openings_service.proto as
//                                JSON (200), or {"error", "code"} with 403 for every
//                                refusal (one message), 400 for a malformed body
//   GET /v1/log, /v1/checkpoint, /v1/entries/N, /v1/proofs/..., /v1/participants/ID,
//       /v1/lots/ID, /v1/certificates/ID, /v1/pieces/ID, /v1/search, /v1/impact
//                                the read-only JSON API (services/http_json_api.h,
//                                docs/openapi.yaml), with ETags and cache headers
//   GET /favicon.ico             204, no content
//   GET /metrics                 Prometheus metrics: the ledger's (ledger/metrics.h)
//                                and the bundle cache's; on their own port instead
//                                if metrics_listen is set
//
// The server computes no verdict: the page verifies the bundle's exact bytes in
// the browser (services/web/verify.js) and trusts only the verifier key.
//
// Bundles are built once per piece and checkpoint and kept in a cache bounded
// by bytes (services/bundle_cache.h); one bigger than max_bundle_bytes is not
// built past that size and is answered 429 (gRPC's RESOURCE_EXHAUSTED). Both
// ports have the limits of services/http_listener.h: small request bodies (a
// record's for a POST), a fixed thread pool, a bound on connections, keep-alive
// limits. The POST route is thin: the ledger checks the record (the owner
// rules, ledger/provenance/rules_owners.cc) as it checks any Submit.
#ifndef TOUCHSTONE_SERVICES_HTTP_SERVER_H_
#define TOUCHSTONE_SERVICES_HTTP_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/ledger.h"
#include "services/bundle_cache.h"
#include "services/http_listener.h"

namespace touchstone {

struct HttpOptions {
  // host:port to serve the pages on; port 0 picks a free port. Default: "" (no pages)
  std::string listen;
  // host:port to serve /metrics on instead of `listen` (which then has no
  // /metrics); port 0 picks a free port. Default: "" (/metrics on `listen`)
  std::string metrics_listen;
  // Threads, connections, keep-alive and request size, for each port.
  HttpLimits limits;
  // Bytes of bundles the cache keeps. Default: 64 MiB
  size_t bundle_cache_bytes = size_t{64} << 20;
  // Largest bundle served, serialized (its JSON form is about 4/3 of that).
  // Default: 8 MiB (the gRPC port's default --max_message_bytes)
  size_t max_bundle_bytes = size_t{8} << 20;
  // The URL the pages are reached at from outside (scheme://host[:port], no final
  // '/'), used in QR codes. Default: "" (http://<listen host>:<bound port>)
  std::string public_url;
  // Cosignature verifier keys of the witnesses the server asks (c2sp.org/
  // tlog-cosignature), pinned in the page beside the log's key so that it checks
  // their cosignatures. Default: none
  std::vector<std::string> witness_keys;
  // How many of them must have cosigned a checkpoint for the page to say
  // "Verified" (touchstoned's --witness_quorum, as in force). Default: 0
  size_t witness_quorum = 0;
  // Cosignature verifier keys of the auditors whose cosignatures the server
  // keeps (touchstoned --auditor), pinned in the page as
  // <meta name="touchstone-auditor-key"> so that it checks the bundle's
  // audited checkpoint (ledger/log/audit_note.h). Default: none
  std::vector<std::string> auditor_keys;
  // How many of them must have cosigned the audited checkpoint for the page to
  // name them (touchstoned's --auditor_quorum, as in force). Default: 0
  size_t auditor_quorum = 0;
};

// Thread-safe. The ledger must outlive the server.
class HttpServer {
 public:
  // Binds options.listen and options.metrics_listen (those set; at least one
  // must be) and serves each on threads of its own. INVALID_ARGUMENT if an
  // address is not host:port, a limit is out of range (HttpListener::Bind) or
  // public_url is malformed; UNAVAILABLE if it cannot bind.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      Ledger& ledger, const HttpOptions& options);
  ~HttpServer();

  // The pages' port actually bound, or 0 if none.
  int port() const { return pages_ ? pages_->port() : 0; }
  // The metrics port actually bound, or 0 if /metrics is on port().
  int metrics_port() const { return metrics_ ? metrics_->port() : 0; }
  // The base URL used in QR codes.
  const std::string& public_url() const { return public_url_; }
  // Stops serving and waits for the serving threads. Idempotent.
  void Stop();

 private:
  HttpServer(Ledger& ledger, const HttpOptions& options)
      : ledger_(ledger),
        max_bundle_bytes_(options.max_bundle_bytes),
        cache_(options.bundle_cache_bytes) {}
  void AddPageRoutes(httplib::Server& server, const std::string& witness_meta);
  void AddMetricsRoute(httplib::Server& server);
  // POST /v1/owner-records (file comment).
  void AddOwnerRecordRoute(httplib::Server& server);
  // POST /v1/openings (file comment).
  void AddOpeningRoute(httplib::Server& server);
  // The serialized bundle of `piece_id`, from the cache or built (and cached).
  // Errors as BuildPieceBundle.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const std::string>> Bundle(
      const std::string& piece_id);
  // The cache's counters in the Prometheus text format.
  std::string CacheMetrics() const;

  Ledger& ledger_;
  const size_t max_bundle_bytes_;
  BundleCache cache_;
  std::atomic<uint64_t> bundles_too_big_{0};
  std::unique_ptr<HttpListener> pages_;
  std::unique_ptr<HttpListener> metrics_;
  std::string public_url_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_HTTP_SERVER_H_
