// touchstoned's HTTP side (see http_server.h): routes over cpp-httplib.
#include "services/http_server.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "httplib.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/bundle_builder.h"
#include "ledger/search.h"
#include "nlohmann/json.hpp"
#include "services/bundle_json.h"
#include "services/http_json.h"
#include "services/http_json_api.h"
#include "services/openings_service.h"
#include "services/page_language.h"
#include "services/qr_code.h"
#include "services/web_assets.h"

namespace touchstone {
namespace {

// Where owner-only records are posted (http_server.h).
constexpr char kOwnerRecordsPath[] = "/v1/owner-records";
// Where signed opening reads are posted (http_server.h).
constexpr char kOpeningsPath[] = "/v1/openings";

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
    case absl::StatusCode::kResourceExhausted:  // too big to serve (gRPC's own mapping)
      return 429;
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

// One <meta> per pinned witness key, and the quorum, for the page's head;
// then the same for the auditors (touchstone-auditor-key, -quorum), if any.
std::string WitnessKeyMeta(const HttpOptions& options) {
  std::string out = absl::StrCat("<meta name=\"touchstone-witness-quorum\" content=\"",
                                 options.witness_quorum, "\">\n");
  for (const std::string& k : options.witness_keys) {
    absl::StrAppend(&out, "<meta name=\"touchstone-witness-key\" content=\"", Sv(EscapeMarkup(k)),
                    "\">\n");
  }
  if (options.auditor_keys.empty()) return out;
  absl::StrAppend(&out, "<meta name=\"touchstone-auditor-quorum\" content=\"",
                  options.auditor_quorum, "\">\n");
  for (const std::string& k : options.auditor_keys) {
    absl::StrAppend(&out, "<meta name=\"touchstone-auditor-key\" content=\"", Sv(EscapeMarkup(k)),
                    "\">\n");
  }
  return out;
}

}  // namespace

void HttpServer::AddMetricsRoute(httplib::Server& server) {
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    const auto cosigned = ledger_.LatestCosigned();
    res.set_content(absl::StrCat(ledger_.metrics().Prometheus(
                                     ledger_.Size(), cosigned ? cosigned->first : 0, absl::Now()),
                                 CacheMetrics()),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
}

std::string HttpServer::CacheMetrics() const {
  const BundleCache::Stats s = cache_.stats();
  return absl::StrCat(
      "# HELP touchstone_http_bundle_cache_hits_total Bundle requests answered from the cache.\n"
      "# TYPE touchstone_http_bundle_cache_hits_total counter\n"
      "touchstone_http_bundle_cache_hits_total ",
      s.hits, "\n",
      "# HELP touchstone_http_bundle_cache_misses_total Bundle requests that built the bundle.\n"
      "# TYPE touchstone_http_bundle_cache_misses_total counter\n"
      "touchstone_http_bundle_cache_misses_total ",
      s.misses, "\n",
      "# HELP touchstone_http_bundle_cache_evictions_total Bundles dropped to stay within "
      "--http_bundle_cache_bytes.\n"
      "# TYPE touchstone_http_bundle_cache_evictions_total counter\n"
      "touchstone_http_bundle_cache_evictions_total ",
      s.evictions, "\n",
      "# HELP touchstone_http_bundle_cache_bytes Bytes of bundles the cache holds.\n"
      "# TYPE touchstone_http_bundle_cache_bytes gauge\n"
      "touchstone_http_bundle_cache_bytes ",
      s.bytes, "\n",
      "# HELP touchstone_http_bundles_too_big_total Bundle requests refused: the bundle is "
      "bigger than --http_max_bundle_bytes.\n"
      "# TYPE touchstone_http_bundles_too_big_total counter\n"
      "touchstone_http_bundles_too_big_total ",
      bundles_too_big_.load(), "\n");
}

absl::StatusOr<std::shared_ptr<const std::string>> HttpServer::Bundle(const std::string& piece_id) {
  const auto cosigned = ledger_.LatestCosigned();
  const auto audited = ledger_.LatestAudited();
  const BundleKey key{piece_id, ledger_.LatestCheckpoint().first, cosigned ? cosigned->first : 0,
                      audited ? audited->second : std::string()};
  if (std::shared_ptr<const std::string> cached = cache_.Get(key)) return cached;
  absl::StatusOr<v1::PieceBundle> bundle = BuildPieceBundle(ledger_, piece_id, max_bundle_bytes_);
  if (bundle.status().code() == absl::StatusCode::kResourceExhausted) {
    bundles_too_big_.fetch_add(1, std::memory_order_relaxed);
    return absl::ResourceExhaustedError(absl::StrCat(bundle.status().message(),
                                                     ", more than this server serves over HTTP "
                                                     "(--http_max_bundle_bytes)"));
  }
  if (!bundle.ok()) return bundle.status();
  auto bytes = std::make_shared<const std::string>(bundle->SerializeAsString());
  cache_.Put(key, bytes);
  return bytes;
}

void HttpServer::AddPageRoutes(httplib::Server& server, const std::string& witness_meta) {
  SendAsset(server, "/static/page.js", web::kPageJs, "text/javascript; charset=utf-8");
  SendAsset(server, "/static/verify.js", web::kVerifyJs, "text/javascript; charset=utf-8");
  SendAsset(server, "/static/trade.js", web::kTradeJs, "text/javascript; charset=utf-8");
  SendAsset(server, "/static/owner.js", web::kOwnerJs, "text/javascript; charset=utf-8");
  SendAsset(server, "/static/verify_trade.js", web::kVerifyTradeJs,
            "text/javascript; charset=utf-8");
  SendAsset(server, "/static/verify_tables.js", web::kVerifyTablesJs,
            "text/javascript; charset=utf-8");
  SendAsset(server, "/static/owner_sig.js", web::kOwnerSigJs, "text/javascript; charset=utf-8");
  SendAsset(server, "/static/heirloom.js", web::kHeirloomJs, "text/javascript; charset=utf-8");
  SendAsset(server, "/static/verify_owners.js", web::kVerifyOwnersJs,
            "text/javascript; charset=utf-8");
  SendAsset(server, "/static/verify_sealed.js", web::kVerifySealedJs,
            "text/javascript; charset=utf-8");
  SendAsset(server, "/static/style.css", web::kStyleCss, "text/css; charset=utf-8");
  SendAsset(server, "/static/i18n.js", web::kI18nJs, "text/javascript; charset=utf-8");
  // The page's translations, one per language of kPageLanguages (services/page_language.h).
  static_assert(kPageLanguages.size() == 7, "a language needs its file served here");
  for (const auto& [path, body] : {std::pair{"/static/i18n/en.json", web::kI18nEnJson},
                                   std::pair{"/static/i18n/fr.json", web::kI18nFrJson},
                                   std::pair{"/static/i18n/de.json", web::kI18nDeJson},
                                   std::pair{"/static/i18n/it.json", web::kI18nItJson},
                                   std::pair{"/static/i18n/es.json", web::kI18nEsJson},
                                   std::pair{"/static/i18n/ja.json", web::kI18nJaJson},
                                   std::pair{"/static/i18n/zh-Hans.json", web::kI18nZhHansJson}}) {
    SendAsset(server, path, body, "application/json; charset=utf-8");
  }

  // No icon: an empty answer rather than a 404 in every browser's console.
  server.Get("/favicon.ico",
             [](const httplib::Request&, httplib::Response& res) { res.status = 204; });

  const Ledger& ledger = ledger_;
  server.Get(R"(/p/([^/]+))", [&ledger, witness_meta](const httplib::Request& req,
                                                      httplib::Response& res) {
    const std::string id = PieceIdOf(req);
    absl::StatusOr<bool> piece = ledger.HasPiece(id);
    if (id.empty() || (piece.ok() && !*piece)) {
      return SendError(res, absl::NotFoundError(absl::StrCat("no piece '", id, "'")));
    }
    if (!piece.ok()) return SendError(res, piece.status());
    const std::string vkey = ledger.Info().verifier_key;
    // The page in the customer's language (the page's switcher sets ?lang=).
    const std::string_view lang =
        ChoosePageLanguage(req.get_param_value("lang"), req.get_header_value("Accept-Language"));
    res.set_header("Content-Language", std::string(lang));
    res.set_header("Vary", "Accept-Language");
    res.set_content(
        absl::StrReplaceAll(Sv(web::kPieceHtml), {{"{{PIECE_ID}}", Sv(EscapeMarkup(id))},
                                                  {"{{VKEY}}", Sv(EscapeMarkup(vkey))},
                                                  {"{{LANG}}", Sv(lang)},
                                                  {"{{WITNESS_KEY_META}}", Sv(witness_meta)}}),
        "text/html; charset=utf-8");
  });

  auto bundle_route = [this, &server](const char* pattern, bool json) {
    server.Get(pattern, [this, json](const httplib::Request& req, httplib::Response& res) {
      const std::string id = PieceIdOf(req);
      if (id.empty()) return SendError(res, absl::NotFoundError("no such piece"));
      absl::StatusOr<std::shared_ptr<const std::string>> bytes = Bundle(id);
      if (!bytes.ok()) return SendError(res, bytes.status());
      res.set_header("Cache-Control", "no-store");
      if (json) {
        v1::PieceBundle bundle;
        if (!bundle.ParseFromString(**bytes)) {
          return SendError(res, absl::InternalError("a cached bundle does not parse"));
        }
        res.set_content(BundleToJson(bundle), "application/json");
        return;
      }
      std::string file_name;
      for (char c : id)
        file_name.push_back(absl::ascii_isalnum(c) || c == '-' || c == '.' ? c : '_');
      res.set_header("Content-Disposition",
                     absl::StrCat("attachment; filename=\"", file_name, ".tsbundle\""));
      res.set_content(**bytes, "application/octet-stream");
    });
  };
  bundle_route(R"(/p/([^/]+)/bundle)", false);
  bundle_route(R"(/p/([^/]+)/bundle\.json)", true);

  const std::string public_url = public_url_;
  auto qr_route = [&server, &ledger, public_url](const char* pattern, bool png) {
    server.Get(pattern,
               [&ledger, public_url, png](const httplib::Request& req, httplib::Response& res) {
                 const std::string id = PieceIdOf(req);
                 if (id.empty()) return SendError(res, absl::NotFoundError("no such piece"));
                 absl::StatusOr<v1::PieceState> piece = ledger.GetPiece(id);
                 if (!piece.ok()) return SendError(res, piece.status());
                 const std::string url = PieceQrUrl(public_url, id, piece->gtin(), piece->serial());
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

  // GS1 Digital Link: the URI a piece's QR code carries when it has a GTIN and
  // serial resolves to its page (303 See Other), through the search index. The
  // path arrives percent-decoded, so the serial is all of it after "/21/" (a
  // serial may hold '/'; no further qualifier follows a piece's serial).
  server.Get(R"(/01/([0-9]+)/21/(.+))",
             [&ledger](const httplib::Request& req, httplib::Response& res) {
               v1::SearchQuery query;
               query.mutable_gtin()->set_gtin(req.matches[1].str());
               query.mutable_gtin()->set_serial(req.matches[2].str());
               absl::StatusOr<v1::SearchAnswer> found = Search(ledger, query);
               if (!found.ok()) return SendError(res, found.status());
               res.status = 303;
               res.set_header("Location", PiecePageUrl("", found->matches(0).id()));
               res.set_header("Cache-Control", "no-store");
             });

  server.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy", kContentSecurityPolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
  });
}

void HttpServer::AddOwnerRecordRoute(httplib::Server& server) {
  server.Post(kOwnerRecordsPath, [this](const httplib::Request& req, httplib::Response& res) {
    const std::string type = req.get_header_value("Content-Type");
    if (type != "application/octet-stream") {
      return SendJsonError(
          res,
          absl::InvalidArgumentError(absl::StrCat("the body must be a record's bytes, Content-Type "
                                                  "application/octet-stream, not '",
                                                  type, "'")),
          415);
    }
    const size_t max = ledger_.options().max_record_bytes;
    if (req.body.empty() || req.body.size() > max) {
      return SendJsonError(
          res,
          absl::InvalidArgumentError(absl::StrCat("the body must be a record's bytes: 1 to ", max,
                                                  " bytes, not ", req.body.size())),
          req.body.empty() ? 400 : 413);
    }
    // An owner-only record: its entry signature is empty; the owner signature
    // is inside the record, and the ledger checks it (owner_signature.h).
    absl::StatusOr<Receipt> receipt =
        ledger_.Submit(req.body, std::string(), absl::Now() + absl::Seconds(30));
    if (!receipt.ok()) {
      return SendJsonError(res, receipt.status(), HttpStatusOfCode(receipt.status()));
    }
    res.set_header("Cache-Control", "no-store");
    res.set_content(
        nlohmann::json{{"index", receipt->index}, {"duplicate", receipt->duplicate}}.dump(),
        "application/json");
  });
}

void HttpServer::AddOpeningRoute(httplib::Server& server) {
  server.Post(kOpeningsPath, [this](const httplib::Request& req, httplib::Response& res) {
    const auto bad = [&res](std::string why) {
      SendJsonError(res, absl::InvalidArgumentError(std::move(why)), 400);
    };
    const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object()) return bad("the body must be a JSON object");
    for (const char* f : {"index", "micros"}) {
      if (!body.contains(f) || !body[f].is_number_integer()) {
        return bad(absl::StrCat("\"", f, "\" must be an integer"));
      }
    }
    for (const char* f : {"reader", "key_id", "signature"}) {
      if (!body.contains(f) || !body[f].is_string()) {
        return bad(absl::StrCat("\"", f, "\" must be a string"));
      }
    }
    if (!body["index"].is_number_unsigned()) {
      return bad("\"index\" must not be negative");
    }
    ReadRequest request;
    request.reader = body["reader"].get<std::string>();
    request.key_id = body["key_id"].get<std::string>();
    request.micros = body["micros"].get<int64_t>();
    std::string signature;
    if (!absl::Base64Unescape(body["signature"].get<std::string>(), &signature)) {
      return bad("\"signature\" must be base64");
    }
    request.signature = std::move(signature);
    const uint64_t index = body["index"].get<uint64_t>();
    absl::StatusOr<Ledger::OpenedEntry> opened = ledger_.ReadOpening(index, request);
    if (!opened.ok()) {
      return SendJsonError(res, opened.status(), HttpStatusOfCode(opened.status()));
    }
    absl::StatusOr<std::string> json = ProtoJson(OpeningResponseOf(index, *std::move(opened)));
    if (!json.ok()) return SendJsonError(res, json.status(), 500);
    res.set_header("Cache-Control", "no-store");
    res.set_content(*json, "application/json");
  });
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(Ledger& ledger,
                                                              const HttpOptions& options) {
  if (options.listen.empty() && options.metrics_listen.empty()) {
    return absl::InvalidArgumentError("no HTTP address to listen on");
  }
  if (!options.public_url.empty() &&
      (!(options.public_url.starts_with("http://") || options.public_url.starts_with("https://")) ||
       options.public_url.ends_with("/"))) {
    return absl::InvalidArgumentError(
        absl::StrCat("the public URL must be http(s)://host[:port] with no final '/', not '",
                     options.public_url, "'"));
  }
  auto http = std::unique_ptr<HttpServer>(new HttpServer(ledger, options));
  if (!options.listen.empty()) {
    HttpLimits limits = options.limits;  // the POST route takes a record
    limits.upload_path = kOwnerRecordsPath;
    limits.max_upload_bytes = ledger.options().max_record_bytes;
    ASSIGN_OR_RETURN(http->pages_, HttpListener::Bind(options.listen, limits));
    http->public_url_ = options.public_url.empty() ? absl::StrCat("http://", http->pages_->host(),
                                                                  ":", http->pages_->port())
                                                   : options.public_url;
    http->AddPageRoutes(http->pages_->server(), WitnessKeyMeta(options));
    http->AddOwnerRecordRoute(http->pages_->server());
    http->AddOpeningRoute(http->pages_->server());
    AddJsonApiRoutes(http->pages_->server(), ledger);
  }
  if (!options.metrics_listen.empty()) {
    ASSIGN_OR_RETURN(http->metrics_, HttpListener::Bind(options.metrics_listen, options.limits));
    http->AddMetricsRoute(http->metrics_->server());
  } else {
    http->AddMetricsRoute(http->pages_->server());
  }
  if (http->pages_) http->pages_->Start();
  if (http->metrics_) http->metrics_->Start();
  return http;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (pages_) pages_->Stop();
  if (metrics_) metrics_->Stop();
}

}  // namespace touchstone
