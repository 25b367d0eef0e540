// touchstone opening get INDEX / opening reads: read the opening of a sealed
// record, or the log of reads of one's own records, with a request signed by
// the participant's key (ledger/provenance/opening_access.h; the server
// decides who may, proto/openings_service.proto).
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/base/status_macros.h"
#include "ledger/provenance/commitments.h"
#include "ledger/provenance/opening_access.h"
#include "ledger/provenance/record.h"
#include "proto/openings_service.grpc.pb.h"
#include "services/cli.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

// Who reads: the participant and its key.
struct ReaderFlags {
  std::string as;
  std::string key_file;
  std::string keys_dir;
};

void AddReaderOptions(CLI::App* cmd, ReaderFlags& f) {
  cmd->add_option("--as", f.as, "participant id that reads (env TOUCHSTONE_AS)")
      ->envname("TOUCHSTONE_AS")
      ->required();
  cmd->add_option("--key", f.key_file, "the participant's PEM key (env TOUCHSTONE_KEY)")
      ->envname("TOUCHSTONE_KEY");
  cmd->add_option("--keys_dir", f.keys_dir,
                  "without --key, use <keys_dir>/<participant>.pem (env TOUCHSTONE_KEYS_DIR)")
      ->envname("TOUCHSTONE_KEYS_DIR");
}

// The request `f`'s participant signs for `what` now, for the server's log
// (its origin, as GetLogInfo reports it: a request signed for another log is
// refused there). INVALID_ARGUMENT without a key; the server's errors.
[[nodiscard]] absl::StatusOr<v1::ReadAuth> SignedAuth(const Context& ctx, const ReaderFlags& f,
                                                      std::string_view what) {
  std::string key_file = f.key_file;
  if (key_file.empty() && !f.keys_dir.empty())
    key_file = absl::StrCat(f.keys_dir, "/", f.as, ".pem");
  if (key_file.empty()) {
    return absl::InvalidArgumentError(
        "say which key signs the request: --key FILE or --keys_dir DIR");
  }
  ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::LoadPemFile(key_file));
  v1::LogInfo info;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetLogInfo(ctx.Call().get(), {}, &info)));
  const ReadRequest r =
      SignReadRequest(key, info.origin(), f.as, what, absl::ToUnixMicros(absl::Now()));
  v1::ReadAuth auth;
  auth.set_reader(r.reader);
  auth.set_key_id(r.key_id);
  auth.set_micros(r.micros);
  auth.set_signature(r.signature);
  return auth;
}

// Reads the opening of entry `index` and prints the opened record as JSON.
// The opening is checked against the entry the server serves (its commitment:
// OpenRecord), and the record printed is the one opened here.
[[nodiscard]] absl::Status GetOpening(const Context& ctx, const ReaderFlags& f, uint64_t index) {
  v1::GetOpeningRequest req;
  req.set_index(index);
  ASSIGN_OR_RETURN(*req.mutable_auth(), SignedAuth(ctx, f, OpeningWhat(index)));
  auto stub = v1::Openings::NewStub(ctx.Channel());
  v1::GetOpeningResponse resp;
  RETURN_IF_ERROR(FromGrpc(stub->GetOpening(ctx.Call().get(), req, &resp)));
  v1::GetEntryRequest ereq;
  ereq.set_index(index);
  v1::Entry entry;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetEntry(ctx.Call().get(), ereq, &entry)));
  ASSIGN_OR_RETURN(v1::Record stored, RecordOfEntry(index, entry.data()));
  v1::Record record = stored;
  if (stored.has_sealed()) {
    if (!resp.sealed()) {
      return absl::DataLossError(
          absl::StrCat("entry ", index, " is sealed but the server sent no opening"));
    }
    absl::StatusOr<v1::Record> opened = OpenRecord(stored, resp.opening());
    if (!opened.ok()) {
      return absl::DataLossError(absl::StrCat("the server's opening of entry ", index,
                                              " does not open it: ", opened.status().message()));
    }
    record = *std::move(opened);
  } else if (resp.sealed()) {
    return absl::DataLossError(
        absl::StrCat("entry ", index, " is not sealed but the server sent an opening"));
  }
  ASSIGN_OR_RETURN(std::string json, MessageToJson(record));
  std::cout << json << "\n";
  if (!stored.has_sealed()) {
    std::cerr << "touchstone: entry " << index << " is not sealed: the record is public\n";
  }
  return absl::OkStatus();
}

// Prints the logged reads of the participant's own records as JSON.
[[nodiscard]] absl::Status ListReads(const Context& ctx, const ReaderFlags& f) {
  v1::ListOpeningReadsRequest req;
  ASSIGN_OR_RETURN(*req.mutable_auth(), SignedAuth(ctx, f, kOpeningReadsWhat));
  auto stub = v1::Openings::NewStub(ctx.Channel());
  v1::ListOpeningReadsResponse resp;
  RETURN_IF_ERROR(FromGrpc(stub->ListOpeningReads(ctx.Call().get(), req, &resp)));
  ASSIGN_OR_RETURN(std::string json, MessageToJson(resp));
  std::cout << json << "\n";
  return absl::OkStatus();
}

}  // namespace

void AddOpeningCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* opening = app.add_subcommand(
      "opening", "read the opening of a sealed record, or who read your records' openings");
  opening->require_subcommand(1);

  auto get_flags = std::make_shared<ReaderFlags>();
  auto index = std::make_shared<uint64_t>(0);
  auto* get = opening->add_subcommand(
      "get",
      "print the sealed record at INDEX opened, as JSON (its signer, the counterparties it names "
      "and auditors may; the read is logged for its signer)");
  get->add_option("index", *index, "the entry's index")->required();
  AddReaderOptions(get, *get_flags);
  get->callback([&ctx, exit_code, get_flags, index] {
    if (absl::Status s = GetOpening(ctx, *get_flags, *index); !s.ok()) *exit_code = Fail(s);
  });

  auto reads_flags = std::make_shared<ReaderFlags>();
  auto* reads = opening->add_subcommand(
      "reads", "print every attempt to read the openings of your records, as JSON");
  AddReaderOptions(reads, *reads_flags);
  reads->callback([&ctx, exit_code, reads_flags] {
    if (absl::Status s = ListReads(ctx, *reads_flags); !s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
