// touchstoned: the Touchstone ledger server.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "ledger/base/files.h"
#include "services/host_port.h"
#include "services/log.h"
#include "services/server.h"
#include "services/stop_signal.h"

namespace {

// The host of a listen address the server bound (so it parses), for the log.
std::string HostOf(const std::string& listen) {
  absl::StatusOr<touchstone::HostPort> address = touchstone::ParseHostPort(listen, "listen");
  return address.ok() ? address->host : listen;
}

}  // namespace

int main(int argc, char** argv) {
  touchstone::ServerOptions options;
  std::string port_file;
  CLI::App app{"touchstoned: the Touchstone provenance ledger server"};
  app.add_option("--data_dir", options.ledger.data_dir,
                 "directory of the database and, by default, the operator key")
      ->capture_default_str()
      ->envname("TOUCHSTONE_DATA_DIR");
  app.add_option("--listen", options.listen, "address to serve gRPC on (port 0 = any free port)")
      ->capture_default_str()
      ->envname("TOUCHSTONE_LISTEN");
  app.add_option("--origin", options.ledger.origin,
                 "the log's origin (checkpoint key name) for a new log; default "
                 "touchstone.local/ledger")
      ->envname("TOUCHSTONE_ORIGIN");
  app.add_option("--operator_key", options.ledger.operator_key_path,
                 "operator Ed25519 key (PEM); created if the log is new. Default: "
                 "<data_dir>/operator.pem")
      ->envname("TOUCHSTONE_OPERATOR_KEY");
  app.add_option("--operator_id", options.ledger.operator_id,
                 "participant id of the operator in a new log")
      ->capture_default_str();
  app.add_option("--max_group", options.ledger.max_group, "most submissions per commit group")
      ->capture_default_str();
  app.add_option("--max_batch", options.ledger.max_batch, "most records per SubmitBatch call")
      ->capture_default_str();
  app.add_option("--max_record_bytes", options.ledger.max_record_bytes, "largest record accepted")
      ->capture_default_str();
  app.add_option("--max_message_bytes", options.max_message_bytes,
                 "largest gRPC message (bigger: RESOURCE_EXHAUSTED)")
      ->capture_default_str();
  app.add_option("--max_call_seconds", options.max_call_seconds,
                 "longest a call may run on the server, whatever the client's deadline")
      ->capture_default_str();
  app.add_option("--max_watches", options.max_watches,
                 "Watch streams served at once (each holds a handler thread)")
      ->capture_default_str();
  app.add_option("--tls_cert", options.tls.cert,
                 "PEM certificate chain to serve TLS with (with --tls_key); default plaintext")
      ->envname("TOUCHSTONE_TLS_CERT");
  app.add_option("--tls_key", options.tls.key, "PEM private key of --tls_cert")
      ->envname("TOUCHSTONE_TLS_KEY");
  app.add_option("--tls_client_ca", options.tls.client_ca,
                 "PEM CA bundle: require every client to present a certificate it issued "
                 "(mutual TLS)")
      ->envname("TOUCHSTONE_TLS_CLIENT_CA");
  app.add_option("--min_free_bytes", options.ledger.min_free_bytes,
                 "refuse appends (RESOURCE_EXHAUSTED) while the data directory's disk has less "
                 "free")
      ->capture_default_str();
  std::string etcd;
  app.add_option("--etcd", etcd,
                 "replicated mode (docs/replication.md): the etcd members, host:port,... ; "
                 "default: one node, not replicated")
      ->envname("TOUCHSTONE_ETCD");
  app.add_option("--replica_id", options.replication.replica_id,
                 "replicated mode: this replica's name in the set (unique, stable)")
      ->envname("TOUCHSTONE_REPLICA_ID");
  app.add_option("--advertise", options.replication.advertise,
                 "replicated mode: host:port where clients reach this replica (named in "
                 "followers' redirects); default: the --listen host and the bound port")
      ->envname("TOUCHSTONE_ADVERTISE");
  app.add_option("--etcd_keep_entries", options.replication.keep_entries,
                 "replicated mode: the leader keeps the groups of at least this many of the "
                 "newest entries in etcd and deletes older ones every live replica applied "
                 "(0: keep every group)")
      ->capture_default_str();
  app.add_option("--lease_seconds", options.replication.lease_seconds,
                 "replicated mode: the leader's etcd lease; a leader that cannot renew it "
                 "this long stops leading")
      ->capture_default_str();
  std::string max_backdate = absl::FormatDuration(options.ledger.max_backdate);
  app.add_option("--max_backdate", max_backdate,
                 "how far before the time the log records it a record may be dated (a "
                 "duration: 72h, 90m); recorded in the log as its policy (a LogPolicy entry "
                 "when it changes)")
      ->capture_default_str()
      ->envname("TOUCHSTONE_MAX_BACKDATE");
  app.add_flag("--allow_history_import", options.ledger.allow_history_import,
               "accept records marked history_import (dated further back, certificates checked "
               "at their event time only), for importing history; recorded in the log's policy")
      ->envname("TOUCHSTONE_ALLOW_HISTORY_IMPORT");
  app.add_option("--scrub_entries_per_second", options.ledger.scrub_entries_per_second,
                 "the background scrub re-hashes this many stored entries a second, with their "
                 "tree nodes and checkpoints, pass after pass, and logs damage (event "
                 "data_loss); 0 turns it off")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--port_file", port_file, "write the bound port to this file once serving");
  app.add_option("--witness", options.witnesses,
                 "a witness to obtain checkpoint cosignatures from: URL=VKEY (repeatable)");
  app.add_option("--witness_quorum", options.witness_quorum,
                 "cosignatures a checkpoint needs to be served as witnessed (default: all)");
  app.add_option("--auditor", options.auditors,
                 "an auditor whose cosignatures of audited checkpoints are kept and served in "
                 "bundles: NAME=VKEY, a cosignature/v1 key named NAME (repeatable)");
  app.add_option("--auditor_quorum", options.auditor_quorum,
                 "auditors (distinct keys) whose cosignatures make a checkpoint the audited one "
                 "bundles carry (default: all)");
  std::string http_port_file;
  app.add_option("--http_listen", options.http.listen,
                 "address to serve the customer pages on over HTTP, e.g. 127.0.0.1:8080 "
                 "(port 0 = any free port); default: no HTTP")
      ->envname("TOUCHSTONE_HTTP_LISTEN");
  app.add_option("--http_public_url", options.http.public_url,
                 "URL the pages are reached at from outside, for QR codes, e.g. "
                 "https://touchstone.example; default http://<http_listen>")
      ->envname("TOUCHSTONE_HTTP_PUBLIC_URL");
  app.add_option("--http_port_file", http_port_file,
                 "write the bound HTTP port to this file once serving");
  std::string metrics_port_file;
  app.add_option("--metrics_listen", options.http.metrics_listen,
                 "address to serve /metrics on instead of the --http_listen port (which then "
                 "has no /metrics), e.g. 127.0.0.1:9090; default: on --http_listen")
      ->envname("TOUCHSTONE_METRICS_LISTEN");
  app.add_option("--metrics_port_file", metrics_port_file,
                 "write the bound --metrics_listen port to this file once serving");
  app.add_option("--http_threads", options.http.limits.threads,
                 "threads serving HTTP requests, per port (each serves one connection at a time)")
      ->capture_default_str();
  app.add_option("--http_max_connections", options.http.limits.max_connections,
                 "HTTP connections held at once per port, served or waiting for a thread; "
                 "past it new ones wait in the kernel's backlog (at least --http_threads)")
      ->capture_default_str();
  app.add_option("--http_keep_alive_requests", options.http.limits.keep_alive_requests,
                 "HTTP requests served on one connection before it is closed")
      ->capture_default_str();
  app.add_option("--http_keep_alive_seconds", options.http.limits.keep_alive_seconds,
                 "seconds an idle HTTP connection is kept, and a read or write may stall")
      ->capture_default_str();
  app.add_option("--http_bundle_cache_bytes", options.http.bundle_cache_bytes,
                 "bytes of piece bundles the HTTP pages keep built (least recently used out)")
      ->capture_default_str();
  app.add_option("--http_max_bundle_bytes", options.http.max_bundle_bytes,
                 "largest piece bundle served over HTTP; a bigger one is refused (429)")
      ->capture_default_str();
  app.add_option("--backup_dir", options.backup_dir,
                 "directory `touchstone backup` (Admin.Backup, over --admin_socket) writes "
                 "backups into; none if unset")
      ->envname("TOUCHSTONE_BACKUP_DIR");
  app.add_option("--admin_socket", options.admin_socket,
                 "Unix socket (made mode 0600) serving the Admin service (backups); the gRPC "
                 "port does not serve it. Default: <data_dir>/admin.sock")
      ->envname("TOUCHSTONE_ADMIN_SOCKET");
  // One configuration file format: TOML, any option above as `name = value`.
  // A flag on the command line wins over the file, the file over the option's
  // environment variable (CLI11's order), and any of them over the default.
  // An unknown name in the file is an error.
  app.set_config("--config", "",
                 "TOML file of options (`listen = \"0.0.0.0:50051\"`; see --print_config); "
                 "flags override it, it overrides environment variables")
      ->envname("TOUCHSTONE_CONFIG");
  std::string log_format = "json", log_level = "info";
  app.add_option("--log_format", log_format,
                 "json: one JSON object per line (time, level, event, msg, fields); text: plain")
      ->capture_default_str()
      ->check(CLI::IsMember({"json", "text"}))
      ->envname("TOUCHSTONE_LOG_FORMAT");
  app.add_option("--log_level", log_level, "least level logged: debug, info, warning, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}))
      ->envname("TOUCHSTONE_LOG_LEVEL");
  std::string rotate_key, rotation_reason;
  app.add_option("--rotate_operator_key", rotate_key,
                 "hand the log's checkpoint key over to the Ed25519 key in this PEM file "
                 "(mode 0600) with a signed handover record, replace the operator key file "
                 "with it, print the new verifier key, and exit; run with the server stopped")
      ->configurable(false);
  app.add_option("--rotation_reason", rotation_reason,
                 "why the key is rotated, recorded in the handover record")
      ->configurable(false);
  bool print_config = false;
  app.add_flag("--print_config", print_config,
               "print every option with its effective value as a TOML config file, and exit")
      ->configurable(false);
  app.allow_config_extras(CLI::config_extras_mode::error);
  CLI11_PARSE(app, argc, argv);
  if (!etcd.empty()) {
    options.replication.etcd = absl::StrSplit(etcd, ',', absl::SkipEmpty());
    // A replica that stops (a group that does not verify) shuts the server down
    // through the same path as SIGTERM, and touchstoned exits 2.
    options.replication.on_failure = [](const absl::Status&) { kill(getpid(), SIGTERM); };
  }
  if (print_config) {
    std::cout << app.config_to_str(/*default_also=*/true, /*write_description=*/true);
    return 0;
  }
  if (!absl::ParseDuration(max_backdate, &options.ledger.max_backdate) ||
      options.ledger.max_backdate <= absl::ZeroDuration()) {
    std::cerr << "touchstoned: --max_backdate: '" << max_backdate
              << "' is not a positive duration (e.g. 72h, 90m)\n";
    return 1;
  }
  using touchstone::Log;
  using touchstone::LogLevel;
  if (absl::Status s = touchstone::ConfigureLog(log_format, *touchstone::ParseLogLevel(log_level));
      !s.ok()) {
    std::cerr << "touchstoned: " << s << "\n";
    return 1;
  }
  // Test hook (crash and shutdown tests): sleep this long inside every commit.
  if (const char* delay = std::getenv("TOUCHSTONE_TEST_COMMIT_DELAY_MS")) {
    options.ledger.commit_delay = absl::Milliseconds(std::atoi(delay));
  }
  // Past a file size limit (RLIMIT_FSIZE), write() must fail with EFBIG so that
  // the append is refused, instead of SIGXFSZ killing the server.
  signal(SIGXFSZ, SIG_IGN);

  if (!rotate_key.empty() && !options.replication.etcd.empty()) {
    Log(LogLevel::kError, "rotation_failed",
        "replicated mode does not carry a checkpoint key handover yet (docs/replication.md): "
        "rotating on one replica would fork the log",
        {{"code", "FAILED_PRECONDITION"}});
    return 1;
  }
  if (!rotate_key.empty()) {
    // Offline: the database admits one process, so a running server refuses this.
    absl::StatusOr<std::unique_ptr<touchstone::Ledger>> ledger =
        touchstone::Ledger::Open(options.ledger);
    absl::StatusOr<touchstone::Receipt> handover =
        ledger.ok() ? (*ledger)->RotateOperatorKey(rotate_key, rotation_reason)
                    : absl::StatusOr<touchstone::Receipt>(ledger.status());
    if (!handover.ok()) {
      Log(LogLevel::kError, "rotation_failed", handover.status().ToString(),
          {{"code", absl::StatusCodeToString(handover.status().code())}});
      return 1;
    }
    const touchstone::LogInfo info = (*ledger)->Info();
    Log(LogLevel::kInfo, "key_rotated",
        absl::StrCat("checkpoint key handed over at entry ", handover->index,
                     "; checkpoints are now signed by ", info.verifier_key,
                     "; publish it beside the old key"),
        {{"index", handover->index}, {"verifier_key", info.verifier_key}});
    std::cout << info.verifier_key << "\n";
    return 0;
  }

  // SIGTERM / SIGINT drain and shut the server down: blocked before the server
  // starts its threads, taken by a thread of their own once it serves.
  touchstone::StopSignalThread stopper;
  // Taken from here on: a replica waiting to catch up (Server::Start) stops too.
  std::atomic<bool> stop_requested{false};
  std::atomic<touchstone::Server*> running{nullptr};
  options.stop_requested = [&stop_requested] { return stop_requested.load(); };
  stopper.Start([&stop_requested, &running](int sig) {
    Log(LogLevel::kInfo, "stopping", absl::StrCat("signal ", sig, ", draining and shutting down"),
        {{"signal", sig}});
    stop_requested = true;
    if (touchstone::Server* s = running.load()) s->Shutdown();
  });

  auto server = touchstone::Server::Start(options);
  if (!server.ok()) {
    stopper.Join();
    Log(LogLevel::kError, "start_failed", server.status().ToString(),
        {{"code", absl::StatusCodeToString(server.status().code())}});
    // A replica that stopped on a group that does not verify exits as it would serving.
    const absl::StatusCode code = server.status().code();
    const bool replica_stopped =
        !options.replication.etcd.empty() &&
        (code == absl::StatusCode::kDataLoss || code == absl::StatusCode::kUnimplemented);
    return replica_stopped ? 2 : 1;
  }
  running = server->get();
  if (stop_requested) (*server)->Shutdown();  // a signal came while it started
  const touchstone::LogInfo info = (*server)->ledger().Info();
  const std::string tls = options.tls.cert.empty()        ? "plaintext"
                          : options.tls.client_ca.empty() ? "TLS"
                                                          : "mutual TLS";
  const std::string address = absl::StrCat(HostOf(options.listen), ":", (*server)->port());
  Log(LogLevel::kInfo, "serving",
      absl::StrCat("serving ", info.origin, " (size ", info.size, ") on ", address, " (", tls,
                   "), Admin on ", (*server)->admin_socket(), "; verifier key ", info.verifier_key),
      {{"origin", info.origin},
       {"size", info.size},
       {"address", address},
       {"tls", tls},
       {"admin_socket", (*server)->admin_socket()},
       {"verifier_key", info.verifier_key}});
  // A port file appears (renamed into place) only once its port serves.
  auto write_port_file = [](const std::string& path, int port) {
    if (path.empty()) return;
    if (absl::Status s = touchstone::ReplaceFileDurably(path, absl::StrCat(port, "\n"), 0644);
        !s.ok()) {
      Log(LogLevel::kWarning, "port_file_not_written", s.ToString(), {{"path", path}});
    }
  };
  write_port_file(port_file, (*server)->port());

  if ((*server)->http_port() != 0) {
    const std::string pages = absl::StrCat("http://", HostOf(options.http.listen), ":",
                                           (*server)->http_port(), "/p/PIECE_ID");
    Log(LogLevel::kInfo, "http_serving", absl::StrCat("customer pages on ", pages),
        {{"url", pages}});
    write_port_file(http_port_file, (*server)->http_port());
  }
  if ((*server)->metrics_port() != 0) {
    const std::string metrics = absl::StrCat("http://", HostOf(options.http.metrics_listen), ":",
                                             (*server)->metrics_port(), "/metrics");
    Log(LogLevel::kInfo, "metrics_serving", absl::StrCat("metrics on ", metrics),
        {{"url", metrics}});
    write_port_file(metrics_port_file, (*server)->metrics_port());
  }

  (*server)->Wait();
  stopper.Join();  // Shutdown has returned
  // Every submission taken in was committed (or refused) under a checkpoint of
  // its group: the latest one is the final checkpoint. Then close the database.
  const uint64_t size = (*server)->ledger().Size();
  const absl::Status replica_failure =
      (*server)->replicator() != nullptr ? (*server)->replicator()->failure() : absl::OkStatus();
  server->reset();
  Log(LogLevel::kInfo, "stopped",
      absl::StrCat("stopped at size ", size, " with its checkpoint stored; database closed"),
      {{"size", size}});
  return replica_failure.ok() ? 0 : 2;
}
