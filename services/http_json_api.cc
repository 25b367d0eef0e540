#include "services/http_json_api.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/impact.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/certificate_status.h"
#include "ledger/provenance/redaction.h"
#include "ledger/search.h"
#include "nlohmann/json.hpp"
#include "proto/provenance_service.pb.h"
#include "services/http_json.h"

namespace touchstone {
namespace {

using Json = nlohmann::ordered_json;

// How long an answer may be cached (file comment).
enum class Caching {
  kLatest,     // about the latest state: ETag "<size>"
  kAtSize,     // fixed by a size it names, but its checkpoint may gain cosignature lines
  kImmutable,  // an entry's bytes: never change
};

// What a route answers: a body, and how it may be cached.
struct Answer {
  std::string body;
  Caching caching = Caching::kLatest;
};

using Route = std::function<absl::StatusOr<Answer>(const httplib::Request&)>;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::vector<std::string> Hex(const std::vector<Hash>& hashes) {
  std::vector<std::string> out;
  for (const Hash& h : hashes) out.push_back(HashToHex(h));
  return out;
}

// A query parameter as a uint64 of at least 1; `fallback` if absent.
// INVALID_ARGUMENT if malformed or 0.
[[nodiscard]] absl::StatusOr<uint64_t> Number(const httplib::Request& req, const char* name,
                                              uint64_t fallback) {
  if (!req.has_param(name)) return fallback;
  uint64_t n = 0;
  if (!absl::SimpleAtoi(req.get_param_value(name), &n) || n == 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", name, "' must be a number from 1"));
  }
  return n;
}

// An index: 0 allowed. INVALID_ARGUMENT if malformed.
[[nodiscard]] absl::StatusOr<uint64_t> Index(std::string_view text) {
  uint64_t n = 0;
  if (!absl::SimpleAtoi(Sv(text), &n))
    return absl::InvalidArgumentError("the index must be a number");
  return n;
}

// The checkpoint note issued at `size`, or the latest for 0. Errors as Ledger::GetCheckpoint.
[[nodiscard]] absl::StatusOr<std::string> NoteAt(const Ledger& ledger, uint64_t size) {
  if (size == 0) return ledger.LatestCheckpoint().second;
  return ledger.GetCheckpoint(size);
}

std::string Param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : "";
}

// True if the If-None-Match header lists `opaque` (an entity tag without its
// W/), compared weakly as RFC 9110 says for If-None-Match, or is "*".
bool Matches(const std::string& if_none_match, const std::string& opaque) {
  if (absl::StripAsciiWhitespace(if_none_match) == "*") return true;
  for (absl::string_view tag : absl::StrSplit(if_none_match, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    absl::ConsumePrefix(&tag, "W/");
    if (tag == opaque) return true;
  }
  return false;
}

// Serves `route` at `pattern` with the caching of the file comment.
void Serve(httplib::Server& server, const std::string& pattern, const Ledger& ledger, Route route) {
  server.Get(pattern, [&ledger, route](const httplib::Request& req, httplib::Response& res) {
    const uint64_t before = ledger.Size();
    absl::StatusOr<Answer> answer = route(req);
    if (!answer.ok()) return SendJsonError(res, answer.status(), HttpStatusOfCode(answer.status()));
    res.set_header("Vary", "Accept-Encoding");
    res.set_header("Access-Control-Allow-Origin", "*");
    if (answer->caching == Caching::kImmutable) {
      res.set_header("Cache-Control", "public, max-age=31536000, immutable");
    } else if (answer->caching == Caching::kAtSize) {
      res.set_header("Cache-Control", "public, max-age=60");
    } else if (ledger.Size() == before) {
      // The size it reflects, and its content: a certificate's status moves
      // with the clock, with no new entry.
      const std::string opaque =
          absl::StrCat("\"", before, "-", HashToHex(Sha256(answer->body)).substr(0, 16), "\"");
      res.set_header("ETag", "W/" + opaque);
      res.set_header("Cache-Control", "public, max-age=5");
      if (Matches(req.get_header_value("If-None-Match"), opaque)) {
        res.status = 304;
        return;
      }
    } else {
      res.set_header("Cache-Control", "no-cache");
    }
    res.set_content(answer->body, "application/json");
  });
}

template <typename T>
[[nodiscard]] absl::StatusOr<Answer> ProtoAnswer(const T& message) {
  ASSIGN_OR_RETURN(std::string body, ProtoJson(message));
  return Answer{std::move(body)};
}

[[nodiscard]] absl::StatusOr<v1::SearchQuery> SearchQueryOf(const httplib::Request& req) {
  int keys = 0;
  for (const char* key : {"report", "inscription", "gtin", "link", "scheme"}) {
    keys += req.has_param(key) ? 1 : 0;
  }
  if (keys > 1) {
    return absl::InvalidArgumentError(
        "search by one of report, inscription, gtin, link or scheme at a time");
  }
  v1::SearchQuery q;
  if (req.has_param("report")) {
    q.mutable_grading_report()->set_lab(Param(req, "lab"));
    q.mutable_grading_report()->set_value(Param(req, "report"));
  } else if (req.has_param("inscription")) {
    q.mutable_inscription()->set_lab(Param(req, "lab"));
    q.mutable_inscription()->set_value(Param(req, "inscription"));
  } else if (req.has_param("gtin")) {
    q.mutable_gtin()->set_gtin(Param(req, "gtin"));
    q.mutable_gtin()->set_serial(Param(req, "serial"));
  } else if (req.has_param("link")) {
    q.set_digital_link(Param(req, "link"));
  } else if (req.has_param("scheme")) {
    q.mutable_identifier()->set_scheme(Param(req, "scheme"));
    q.mutable_identifier()->set_value(Param(req, "value"));
  } else {
    return absl::InvalidArgumentError(
        "search by report (with lab), inscription (with lab), gtin (with serial), link, or "
        "scheme (with value)");
  }
  return q;
}

}  // namespace

void AddJsonApiRoutes(httplib::Server& server, const Ledger& ledger) {
  Serve(server, "/v1/log", ledger, [&ledger](const httplib::Request&) -> absl::StatusOr<Answer> {
    const LogInfo info = ledger.Info();
    auto [size, note] = ledger.LatestCheckpoint();
    return Answer{Dump({{"origin", info.origin},
                        {"verifier_key", info.verifier_key},
                        {"size", absl::StrCat(size)},
                        {"checkpoint", note},
                        {"key_handovers", [&] {
                           std::vector<std::string> out;
                           for (uint64_t i : info.key_handovers) out.push_back(absl::StrCat(i));
                           return out;
                         }()}})};
  });
  Serve(
      server, "/v1/checkpoint", ledger,
      [&ledger](const httplib::Request& req) -> absl::StatusOr<Answer> {
        ASSIGN_OR_RETURN(const uint64_t size, Number(req, "size", 0));
        if (size == 0) {
          auto [latest, note] = ledger.LatestCheckpoint();
          return Answer{Dump({{"size", absl::StrCat(latest)}, {"checkpoint", note}})};
        }
        ASSIGN_OR_RETURN(std::string note, ledger.GetCheckpoint(size));
        return Answer{Dump({{"size", absl::StrCat(size)}, {"checkpoint", note}}), Caching::kAtSize};
      });
  Serve(server, R"(/v1/entries/([^/]+))", ledger,
        [&ledger](const httplib::Request& req) -> absl::StatusOr<Answer> {
          ASSIGN_OR_RETURN(const uint64_t index, Index(req.matches[1].str()));
          ASSIGN_OR_RETURN(std::string data, ledger.GetEntry(index));
          return Answer{Dump({{"index", absl::StrCat(index)},
                              {"data", absl::Base64Escape(data)},
                              {"leaf_hash", HashToHex(LeafHash(data))}}),
                        Caching::kImmutable};
        });
  Serve(server, "/v1/proofs/inclusion", ledger,
        [&ledger](const httplib::Request& req) -> absl::StatusOr<Answer> {
          if (!req.has_param("index")) return absl::InvalidArgumentError("give an index");
          ASSIGN_OR_RETURN(const uint64_t index, Index(req.get_param_value("index")));
          ASSIGN_OR_RETURN(const uint64_t size, Number(req, "size", 0));
          ASSIGN_OR_RETURN(const std::string note, NoteAt(ledger, size));
          ASSIGN_OR_RETURN(std::vector<Hash> proof, ledger.InclusionProof(index, note));
          ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointNote(note));
          return Answer{Dump({{"index", absl::StrCat(index)},
                              {"tree_size", absl::StrCat(cp.size)},
                              {"hashes", Hex(proof)},
                              {"checkpoint", note}}),
                        size != 0 ? Caching::kAtSize : Caching::kLatest};
        });
  Serve(server, "/v1/proofs/consistency", ledger,
        [&ledger](const httplib::Request& req) -> absl::StatusOr<Answer> {
          if (!req.has_param("old")) return absl::InvalidArgumentError("give old (a size)");
          ASSIGN_OR_RETURN(const uint64_t old_size, Number(req, "old", 0));
          ASSIGN_OR_RETURN(const uint64_t new_size, Number(req, "new", 0));
          ASSIGN_OR_RETURN(const std::string note, NoteAt(ledger, new_size));
          ASSIGN_OR_RETURN(std::vector<Hash> proof, ledger.ConsistencyProof(old_size, note));
          ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointNote(note));
          return Answer{Dump({{"old_size", absl::StrCat(old_size)},
                              {"new_size", absl::StrCat(cp.size)},
                              {"hashes", Hex(proof)},
                              {"checkpoint", note}}),
                        new_size != 0 ? Caching::kAtSize : Caching::kLatest};
        });
  Serve(server, R"(/v1/participants/(.+))", ledger,
        [&ledger](const httplib::Request& req) -> absl::StatusOr<Answer> {
          ASSIGN_OR_RETURN(v1::ParticipantState p, ledger.GetParticipant(req.matches[1].str()));
          return ProtoAnswer(p);
        });
  Serve(server, R"(/v1/lots/(.+))", ledger,
        [&ledger](const httplib::Request& req) -> absl::StatusOr<Answer> {
          ASSIGN_OR_RETURN(v1::LotState lot, ledger.GetLot(req.matches[1].str()));
          RedactLot(lot);
          return ProtoAnswer(lot);
        });
  Serve(server, R"(/v1/certificates/(.+))", ledger,
        [&ledger](const httplib::Request& req) -> absl::StatusOr<Answer> {
          v1::CertificateLookup c;
          ASSIGN_OR_RETURN(*c.mutable_certificate(), ledger.GetCertificate(req.matches[1].str()));
          c.set_status_now(CertificateStatusAt(c.certificate(), absl::ToUnixMicros(absl::Now())));
          return ProtoAnswer(c);
        });
  Serve(server, R"(/v1/pieces/(.+))", ledger,
        [&ledger](const httplib::Request& req) -> absl::StatusOr<Answer> {
          ASSIGN_OR_RETURN(v1::PieceState piece, ledger.GetPiece(req.matches[1].str()));
          RedactPiece(piece);
          return ProtoAnswer(piece);
        });
  Serve(server, "/v1/search", ledger,
        [&ledger](const httplib::Request& req) -> absl::StatusOr<Answer> {
          ASSIGN_OR_RETURN(v1::SearchQuery q, SearchQueryOf(req));
          ASSIGN_OR_RETURN(v1::SearchAnswer a, Search(ledger, q));
          return ProtoAnswer(a);
        });
  Serve(server, "/v1/impact", ledger,
        [&ledger](const httplib::Request& req) -> absl::StatusOr<Answer> {
          v1::ImpactQuery q;
          const int roots =
              req.has_param("certificate") + req.has_param("lot") + req.has_param("participant");
          if (roots != 1) {
            return absl::InvalidArgumentError("give one of certificate, lot or participant");
          }
          if (req.has_param("certificate")) {
            q.set_certificate(Param(req, "certificate"));
          } else if (req.has_param("lot")) {
            q.set_lot(Param(req, "lot"));
          } else {
            q.set_participant(Param(req, "participant"));
          }
          if (q.certificate().empty() && q.lot().empty() && q.participant().empty()) {
            return absl::InvalidArgumentError("the id is empty");
          }
          ASSIGN_OR_RETURN(const uint64_t at, Number(req, "at", 0));
          q.set_at_size(at);
          ASSIGN_OR_RETURN(v1::ImpactAnswer a, Impact(ledger, q));
          ASSIGN_OR_RETURN(Answer answer, ProtoAnswer(a));
          if (at != 0) answer.caching = Caching::kAtSize;  // as of a fixed checkpoint
          return answer;
        });
  // Anything else under /v1/ is a JSON 404, never cached.
  server.Get(R"(/v1/.*)", [](const httplib::Request& req, httplib::Response& res) {
    SendJsonError(res, absl::NotFoundError(absl::StrCat("no route ", req.path)), 404);
  });
}

}  // namespace touchstone
