// touchstoned's HTTP side (see http_server.h): routes over cpp-httplib.
#include "services/http_server.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "httplib.h"
#include "ledger/bundle_builder.h"
#include "ledger/state_view.h"
#include "ledger/strings.h"
#include "services/bundle_json.h"
#include "services/qr_code.h"
#include "services/web_assets.h"

namespace touchstone {
namespace {

// The page runs only its own scripts and talks only to this server.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";


int HttpStatusOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void SendError(httplib::Response& res, const absl::Status& s) {
  res.status = HttpStatusOf(s);
  res.set_content(absl::StrCat(Sv(s.ToString()), "\n"), "text/plain; charset=utf-8");
}

void SendAsset(httplib::Server& server, const char* path, std::string_view body, const char* type) {
  server.Get(path, [body, type](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::string(body), type);
  });
}

// The piece id of a /p/ID... route, or "" if it is not a valid one.
std::string PieceIdOf(const httplib::Request& req) {
  if (req.matches.size() < 2) return "";
  std::string id = req.matches[1];
  for (unsigned char c : id) {
    if (c < 0x20 || c == 0x7f) return "";
  }
  return id;
}

// One <meta> per pinned witness key, and the quorum, for the page's head.
std::string WitnessKeyMeta(const std::vector<std::string>& keys, size_t quorum) {
  std::string out = absl::StrCat("<meta name=\"touchstone-witness-quorum\" content=\"", quorum,
                                 "\">\n");
  for (const std::string& k : keys) {
    absl::StrAppend(&out, "<meta name=\"touchstone-witness-key\" content=\"", Sv(EscapeMarkup(k)),
                    "\">\n");
  }
  return out;
}

void AddRoutes(httplib::Server& server, const Ledger& ledger, const std::string& public_url,
               const std::string& witness_meta) {
  SendAsset(server, "/static/page.js", web::kPageJs, "text/javascript; charset=utf-8");
  SendAsset(server, "/static/verify.js", web::kVerifyJs, "text/javascript; charset=utf-8");
  SendAsset(server, "/static/verify_tables.js", web::kVerifyTablesJs,
            "text/javascript; charset=utf-8");
  SendAsset(server, "/static/style.css", web::kStyleCss, "text/css; charset=utf-8");

  // Prometheus metrics (ledger/metrics.h).
  server.Get("/metrics", [&ledger](const httplib::Request&, httplib::Response& res) {
    const auto cosigned = ledger.LatestCosigned();
    res.set_content(ledger.metrics().Prometheus(ledger.Size(), cosigned ? cosigned->first : 0,
                                                absl::Now()),
                    "text/plain; version=0.0.4; charset=utf-8");
  });

  // No icon: an empty answer rather than a 404 in every browser's console.
  server.Get("/favicon.ico",
             [](const httplib::Request&, httplib::Response& res) { res.status = 204; });

  server.Get(R"(/p/([^/]+))", [&ledger, witness_meta](const httplib::Request& req,
                                                      httplib::Response& res) {
    const std::string id = PieceIdOf(req);
    absl::StatusOr<std::optional<std::string>> piece = ledger.GetState(PieceKey(id));
    if (id.empty() || (piece.ok() && !piece->has_value())) {
      return SendError(res, absl::NotFoundError(absl::StrCat("no piece '", id, "'")));
    }
    if (!piece.ok()) return SendError(res, piece.status());
    const std::string vkey = ledger.Info().verifier_key;
    res.set_content(absl::StrReplaceAll(Sv(web::kPieceHtml),
                                        {{"{{PIECE_ID}}", Sv(EscapeMarkup(id))},
                                         {"{{VKEY}}", Sv(EscapeMarkup(vkey))},
                                         {"{{WITNESS_KEY_META}}", Sv(witness_meta)}}),
                    "text/html; charset=utf-8");
  });

  auto bundle_route = [&server, &ledger](const char* pattern, bool json) {
    server.Get(pattern, [&ledger, json](const httplib::Request& req, httplib::Response& res) {
      const std::string id = PieceIdOf(req);
      if (id.empty()) return SendError(res, absl::NotFoundError("no such piece"));
      absl::StatusOr<v1::PieceBundle> bundle = BuildPieceBundle(ledger, id);
      if (!bundle.ok()) return SendError(res, bundle.status());
      res.set_header("Cache-Control", "no-store");
      if (json) {
        res.set_content(BundleToJson(*bundle), "application/json");
        return;
      }
      std::string file_name;
      for (char c : id)
        file_name.push_back(absl::ascii_isalnum(c) || c == '-' || c == '.' ? c : '_');
      res.set_header("Content-Disposition",
                     absl::StrCat("attachment; filename=\"", file_name, ".tsbundle\""));
      res.set_content(bundle->SerializeAsString(), "application/octet-stream");
    });
  };
  bundle_route(R"(/p/([^/]+)/bundle)", false);
  bundle_route(R"(/p/([^/]+)/bundle\.json)", true);

  auto qr_route = [&server, &ledger, public_url](const char* pattern, bool png) {
    server.Get(pattern,
               [&ledger, public_url, png](const httplib::Request& req, httplib::Response& res) {
                 const std::string id = PieceIdOf(req);
                 absl::StatusOr<std::optional<std::string>> piece = ledger.GetState(PieceKey(id));
                 if (id.empty() || (piece.ok() && !piece->has_value())) {
                   return SendError(res, absl::NotFoundError(absl::StrCat("no piece '", id, "'")));
                 }
                 if (!piece.ok()) return SendError(res, piece.status());
                 const std::string url = PiecePageUrl(public_url, id);
                 absl::StatusOr<QrCode> qr = EncodeQr(url);
                 if (!qr.ok()) return SendError(res, qr.status());
                 if (png) {
                   res.set_content(QrToPng(*qr), "image/png");
                 } else {
                   res.set_content(QrToSvg(*qr, absl::StrCat("QR code: ", url)), "image/svg+xml");
                 }
               });
  };
  qr_route(R"(/p/([^/]+)/qr\.svg)", false);
  qr_route(R"(/p/([^/]+)/qr\.png)", true);

  server.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy", kContentSecurityPolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const Ledger& ledger,
                                                              const HttpOptions& options) {
  const size_t colon = options.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(Sv(options.listen.substr(colon + 1)), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("the HTTP listen address must be host:port, not '", options.listen, "'"));
  }
  const std::string host = options.listen.substr(0, colon);
  if (!options.public_url.empty() &&
      (!(options.public_url.starts_with("http://") || options.public_url.starts_with("https://")) ||
       options.public_url.ends_with("/"))) {
    return absl::InvalidArgumentError(
        absl::StrCat("the public URL must be http(s)://host[:port] with no final '/', not '",
                     options.public_url, "'"));
  }
  auto http = std::unique_ptr<HttpServer>(new HttpServer());
  http->server_ = std::make_unique<httplib::Server>();
  http->port_ = port == 0 ? http->server_->bind_to_any_port(host)
                          : (http->server_->bind_to_port(host, port) ? port : -1);
  if (http->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", options.listen));
  }
  http->public_url_ = options.public_url.empty() ? absl::StrCat("http://", host, ":", http->port_)
                                                 : options.public_url;
  AddRoutes(*http->server_, ledger, http->public_url_, WitnessKeyMeta(options.witness_keys, options.witness_quorum));
  http->thread_ = std::thread([s = http->server_.get()] { s->listen_after_bind(); });
  // Stop() before the thread is listening would not stop it: wait until it is.
  for (int i = 0; i < 2000 && !http->server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return http;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace touchstone
