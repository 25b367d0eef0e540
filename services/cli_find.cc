// touchstone find report|inscription|gtin|link|identifier: finds a piece, a
// stone or a participant by what a person holds (Provenance.Search), and
// checks the answer is in the log: the checkpoint's signature by the log's key
// and each evidence entry's inclusion proof and content
// (ledger/bundle/search_check.h). Exit 0 when found and checked, 1 for an
// error or nothing found, 2 when the answer does not check out.
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/base/status_macros.h"
#include "ledger/bundle/search_check.h"
#include "ledger/log/checkpoint.h"
#include "nlohmann/json.hpp"
#include "proto/provenance_service.grpc.pb.h"
#include "services/cli.h"
#include "services/cli_log_reader.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

struct FindFlags {
  std::string a, b;  // the query's two parts (lab and value, GTIN and serial, ...)
  std::string vkey;
  std::string state_dir;
  bool json = false;
};

std::string Describe(const v1::SearchQuery& q) {
  switch (q.query_case()) {
    case v1::SearchQuery::kGradingReport:
      return absl::StrCat(q.grading_report().lab(), " report ", q.grading_report().value());
    case v1::SearchQuery::kInscription:
      return absl::StrCat(q.inscription().lab(), " inscription \"", q.inscription().value(), "\"");
    case v1::SearchQuery::kGtin:
      return absl::StrCat("GTIN ", q.gtin().gtin(), " serial ", q.gtin().serial());
    case v1::SearchQuery::kDigitalLink:
      return q.digital_link();
    case v1::SearchQuery::kIdentifier:
      return absl::StrCat(q.identifier().scheme(), " ", q.identifier().value());
    case v1::SearchQuery::QUERY_NOT_SET:
      break;
  }
  return "nothing";
}

int Find(const Context& ctx, const v1::SearchQuery& query, const FindFlags& f) {
  auto stub = v1::Provenance::NewStub(ctx.Channel());
  v1::SearchAnswer answer;
  if (absl::Status s = FromGrpc(stub->Search(ctx.Call().get(), query, &answer)); !s.ok()) {
    return Fail(s);
  }
  std::string source;
  absl::StatusOr<NoteVerifier> key =
      LogKeyFor(ctx, answer.checkpoint(), f.vkey, f.state_dir, &source);
  if (!key.ok()) return Fail(key.status());
  absl::StatusOr<SearchCheck> checked = CheckSearchAnswer(query, answer, *key);
  if (!checked.ok()) {
    std::cerr << "NOT VERIFIED: " << checked.status().message() << "\n";
    return 2;
  }
  if (f.json) {
    nlohmann::json out = {{"query", Describe(query)},
                          {"checkpoint_size", checked->size},
                          {"key", source},
                          {"matches", nlohmann::json::array()}};
    for (const CheckedMatch& m : checked->matches) {
      out["matches"].push_back(
          {{"kind", m.kind}, {"id", m.id}, {"lot", m.lot}, {"entries", m.indices}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << Describe(query) << ":\n";
  for (const CheckedMatch& m : checked->matches) {
    std::cout << "  " << m.kind << " " << m.id << "  (entries " << absl::StrJoin(m.indices, ", ")
              << ")\n";
  }
  std::cout << "checked: every entry above is in the log's tree at size " << checked->size
            << ", under a checkpoint signed by " << key->name << " (key " << source << ")\n";
  if (source == "server") {
    std::cout << "note: checked against the key the server itself reports; pass --vkey with a "
                 "key obtained independently, or pin one with `touchstone log update --vkey KEY`\n";
  }
  for (const CheckedMatch& m : checked->matches) {
    if (m.kind == "piece") {
      std::cout << "verify its whole history: touchstone piece show " << m.id << "\n";
    }
  }
  return 0;
}

}  // namespace

void AddFindCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* find = app.add_subcommand(
      "find", "find a piece, a stone or a participant by what you hold, and check the answer");
  find->require_subcommand(1);
  auto f = std::make_shared<FindFlags>();
  auto add = [&](const char* name, const char* help, const char* a_name, const char* a_help,
                 const char* b_name, const char* b_help,
                 v1::SearchQuery (*make)(const FindFlags&)) {
    auto* cmd = find->add_subcommand(name, help);
    cmd->add_option(a_name, f->a, a_help)->required();
    if (b_name != nullptr) cmd->add_option(b_name, f->b, b_help)->required();
    cmd->add_option("--vkey", f->vkey,
                    "the log's note verifier key (default: the key pinned with this client's "
                    "trusted head, else the server's, which proves nothing)");
    cmd->add_option("--state_dir", f->state_dir,
                    "where trusted heads are kept (default ~/.touchstone/trusted)");
    cmd->add_flag("--json", f->json, "print JSON");
    cmd->callback([&ctx, exit_code, f, make] { *exit_code = Find(ctx, make(*f), *f); });
  };
  add("report", "by grading report number", "number", "the report number", "--lab",
      "the laboratory's scheme name (igi, gia, hrd)", [](const FindFlags& f) {
        v1::SearchQuery q;
        q.mutable_grading_report()->set_value(f.a);
        q.mutable_grading_report()->set_lab(f.b);
        return q;
      });
  add("inscription", "by girdle inscription", "text", "the inscription, as read", "--lab",
      "the laboratory's scheme name", [](const FindFlags& f) {
        v1::SearchQuery q;
        q.mutable_inscription()->set_value(f.a);
        q.mutable_inscription()->set_lab(f.b);
        return q;
      });
  add("gtin", "by GTIN and serial", "gtin", "8, 12, 13 or 14 digits", "serial", "the serial",
      [](const FindFlags& f) {
        v1::SearchQuery q;
        q.mutable_gtin()->set_gtin(f.a);
        q.mutable_gtin()->set_serial(f.b);
        return q;
      });
  add("link", "by the GS1 Digital Link URI in a piece's QR code", "uri",
      "https://.../01/<gtin>/21/<serial>", nullptr, nullptr, [](const FindFlags& f) {
        v1::SearchQuery q;
        q.set_digital_link(f.a);
        return q;
      });
  add("identifier", "a participant by external identifier", "scheme", "LEI, GLN, RJC, ...", "value",
      "the identifier", [](const FindFlags& f) {
        v1::SearchQuery q;
        q.mutable_identifier()->set_scheme(f.a);
        q.mutable_identifier()->set_value(f.b);
        return q;
      });
}

}  // namespace touchstone::cli
