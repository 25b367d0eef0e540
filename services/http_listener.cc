// One limited cpp-httplib server (see http_listener.h).
#include "services/http_listener.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "httplib.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "services/host_port.h"

namespace touchstone {
namespace {

// cpp-httplib's task queue (one task per accepted connection) with `threads`
// workers and room for max_connections connections in all: enqueue blocks
// while that many are being served or waiting, and with it the accept loop.
// (cpp-httplib 0.11's own ThreadPool queues without bound, and a task it
// dropped would leak its socket.) Thread-safe.
class BoundedThreadPool : public httplib::TaskQueue {
 public:
  BoundedThreadPool(int threads, int max_connections) : max_connections_(max_connections) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~BoundedThreadPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](BoundedThreadPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
          return p->shutdown_ || p->busy_ + static_cast<int>(p->jobs_.size()) < p->max_connections_;
        },
        this));
    jobs_.push_back(std::move(fn));
  }

  // Runs what is queued, then joins the workers. Idempotent.
  void shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      shutdown_ = true;
    }
    for (std::thread& t : workers_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](BoundedThreadPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
              return p->shutdown_ || !p->jobs_.empty();
            },
            this));
        if (jobs_.empty()) return;  // shut down, and nothing left to serve
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        ++busy_;
      }
      fn();
      absl::MutexLock lock(&mu_);
      --busy_;
    }
  }

  const int max_connections_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  int busy_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpListener>> HttpListener::Bind(const std::string& listen,
                                                                 const HttpLimits& limits) {
  ASSIGN_OR_RETURN(const HostPort address, ParseHostPort(listen, "an HTTP listen address"));
  if (limits.threads < 1 || limits.max_connections < limits.threads ||
      limits.keep_alive_requests < 1 || limits.keep_alive_seconds < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP limits out of range: threads ", limits.threads,
                     " (at least 1), max_connections ", limits.max_connections,
                     " (at least threads), keep_alive_requests ", limits.keep_alive_requests,
                     " and keep_alive_seconds ", limits.keep_alive_seconds, " (at least 1)"));
  }
  auto l = std::unique_ptr<HttpListener>(new HttpListener());
  l->host_ = address.host;
  l->server_ = std::make_unique<httplib::Server>();
  httplib::Server& s = *l->server_;
  s.new_task_queue = [limits] {
    return new BoundedThreadPool(limits.threads, limits.max_connections);
  };
  s.set_keep_alive_max_count(static_cast<size_t>(limits.keep_alive_requests));
  s.set_keep_alive_timeout(limits.keep_alive_seconds);
  s.set_read_timeout(limits.keep_alive_seconds);
  s.set_write_timeout(limits.keep_alive_seconds);
  s.set_payload_max_length(std::max(limits.max_request_bytes, limits.max_upload_bytes));
  // cpp-httplib reads a request's body into memory before routing it, and
  // payload_max_length bounds neither a chunked body nor the time spent
  // skipping a declared one: refuse both here, before any of it is read. The
  // connection must then close, or the unread body would be parsed as the next
  // request: a content provider that returns false after writing the answer
  // is cpp-httplib's way to end a connection.
  s.set_pre_routing_handler([limits](const httplib::Request& req, httplib::Response& res) {
    const size_t max =
        req.method == "POST" && !limits.upload_path.empty() && req.path == limits.upload_path
            ? std::max(limits.max_request_bytes, limits.max_upload_bytes)
            : limits.max_request_bytes;
    const uint64_t declared = req.get_header_value<uint64_t>("Content-Length");
    if (!req.has_header("Transfer-Encoding") && declared <= max) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.status = 413;
    res.set_header("Connection", "close");
    const std::string answer =
        absl::StrCat("request bodies over ", max, " bytes are not accepted here\n");
    res.set_content_provider(answer.size(), "text/plain; charset=utf-8",
                             [answer](size_t offset, size_t length, httplib::DataSink& sink) {
                               sink.write(answer.data() + offset, length);
                               return false;
                             });
    return httplib::Server::HandlerResponse::Handled;
  });
  const int port = address.port;
  l->port_ =
      port == 0 ? s.bind_to_any_port(l->host_) : (s.bind_to_port(l->host_, port) ? port : -1);
  if (l->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", listen));
  }
  return l;
}

HttpListener::~HttpListener() { Stop(); }

void HttpListener::Start() {
  thread_ = std::thread([s = server_.get()] { s->listen_after_bind(); });
  // Stop() before the thread is listening would not stop it: wait until it is.
  for (int i = 0; i < 2000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void HttpListener::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace touchstone
