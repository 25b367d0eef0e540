// Malformed request bodies answered INVALID_ARGUMENT: the interceptor for unary
// and server-streaming methods (malformed_request.h).
#include "services/malformed_request.h"

#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"
#include "ledger/base/strings.h"

namespace touchstone {
namespace {

using grpc::experimental::InterceptionHookPoints;

// One call's interceptor. gRPC runs a call's interceptors one batch at a time.
// Thread-compatible.
class MalformedRequestInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit MalformedRequestInterceptor(const char* method) : method_(method) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // The sync server parses a unary or server-streaming request before the
    // handler, and hands the interceptors nullptr if it did not parse.
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      unparsed_ = true;
    }
    // The handler did not run; the status is the parse failure's INTERNAL. (A
    // call refused for want of threads is RESOURCE_EXHAUSTED, and stays so.)
    if (unparsed_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        methods->GetSendStatus().error_code() == grpc::StatusCode::INTERNAL) {
      methods->ModifySendStatus(MalformedRequestStatus(method_));
    }
    methods->Proceed();
  }

 private:
  const char* method_;
  bool unparsed_ = false;
};

}  // namespace

grpc::Status MalformedRequestStatus(std::string_view method, std::string_view detail) {
  // "/touchstone.v1.Ledger/Submit" is the method touchstone.v1.Ledger.Submit.
  std::string name(method.substr(method.empty() || method[0] != '/' ? 0 : 1));
  absl::StrReplaceAll({{"/", "."}}, &name);
  const google::protobuf::MethodDescriptor* m =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
  return grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      m != nullptr ? absl::StrCat("request is not a ", m->input_type()->full_name(), Sv(detail))
                   : absl::StrCat("request is not a valid ", Sv(method), " request", Sv(detail)));
}

grpc::experimental::Interceptor* MalformedRequestInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  using Type = grpc::experimental::ServerRpcInfo::Type;
  if (info->type() != Type::UNARY && info->type() != Type::SERVER_STREAMING) return nullptr;
  return new MalformedRequestInterceptor(info->method());
}

}  // namespace touchstone
