// One cpp-httplib server on a host:port of its own, serving on a thread of its
// own, with the limits every touchstoned HTTP port has: a fixed pool of handler
// threads, a bound on the connections held at once, keep-alive limits, and
// small request bodies (touchstoned's HTTP routes are GETs, but for one POST of
// a record: upload_path, whose bodies have a bound of their own).
//
// Not bounded here: cpp-httplib 0.11 (Debian 12's) reads a request line or a
// header line of any length into memory, and offers no hook before it does.
// Keep a reverse proxy that limits request heads in front of these ports.
#ifndef TOUCHSTONE_SERVICES_HTTP_LISTENER_H_
#define TOUCHSTONE_SERVICES_HTTP_LISTENER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace touchstone {

struct HttpLimits {
  // Threads that serve requests; each serves one connection at a time (its
  // kept-alive requests included). Default: 8
  int threads = 8;
  // Connections held at once: those being served plus those accepted and
  // waiting for a thread. At the limit the server stops accepting: new
  // connections wait in the kernel's listen backlog (5) and past it are not
  // answered. At least `threads`. Default: 64
  int max_connections = 64;
  // Requests served on one connection before the server closes it. Default: 5
  int keep_alive_requests = 5;
  // Seconds an idle kept-alive connection is held open; also how long a read
  // or a write of a request may stall. Default: 5
  int keep_alive_seconds = 5;
  // Largest request body accepted, in bytes. A request that declares a bigger
  // one (Content-Length) or any chunked body is answered 413 and its connection
  // closed, before its body is read. Default: 4 KiB
  size_t max_request_bytes = 4096;
  // The one route (a path) whose POST requests may carry a body of up to
  // max_upload_bytes instead (refused the same way past it). Default: "" (none)
  std::string upload_path;
  // Largest body of a POST to upload_path, in bytes. Default: 0 (as max_request_bytes)
  size_t max_upload_bytes = 0;
};

// Thread-safe.
class HttpListener {
 public:
  // Binds `listen` (host:port; port 0 picks a free port); serves nothing until
  // Start. INVALID_ARGUMENT if `listen` is not host:port or a limit is out of
  // range (threads < 1, max_connections < threads, keep-alive values < 1);
  // UNAVAILABLE if it cannot bind.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<HttpListener>> Bind(const std::string& listen,
                                                                          const HttpLimits& limits);
  ~HttpListener();

  // Where to add routes, before Start.
  httplib::Server& server() { return *server_; }
  // Serves on a thread of its own; returns once it is listening.
  // REQUIRES: called once.
  void Start();
  // Stops serving and waits for the serving thread. Idempotent.
  void Stop();

  const std::string& host() const { return host_; }
  // The port actually bound.
  int port() const { return port_; }

 private:
  HttpListener() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_HTTP_LISTENER_H_
