// touchstone witness: a c2sp.org/tlog-witness HTTP server (POST /add-checkpoint,
// and POST /key-handover to follow a log's checkpoint key handover: ledger/witness.h)
// cosigning the checkpoints of the logs it is given, only when each extends the
// last one it cosigned. Also `witness-key` (print a witness verifier key) and
// `witness-add` (ask a witness to cosign an add-checkpoint body).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "httplib.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/cosignature.h"
#include "ledger/log/keys.h"
#include "ledger/witness.h"
#include "nlohmann/json.hpp"
#include "services/cli.h"
#include "services/host_port.h"
#include "services/stop_signal.h"
#include "services/witness_client.h"

namespace touchstone::cli {
namespace {

[[nodiscard]] absl::StatusOr<CosignatureSigner> LoadSigner(const std::string& key_file,
                                                           const std::string& name) {
  ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::LoadPemFile(key_file));
  return CosignatureSigner::Create(name, std::move(key));
}

// `witness-key` options.
struct WitnessKeyFlags {
  std::string key_file;
  std::string name;
  bool json = false;
};

// `witness-add` options.
struct WitnessAddFlags {
  std::string url;
  std::string body_file;
};

// `witness` options.
struct ServeFlags {
  std::string listen = "127.0.0.1:0";
  std::string key_file;
  std::string name;
  std::vector<std::string> logs;
  std::string state;
  std::string port_file;
};

[[nodiscard]] absl::Status Serve(const ServeFlags& f) {
  ASSIGN_OR_RETURN(CosignatureSigner signer, LoadSigner(f.key_file, f.name));
  std::vector<NoteVerifier> logs;
  for (const std::string& vkey : f.logs) {
    ASSIGN_OR_RETURN(NoteVerifier v, NoteVerifier::Parse(vkey));
    logs.push_back(std::move(v));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Witness> witness,
                   Witness::Create(std::move(signer), std::move(logs), f.state));

  ASSIGN_OR_RETURN(const HostPort address, ParseHostPort(f.listen, "--listen"));
  const std::string& host = address.host;
  const int port = address.port;

  httplib::Server server;
  // SIGTERM / SIGINT stop the server: blocked here, before the server's
  // threads start (they inherit the mask).
  StopSignalThread stopper;
  server.set_payload_max_length(1 << 20);
  server.Post("/add-checkpoint", [&witness](const httplib::Request& req, httplib::Response& res) {
    AddCheckpointResult r = witness->AddCheckpoint(req.body);
    res.status = r.HttpStatus();
    res.set_content(r.HttpBody(), r.ContentType().c_str());
  });
  server.Post("/key-handover", [&witness](const httplib::Request& req, httplib::Response& res) {
    const absl::Status s = witness->AddKeyHandover(req.body);
    res.status = KeyHandoverHttpStatus(s);
    res.set_content(s.ok() ? "followed\n" : absl::StrCat(s.message(), "\n"),
                    "text/plain; charset=utf-8");
  });
  server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    std::string first_line = req.body.substr(0, req.body.find('\n'));
    std::cerr << "witness: " << req.method << " " << req.path << " (" << first_line << ") -> "
              << res.status;
    if (res.status != 200) std::cerr << ": " << res.body.substr(0, res.body.find('\n'));
    std::cerr << std::endl;
  });

  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host.c_str());
    if (bound < 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", f.listen));
  } else if (!server.bind_to_port(host.c_str(), port)) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", f.listen));
  }

  // cpp-httplib 0.11's stop() does nothing until listen_after_bind is
  // listening, so a signal that comes first waits for it (or for its failure).
  std::atomic<bool> serving_over{false};
  stopper.Start([&server, &serving_over](int) {
    while (!server.is_running() && !serving_over.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    server.stop();
  });

  std::cout << "witness " << witness->signer().name() << "\n"
            << "verifier_key " << witness->VerifierKey() << "\n"
            << "listening " << host << ":" << bound << std::endl;
  absl::Status status = absl::OkStatus();
  if (!f.port_file.empty()) {
    status = ReplaceFileDurably(f.port_file, absl::StrCat(bound, "\n"), 0644);
  }
  if (status.ok() && !server.listen_after_bind()) {
    status = absl::UnavailableError("the witness server failed");
  }
  serving_over = true;
  if (!status.ok()) server.stop();
  stopper.Join();
  return status;
}

}  // namespace

void AddWitnessCommands(CLI::App& app, Context&, int* exit_code) {
  auto run = [exit_code](absl::Status s) {
    if (!s.ok()) *exit_code = Fail(s) + (s.code() == absl::StatusCode::kDataLoss ? 1 : 0);
  };

  auto flags = std::make_shared<ServeFlags>();
  auto* serve = app.add_subcommand(
      "witness", "serve as a c2sp.org/tlog-witness witness (POST /add-checkpoint) for logs");
  serve->add_option("--listen", flags->listen, "host:port (port 0: any free port)")
      ->capture_default_str();
  serve->add_option("--key", flags->key_file, "the witness's Ed25519 PEM key")->required();
  serve->add_option("--name", flags->name, "the witness's key name")->required();
  serve->add_option("--log", flags->logs, "a log's note verifier key (repeatable)")->required();
  serve->add_option("--state", flags->state, "state file: the latest cosigned checkpoints")
      ->required();
  serve->add_option("--port_file", flags->port_file, "write the bound port here when serving");
  serve->callback([run, flags] { run(Serve(*flags)); });

  auto kf = std::make_shared<WitnessKeyFlags>();
  auto* key = app.add_subcommand("witness-key", "print a witness key's cosignature verifier key");
  key->add_option("key", kf->key_file, "the witness's Ed25519 PEM key")->required();
  key->add_option("--name", kf->name, "the witness's key name")->required();
  key->add_flag("--json", kf->json, "print the name, key ID and verifier key as JSON");
  key->callback([run, kf] {
    absl::StatusOr<CosignatureSigner> signer = LoadSigner(kf->key_file, kf->name);
    if (!signer.ok()) return run(signer.status());
    if (!kf->json) {
      std::cout << signer->VerifierKey() << "\n";
      return;
    }
    PrintJson({{"name", signer->name()},
               {"key_id", absl::StrFormat("%08x", signer->key_id())},
               {"verifier_key", signer->VerifierKey()}});
  });

  auto wf = std::make_shared<WitnessAddFlags>();
  auto* add = app.add_subcommand(
      "witness-add", "ask a witness to cosign (body: `touchstone log consistency OLD` output)");
  add->add_option("url", wf->url, "the witness, http://host:port[/prefix]")->required();
  add->add_option("body", wf->body_file, "add-checkpoint body file")->required();
  add->callback([run, wf] {
    absl::StatusOr<std::string> body = ReadWholeFile(wf->body_file);
    if (!body.ok()) return run(body.status());
    uint64_t size = 0;
    absl::StatusOr<std::string> lines = PostAddCheckpoint(wf->url, *body, &size);
    if (!lines.ok()) return run(lines.status());
    std::cout << *lines;
  });
}

}  // namespace touchstone::cli
