// Shared pieces of the touchstone command-line client.
#include "services/cli.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/entry_format.h"
#include "nlohmann/json.hpp"
#include "services/cli_hints.h"
#include "services/status_convert.h"

namespace touchstone::cli {

absl::Status Context::LoadTls() {
  ASSIGN_OR_RETURN(loaded_tls_, LoadClientTls(tls));
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> Context::Channel() const {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  loaded_tls_.SetChannelArgs(&args);
  return grpc::CreateCustomChannel(server, loaded_tls_.Credentials(), args);
}

std::unique_ptr<v1::Ledger::Stub> Context::Stub() const { return v1::Ledger::NewStub(Channel()); }

std::shared_ptr<grpc::Channel> Context::AdminChannel() const {
  return grpc::CreateChannel(admin.starts_with("unix:") ? admin : "unix:" + admin,
                             grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> Context::Call() const {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_seconds));
  return c;
}

[[nodiscard]] absl::Status WriteFile(const std::string& path, std::string_view data) {
  if (path == "-") {
    std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
    std::cout.flush();
    return absl::OkStatus();
  }
  return CreateFileDurably(path, data, 0644);
}

[[nodiscard]] absl::StatusOr<TlogProof> MakeTlogProof(
    uint64_t index, const std::string& checkpoint,
    const google::protobuf::RepeatedPtrField<std::string>& hashes) {
  TlogProof proof;
  proof.index = index;
  proof.checkpoint_note = checkpoint;
  for (const std::string& h : hashes) {
    ASSIGN_OR_RETURN(Hash hash, HashFromBytes(h));
    proof.hashes.push_back(hash);
  }
  return proof;
}

[[nodiscard]] absl::StatusOr<CheckedReceipt> SubmitAndCheck(const Context& ctx,
                                                            v1::Ledger::Stub& stub,
                                                            const v1::SubmitRequest& req,
                                                            const NoteVerifier& verifier) {
  CheckedReceipt out;
  RETURN_IF_ERROR(FromGrpc(stub.Submit(ctx.Call().get(), req, &out.receipt)));
  v1::GetEntryRequest ereq;
  ereq.set_index(out.receipt.index());
  v1::Entry entry;
  RETURN_IF_ERROR(FromGrpc(stub.GetEntry(ctx.Call().get(), ereq, &entry)));
  ASSIGN_OR_RETURN(out.proof, MakeTlogProof(out.receipt.index(), out.receipt.checkpoint(),
                                            out.receipt.inclusion_proof()));
  ASSIGN_OR_RETURN(out.checkpoint, VerifyTlogProof(out.proof, entry.data(), verifier));
  ASSIGN_OR_RETURN(EntryView view, DecodeEntry(entry.data()));
  if (view.index != out.receipt.index() || view.record != req.record() ||
      view.signature != req.signature()) {
    return absl::DataLossError(
        absl::StrCat("the log's entry ", out.receipt.index(), " is not the record submitted"));
  }
  return out;
}

int Fail(const absl::Status& status) {
  std::cerr << "touchstone: " << absl::StatusCodeToString(status.code()) << ": " << status.message()
            << "\n";
  if (const std::string hint = NextStep(status); !hint.empty()) {
    std::cerr << "touchstone: hint: " << hint << "\n";
  }
  return 1;
}

[[nodiscard]] absl::StatusOr<std::string> MessageToJson(const google::protobuf::Message& m) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (auto s = google::protobuf::util::MessageToJsonString(m, &json, options); !s.ok()) {
    return absl::InternalError(s.message().as_string());
  }
  return json;
}

void PrintJson(const nlohmann::json& j) {
  // Bytes that are not UTF-8 (a forged record's, quoted in a reason) print as
  // U+FFFD instead of throwing.
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace touchstone::cli
