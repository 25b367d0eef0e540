// Transport security for touchstoned's gRPC port and its clients: server and
// channel credentials from PEM files (TLS, and mutual TLS when the server is
// given a client CA). Shared by touchstoned, the touchstone CLI and the benches.
#ifndef TOUCHSTONE_SERVICES_TLS_H_
#define TOUCHSTONE_SERVICES_TLS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace touchstone {

// The server's side. All empty: plaintext.
struct ServerTlsFiles {
  // PEM certificate chain the server presents. Default: "" (no TLS)
  std::string cert;
  // PEM private key of `cert`. Default: "" (no TLS)
  std::string key;
  // PEM CA bundle; when set, every client must present a certificate it
  // issued (mutual TLS), and a client without one is refused in the handshake.
  // Default: "" (clients are not asked for a certificate)
  std::string client_ca;
};

// The client's side. All empty: plaintext.
struct ClientTlsFiles {
  // PEM CA bundle that must have issued the server's certificate; "" with
  // cert/key set: the system roots. Default: ""
  std::string ca;
  // PEM certificate chain and key presented to a mutual-TLS server. Default: ""
  std::string cert;
  std::string key;
  // Name to check the server's certificate against instead of the host in the
  // address (e.g. the certificate says ledger.example but the address is an IP).
  // Default: "" (the host in the address)
  std::string server_name;

  bool enabled() const { return !ca.empty() || !cert.empty() || !key.empty(); }
};

// Credentials for grpc::ServerBuilder::AddListeningPort: insecure if no file is
// given, TLS with cert and key, and mutual TLS (client certificate required and
// verified) with client_ca as well. INVALID_ARGUMENT if only one of cert and key
// is given, or client_ca without them, or a file is not PEM; NOT_FOUND if a
// file cannot be read.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFiles& files);

// What a client needs to connect with TLS, read from ClientTlsFiles. Holding it
// does not start gRPC: a command that masks signals before gRPC starts its
// threads (`touchstone witness`) can still have its files checked up front.
// Thread-compatible.
struct ClientTls {
  // The PEM contents; nullopt: plaintext.
  std::optional<grpc::SslCredentialsOptions> ssl;
  // See ClientTlsFiles::server_name.
  std::string server_name;

  // Credentials for a channel: TLS if `ssl`, else insecure.
  std::shared_ptr<grpc::ChannelCredentials> Credentials() const;
  // Sets the target name override in *args if server_name is given.
  void SetChannelArgs(grpc::ChannelArguments* args) const;
};

// Reads the files. INVALID_ARGUMENT if only one of cert and key is given or a
// file is not PEM; NOT_FOUND if a file cannot be read.
[[nodiscard]] absl::StatusOr<ClientTls> LoadClientTls(const ClientTlsFiles& files);

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_TLS_H_
