// touchstoned's HTTP side: a piece's customer page, its bundle (the binary
// .tsbundle and a JSON form for the page) and its QR codes.
//
//   GET /p/PIECE_ID              the page (HTML; the log's and witnesses' keys pinned in it)
//   GET /p/PIECE_ID/bundle       the PieceBundle, binary, as a download (PIECE_ID.tsbundle)
//   GET /p/PIECE_ID/bundle.json  the same bundle as JSON (services/bundle_json.h)
//   GET /p/PIECE_ID/qr.svg       a QR code of the page's URL (services/qr_code.h)
//   GET /p/PIECE_ID/qr.png       the same QR code as PNG
//   GET /static/{page.js,verify.js,style.css}   the page's assets (embedded in the binary)
//   GET /favicon.ico             204, no content
//
// The server computes no verdict: the page verifies the bundle's exact bytes in
// the browser (services/web/verify.js) and trusts only the verifier key.
#ifndef TOUCHSTONE_SERVICES_HTTP_SERVER_H_
#define TOUCHSTONE_SERVICES_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/ledger.h"

namespace httplib {
class Server;
}

namespace touchstone {

struct HttpOptions {
  // host:port to serve HTTP on; port 0 picks a free port. Default: "" (no HTTP)
  std::string listen;
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
};

// Thread-safe. The ledger must outlive the server.
class HttpServer {
 public:
  // Binds options.listen and serves on a thread of its own. INVALID_ARGUMENT if
  // listen is not host:port or public_url is malformed; UNAVAILABLE if it cannot bind.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const Ledger& ledger,
                                                           const HttpOptions& options);
  ~HttpServer();

  // The port actually bound.
  int port() const { return port_; }
  // The base URL used in QR codes.
  const std::string& public_url() const { return public_url_; }
  // Stops serving and waits for the serving thread. Idempotent.
  void Stop();

 private:
  HttpServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string public_url_;
  int port_ = 0;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_HTTP_SERVER_H_
