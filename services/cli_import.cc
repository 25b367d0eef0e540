// touchstone import FILE.csv --type lots|shipments|receipts|pieces --as P:
// a spreadsheet or ERP export becomes signed records, one per row
// (docs/import.md). Rows are read and checked here first (layout and values:
// import_layout.h), then sent in SubmitBatch calls of at most the server's
// max_batch, in file order, each receipt checked against the log's key. With
// --dry-run the rows go through Ledger.CheckStream instead: the server's own
// rules, against the log plus the file's earlier rows, and nothing appended.
//
// Resumption: a row's record id derives from the lot, shipment or piece it is
// about (ImportRecordId) and its event time from its event-time cell or the
// time pinned in FILE.import the first time the file was imported, so a rerun
// after a crash, a kill or Ctrl-C sends the same signed bytes: rows already
// appended come back as duplicates (their receipts) and the rest are appended.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/merkle.h"
#include "ledger/log/note.h"
#include "ledger/provenance/record.h"
#include "nlohmann/json.hpp"
#include "services/cli.h"
#include "services/cli_progress.h"
#include "services/cli_sign.h"
#include "services/cli_trade_state.h"
#include "services/csv_file.h"
#include "services/import_layout.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

struct ImportFlags {
  Signer signer;
  std::string file;
  std::string type;
  std::string delimiter = ",";
  bool dry_run = false;
  bool history_import = false;
  uint32_t batch = 500;
};

// A row ready to send: where it came from and what is signed.
struct SignedRow {
  uint64_t line = 0;
  std::string key;
  v1::SubmitRequest request;
};

// What happened to the rows, for the summary.
struct Tally {
  uint64_t appended = 0;
  uint64_t duplicates = 0;
  uint64_t refused = 0;
};

// FILE.import: what an import of FILE pinned, so that every run signs the
// same bytes. JSON {"type", "as", "event_time_micros", "history_import"}.
std::string JournalPath(const std::string& file) { return file + ".import"; }

// The event time rows without one get: the journal's, if FILE was imported
// before as this type by this participant; else now (pinned in the journal
// unless `dry_run`). FAILED_PRECONDITION if the journal records another type
// or participant; DATA_LOSS if it does not parse; file errors.
[[nodiscard]] absl::StatusOr<int64_t> PinnedEventTime(const ImportFlags& f, bool* resumed) {
  const std::string path = JournalPath(f.file);
  *resumed = false;
  if (std::filesystem::exists(path)) {
    ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("event_time_micros") ||
        !j["event_time_micros"].is_number_integer() || !j.value("type", "").size()) {
      return absl::DataLossError(absl::StrCat(path, " is not an import journal"));
    }
    if (j.value("history_import", false) != f.history_import) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " pins an import ", j.value("history_import", false) ? "with" : "without",
          " --history-import, which is signed into every row: run it ",
          j.value("history_import", false) ? "with" : "without", " the flag"));
    }
    if (j.value("type", "") != f.type || j.value("as", "") != f.signer.as) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " pins an import of ", j.value("type", ""), " as '", j.value("as", ""),
                       "'; this is ", f.type, " as '", f.signer.as,
                       "': import the rows from a file of their own (or remove it to start over)"));
    }
    *resumed = true;
    return j["event_time_micros"].get<int64_t>();
  }
  const int64_t now = absl::ToUnixMicros(absl::Now());
  if (!f.dry_run) {
    const nlohmann::json j = {{"type", f.type},
                              {"as", f.signer.as},
                              {"event_time_micros", now},
                              {"history_import", f.history_import}};
    RETURN_IF_ERROR(CreateFileDurably(path, j.dump() + "\n", 0644));
  }
  return now;
}

// The file read and its header checked against the layout of --type: all of
// it before anything is pinned or sent. INVALID_ARGUMENT "FILE:LINE: ...".
struct ImportFile {
  CsvTable table;
  ImportHeader header;
};
// Without --type, the one layout the header fits (each has a column or a
// required column the others lack); INVALID_ARGUMENT if none or several do.
[[nodiscard]] absl::StatusOr<ImportFile> ReadImportFile(const ImportFlags& f) {
  if (f.delimiter.size() != 1) {
    return absl::InvalidArgumentError("--delimiter is one character: , or ;");
  }
  ASSIGN_OR_RETURN(CsvTable table, ReadCsv(f.file, f.delimiter[0]));
  ImportType type = ImportType::kLots;
  if (!f.type.empty()) {
    ASSIGN_OR_RETURN(type, ParseImportType(f.type));
  } else {
    std::vector<ImportType> fits;
    for (ImportType t :
         {ImportType::kLots, ImportType::kShipments, ImportType::kReceipts, ImportType::kPieces}) {
      if (ImportHeader::Check(t, table.header).ok()) fits.push_back(t);
    }
    if (fits.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          f.file, ":1: the header fits ", fits.empty() ? "no" : "more than one",
          " layout (lots, shipments, receipts, pieces: docs/import.md); say which with --type"));
    }
    type = fits.front();
  }
  absl::StatusOr<ImportHeader> header = ImportHeader::Check(type, table.header);
  if (!header.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(f.file, ":1: ", header.status().message()));
  }
  return ImportFile{std::move(table), *std::move(header)};
}

// Every row of the file as a signed request, in file order; the rows that
// cannot be built are reported (FILE:LINE: ...) and counted as refused.
// Errors of loading the key.
[[nodiscard]] absl::StatusOr<std::vector<SignedRow>> SignRows(const Context& ctx,
                                                              const ImportFlags& f,
                                                              const ImportFile& file,
                                                              const std::string& origin,
                                                              int64_t event_time, Tally& tally) {
  const ImportType type = file.header.type();
  const ImportHeader* header = &file.header;
  ASSIGN_OR_RETURN(PrivateKey key, LoadSignerKey(f.signer));
  const std::string key_id = key.public_key().Fingerprint();

  // The server's lots, each read once (a shipment's warranty statement follows from its lot).
  std::map<std::string, absl::StatusOr<v1::LotState>> server_lots;
  const LotLookup lots = [&](const std::string& id) -> absl::StatusOr<v1::LotState> {
    auto it = server_lots.find(id);
    if (it == server_lots.end()) it = server_lots.emplace(id, FetchLot(ctx, id)).first;
    return it->second;
  };
  absl::flat_hash_map<std::string, uint64_t> keys;  // key -> line first seen
  std::vector<SignedRow> out;
  out.reserve(file.table.rows.size());
  for (const CsvRow& row : file.table.rows) {
    absl::StatusOr<ImportRecord> built = RowRecord(*header, row.fields, lots);
    if (built.ok()) {
      if (auto [it, fresh] = keys.emplace(built->key, row.line); !fresh) {
        built = absl::InvalidArgumentError(absl::StrCat(
            "'", built->key, "' is the subject of line ", it->second, " already: one row each"));
      }
    }
    if (!built.ok()) {
      // The builders name their command's flags; here each is the column of that name.
      std::string why(built.status().message());
      for (const ImportColumn& c : ImportColumns(type)) {
        why = absl::StrReplaceAll(why, {{absl::StrCat("--", c.name), "column " + c.name}});
      }
      std::cerr << f.file << ":" << row.line << ": "
                << absl::StatusCodeToString(built.status().code()) << ": " << why << "\n";
      ++tally.refused;
      continue;
    }
    v1::Record& r = built->record;
    r.set_signer(f.signer.as);
    r.set_key_id(key_id);
    r.set_record_id(ImportRecordId(type, built->key));
    if (r.event_time_micros() == 0) r.set_event_time_micros(event_time);
    r.set_history_import(f.history_import);
    SignedRow s;
    s.line = row.line;
    s.key = std::move(built->key);
    s.request.set_record(SerializeRecord(r));
    s.request.set_signature(SignRecord(key, origin, s.request.record()));
    out.push_back(std::move(s));
  }
  return out;
}

void ReportRefused(const ImportFlags& f, const SignedRow& row, int code, const std::string& why) {
  std::cerr << f.file << ":" << row.line << ": "
            << absl::StatusCodeToString(static_cast<absl::StatusCode>(code)) << ": " << why << "\n";
}

// --dry-run: every row through one CheckStream, results read on this thread
// while another writes the requests (neither side waits on the other's window).
[[nodiscard]] absl::Status DryRun(const Context& ctx, const ImportFlags& f,
                                  const std::vector<SignedRow>& rows, Tally& tally) {
  auto stub = ctx.Stub();
  grpc::ClientContext call;
  // The stream checks every row: allow the per-call timeout plus a second per 1,000 rows.
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(ctx.timeout_seconds) +
                                       absl::Seconds(rows.size() / 1000)));
  std::unique_ptr<grpc::ClientReaderWriter<v1::SubmitRequest, v1::SubmitResult>> stream =
      stub->CheckStream(&call);
  std::thread writer([&] {
    for (const SignedRow& row : rows) {
      if (!stream->Write(row.request)) break;
    }
    stream->WritesDone();
  });
  Progress progress("checked", "rows", 1000);
  size_t i = 0;
  v1::SubmitResult result;
  while (i < rows.size() && stream->Read(&result)) {
    if (result.code() != 0) {
      progress.Clear();
      ReportRefused(f, rows[i], result.code(), result.message());
      ++tally.refused;
    } else if (result.receipt().duplicate()) {
      ++tally.duplicates;
    } else {
      ++tally.appended;
    }
    progress.Update(++i, rows.size());
  }
  writer.join();
  RETURN_IF_ERROR(FromGrpc(stream->Finish()));
  if (i != rows.size()) {
    return absl::UnavailableError(
        absl::StrCat("the server answered ", i, " of ", rows.size(), " rows"));
  }
  return absl::OkStatus();
}

// Checks the receipts of one batch: each entry the log holds at a receipt's
// index is the row's record and signature, and is included under a checkpoint
// signed by `verifier` (each distinct checkpoint verified once, in `verified`).
[[nodiscard]] absl::Status CheckReceipts(v1::Ledger::Stub& stub, const Context& ctx,
                                         const std::vector<const SignedRow*>& rows,
                                         const std::vector<v1::Receipt>& receipts,
                                         const NoteVerifier& verifier,
                                         std::map<std::string, Checkpoint>& verified) {
  if (rows.empty()) return absl::OkStatus();
  // The entries, fetched as runs of consecutive indices (a rerun's duplicates
  // sit where an earlier run appended them, its new rows at the log's end).
  std::vector<uint64_t> wanted;
  for (const v1::Receipt& r : receipts) wanted.push_back(r.index());
  std::sort(wanted.begin(), wanted.end());
  std::map<uint64_t, std::string> entries;
  for (size_t a = 0; a < wanted.size();) {
    size_t b = a + 1;
    while (b < wanted.size() && wanted[b] <= wanted[b - 1] + 1) ++b;
    v1::GetEntriesRequest req;
    req.set_start(wanted[a]);
    req.set_end(wanted[b - 1] + 1);
    auto call = ctx.Call();
    auto reader = stub.GetEntries(call.get(), req);
    v1::Entry e;
    while (reader->Read(&e)) entries[e.index()] = std::move(*e.mutable_data());
    RETURN_IF_ERROR(FromGrpc(reader->Finish()));
    a = b;
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const v1::Receipt& receipt = receipts[i];
    auto entry = entries.find(receipt.index());
    if (entry == entries.end()) {
      return absl::DataLossError(absl::StrCat("the log has no entry ", receipt.index(),
                                              ", which line ", rows[i]->line, "'s receipt names"));
    }
    ASSIGN_OR_RETURN(EntryView view, DecodeEntry(entry->second));
    if (view.index != receipt.index() || view.record != rows[i]->request.record() ||
        view.signature != rows[i]->request.signature()) {
      return absl::DataLossError(absl::StrCat("the log's entry ", receipt.index(),
                                              " is not the record of line ", rows[i]->line));
    }
    auto cp = verified.find(receipt.checkpoint());
    if (cp == verified.end()) {
      ASSIGN_OR_RETURN(Checkpoint checked, VerifyCheckpoint(receipt.checkpoint(), verifier));
      cp = verified.emplace(receipt.checkpoint(), std::move(checked)).first;
    }
    std::vector<Hash> proof;
    for (const std::string& h : receipt.inclusion_proof()) {
      ASSIGN_OR_RETURN(Hash hash, HashFromBytes(h));
      proof.push_back(hash);
    }
    RETURN_IF_ERROR(VerifyInclusion(receipt.index(), cp->second.size, LeafHash(entry->second),
                                    proof, cp->second.root));
  }
  return absl::OkStatus();
}

// The import proper: SubmitBatch calls in file order, every receipt checked.
[[nodiscard]] absl::Status Append(const Context& ctx, const ImportFlags& f,
                                  const std::vector<SignedRow>& rows, uint32_t batch,
                                  const NoteVerifier& verifier, Tally& tally) {
  auto stub = ctx.Stub();
  std::map<std::string, Checkpoint> verified;
  Progress progress("imported", "rows", 1);
  for (size_t start = 0; start < rows.size(); start += batch) {
    const size_t end = std::min(rows.size(), start + batch);
    v1::SubmitBatchRequest req;
    for (size_t i = start; i < end; ++i) *req.add_records() = rows[i].request;
    v1::SubmitBatchResponse resp;
    // A failure to reach the server leaves the rows from here on unknown, not lost.
    const auto resume = [&](absl::Status s) {
      progress.Clear();
      if (absl::IsDataLoss(s) || absl::IsPermissionDenied(s)) return s;  // a receipt that fails
      return absl::Status(s.code(), absl::StrCat(s.message(), " (rows from line ", rows[start].line,
                                                 " on are not known to be appended: run the same "
                                                 "import again to resume)"));
    };
    if (absl::Status sent = FromGrpc(stub->SubmitBatch(ctx.Call().get(), req, &resp)); !sent.ok()) {
      return resume(sent);
    }
    if (static_cast<size_t>(resp.results_size()) != end - start) {
      return absl::DataLossError(
          absl::StrCat("the server answered ", resp.results_size(), " of ", end - start, " rows"));
    }
    std::vector<const SignedRow*> acknowledged;
    std::vector<v1::Receipt> receipts;
    for (size_t i = start; i < end; ++i) {
      const v1::SubmitResult& r = resp.results(static_cast<int>(i - start));
      if (r.code() != 0) {
        progress.Clear();
        ReportRefused(f, rows[i], r.code(), r.message());
        ++tally.refused;
        continue;
      }
      ++(r.receipt().duplicate() ? tally.duplicates : tally.appended);
      acknowledged.push_back(&rows[i]);
      receipts.push_back(r.receipt());
    }
    if (absl::Status checked =
            CheckReceipts(*stub, ctx, acknowledged, receipts, verifier, verified);
        !checked.ok()) {
      return resume(checked);
    }
    progress.Update(end, rows.size());
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status RunImport(const Context& ctx, const ImportFlags& given) {
  auto stub = ctx.Stub();
  v1::LogInfo info;
  RETURN_IF_ERROR(FromGrpc(stub->GetLogInfo(ctx.Call().get(), {}, &info)));
  ASSIGN_OR_RETURN(const std::string vkey, ReceiptKey(ctx, given.signer));
  ASSIGN_OR_RETURN(NoteVerifier verifier, NoteVerifier::Parse(vkey));
  ASSIGN_OR_RETURN(const ImportFile file, ReadImportFile(given));
  // The type as the file's header showed it, when --type was not given.
  ImportFlags f = given;
  f.type = ImportTypeName(file.header.type());
  bool resumed = false;
  ASSIGN_OR_RETURN(const int64_t event_time, PinnedEventTime(f, &resumed));
  if (resumed) {
    std::cerr << "touchstone: " << JournalPath(f.file) << ": rows without an event-time keep "
              << absl::FormatTime(absl::RFC3339_sec, absl::FromUnixMicros(event_time),
                                  absl::UTCTimeZone())
              << ", so rows an earlier run appended are recognized\n";
  }
  Tally tally;
  ASSIGN_OR_RETURN(std::vector<SignedRow> rows,
                   SignRows(ctx, f, file, verifier.name, event_time, tally));
  const uint32_t batch = std::max<uint32_t>(1, std::min(f.batch, info.max_batch()));
  if (f.dry_run) {
    RETURN_IF_ERROR(DryRun(ctx, f, rows, tally));
    std::cout << "dry run: " << tally.appended << " rows would be appended, " << tally.duplicates
              << " are in the log already, " << tally.refused << " refused; nothing was appended\n";
  } else {
    RETURN_IF_ERROR(Append(ctx, f, rows, batch, verifier, tally));
    std::cout << "imported " << f.file << ": " << tally.appended << " rows appended, "
              << tally.duplicates << " in the log already, " << tally.refused << " refused\n"
              << "receipts verified: every row's entry is under a checkpoint signed by " << vkey
              << "\n";
  }
  if (tally.refused > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(tally.refused, " rows refused (each named above with its line)",
                     f.dry_run ? ""
                               : "; fix them and run the same import again: rows "
                                 "already appended are recognized, not appended twice"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddImportCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "import",
      "sign and append one record per row of a CSV file (lots, shipments, receipts, "
      "pieces: docs/import.md)");
  auto f = std::make_shared<ImportFlags>();
  cmd->add_option("file", f->file, "the CSV file; its first row names the columns")->required();
  cmd->add_option("--type", f->type,
                  "what each row is: lots, shipments, receipts, pieces (default: the one layout "
                  "the header fits)");
  cmd->add_option("--as", f->signer.as, "participant id that signs every row (env TOUCHSTONE_AS)")
      ->envname("TOUCHSTONE_AS")
      ->required();
  cmd->add_option("--key", f->signer.key_file, "the participant's PEM key (env TOUCHSTONE_KEY)")
      ->envname("TOUCHSTONE_KEY");
  cmd->add_option("--keys_dir", f->signer.keys_dir,
                  "without --key, use <keys_dir>/<participant>.pem (env TOUCHSTONE_KEYS_DIR)")
      ->envname("TOUCHSTONE_KEYS_DIR");
  cmd->add_option("--vkey", f->signer.vkey,
                  "the log's verifier key receipts are checked against (env TOUCHSTONE_VKEY); "
                  "default: the key pinned with this client's trusted head")
      ->envname("TOUCHSTONE_VKEY");
  cmd->add_option("--state_dir", f->signer.state_dir,
                  "where trusted heads and their pinned keys are kept (default "
                  "~/.touchstone/trusted)");
  cmd->add_flag("--dry-run", f->dry_run,
                "check every row against the log's rules (and the file's earlier rows) on the "
                "server, and append nothing");
  cmd->add_option("--delimiter", f->delimiter, "the field separator: , (default) or ;");
  cmd->add_option("--batch", f->batch, "rows per SubmitBatch call (at most the server's max_batch)")
      ->check(CLI::Range(1u, 100000u));
  cmd->add_flag("--history-import", f->history_import,
                "mark the records as an import of history, which may be dated further back "
                "than the log allows (only while the log's policy allows history imports)");
  cmd->callback([&ctx, exit_code, f] {
    if (absl::Status s = RunImport(ctx, *f); !s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
