// Server and channel credentials from PEM files.
#include "services/tls.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"

namespace touchstone {
namespace {

// The contents of a PEM file; NOT_FOUND naming `what` and the path.
[[nodiscard]] absl::StatusOr<std::string> ReadPem(const std::string& path, std::string_view what) {
  absl::StatusOr<std::string> pem = ReadWholeFile(path);
  if (!pem.ok()) {
    return absl::NotFoundError(absl::StrCat("cannot read the ", std::string(what), " ", path));
  }
  if (pem->find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", std::string(what), " ", path, " is not a PEM file"));
  }
  return pem;
}

}  // namespace

[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFiles& files) {
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both a certificate and its key (--tls_cert, --tls_key)");
  }
  if (files.cert.empty()) {
    if (!files.client_ca.empty()) {
      return absl::InvalidArgumentError(
          "a client CA (--tls_client_ca) needs TLS: give --tls_cert and --tls_key too");
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(files.cert, "TLS certificate"));
  ASSIGN_OR_RETURN(pair.private_key, ReadPem(files.key, "TLS key"));
  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!files.client_ca.empty()) {
    ASSIGN_OR_RETURN(options.pem_root_certs, ReadPem(files.client_ca, "TLS client CA"));
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

[[nodiscard]] absl::StatusOr<ClientTls> LoadClientTls(const ClientTlsFiles& files) {
  ClientTls out;
  out.server_name = files.server_name;
  if (!files.enabled()) return out;
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs its key and the other way round (--tls_cert, --tls_key)");
  }
  grpc::SslCredentialsOptions& options = out.ssl.emplace();
  if (!files.ca.empty()) {
    ASSIGN_OR_RETURN(options.pem_root_certs, ReadPem(files.ca, "TLS CA"));
  }
  if (!files.cert.empty()) {
    ASSIGN_OR_RETURN(options.pem_cert_chain, ReadPem(files.cert, "TLS client certificate"));
    ASSIGN_OR_RETURN(options.pem_private_key, ReadPem(files.key, "TLS client key"));
  }
  return out;
}

std::shared_ptr<grpc::ChannelCredentials> ClientTls::Credentials() const {
  return ssl ? grpc::SslCredentials(*ssl) : grpc::InsecureChannelCredentials();
}

void ClientTls::SetChannelArgs(grpc::ChannelArguments* args) const {
  if (!server_name.empty()) args->SetSslTargetNameOverride(server_name);
}

}  // namespace touchstone
