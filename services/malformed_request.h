// Malformed request bodies: bytes that are not the method's request message are
// answered INVALID_ARGUMENT "request is not a touchstone.v1.SubmitRequest", for
// every method, instead of what gRPC's sync server answers by itself.
//
// Unary and server-streaming methods: gRPC parses the request before any
// handler runs and, when that fails, answers INTERNAL with an empty message
// (grpcpp/impl/codegen/proto_utils.h, GenericDeserialize) without calling the
// handler. MalformedRequestInterceptorFactory, installed on the server, turns
// that status into INVALID_ARGUMENT naming the request type. It sees only
// whether the request arrived parsed (the POST_RECV_MESSAGE interception), never
// its bytes, and changes nothing else.
//
// Client-streaming and bidi methods read their messages in the handler, where
// gRPC's Read returns false alike at the end of the stream and for a message
// that does not parse: a handler reads through StreamRequestReader, which tells
// the two apart, and returns its status.
//
// Debian 12's gRPC 1.51 offers no hook that sees the parse failure itself: a
// custom SerializationTraits would have to be visible in the generated
// *.grpc.pb.cc (its handlers parse as SerializationTraits<MessageLite>, shared
// by every message), and the raw ByteBuffer APIs exist only for the async and
// callback servers, which would mean rewriting every handler.
#ifndef TOUCHSTONE_SERVICES_MALFORMED_REQUEST_H_
#define TOUCHSTONE_SERVICES_MALFORMED_REQUEST_H_

#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"

namespace touchstone {

// The status for a request body that is not the method's request message:
// INVALID_ARGUMENT "request is not a <full request type name>" (the method is
// "/<package>.<Service>/<Method>"; a method unknown to the generated
// descriptor pool is named instead of its type), then `detail`.
grpc::Status MalformedRequestStatus(std::string_view method, std::string_view detail = "");

// Creates, for every unary and server-streaming call, the interceptor that
// answers a request that did not parse with MalformedRequestStatus. Thread-safe.
class MalformedRequestInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

// Reads the requests of one client stream. Before each read it puts a marker
// (an unknown field no request uses) into the message: protobuf clears a
// message before parsing into it, so a failed read that leaves the marker read
// no message (the stream ended), and one that removed it read a message that did
// not parse. (A message that does not parse but carries the marker's exact bytes
// before its flaw, or one gRPC cannot even decompress, is taken for the end of the
// stream: the stream then ends OK, as any stream did before; nothing else
// changes.) Thread-compatible; one per stream.
template <class Request>
class StreamRequestReader {
 public:
  explicit StreamRequestReader(std::string method) : method_(std::move(method)) {}

  // Reads the next request into *req. True if there is one; false at the end
  // of the stream or after a malformed message, when status() says which.
  // REQUIRES: Stream has bool Read(Request*) (grpc::ServerReaderWriter,
  // grpc::ServerReader).
  template <class Stream>
  bool Next(Stream& stream, Request* req) {
    req->GetReflection()->MutableUnknownFields(req)->AddLengthDelimited(kMarkerField, kMarker);
    if (stream.Read(req)) {
      ++read_;
      return true;
    }
    const google::protobuf::UnknownFieldSet& unknown = req->GetReflection()->GetUnknownFields(*req);
    bool marker = false;
    for (int i = 0; i < unknown.field_count(); ++i) {
      const google::protobuf::UnknownField& f = unknown.field(i);
      marker |= f.number() == kMarkerField &&
                f.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED &&
                f.length_delimited() == kMarker;
    }
    if (!marker) {
      status_ =
          MalformedRequestStatus(method_, absl::StrCat(" (message ", read_ + 1, " of the stream)"));
    }
    return false;
  }

  // OK, or after Next returned false for a malformed message, its status.
  const grpc::Status& status() const { return status_; }

 private:
  static constexpr int kMarkerField = 536870911;  // the largest field number
  static constexpr char kMarker[] = "touchstone: no message was read";

  std::string method_;
  grpc::Status status_;
  int read_ = 0;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_MALFORMED_REQUEST_H_
