# etcd's v3 gRPC API (KV, Watch, Lease, Election), generated at build time from
# the .proto files Debian's golang-etcd-server-dev ships: no hand-written wire
# format, no HTTP gateway. Their imports come from Debian packages too:
# gogoproto/gogo.proto (golang-github-gogo-protobuf-dev) and
# google/api/annotations.proto (golang-github-grpc-ecosystem-grpc-gateway-dev),
# compiled alongside so that the descriptors resolve. Generated files land in
# ${CMAKE_BINARY_DIR}/gen/etcd/... and are included as
# "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h".
set(ETCD_GOCODE /usr/share/gocode/src)
set(ETCD_PROTO_ROOT ${ETCD_GOCODE}/go.etcd.io)
set(GOGO_PROTO_ROOT ${ETCD_GOCODE}/github.com/gogo/protobuf)
set(GOOGLEAPIS_ROOT ${ETCD_GOCODE}/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis)
foreach(f IN ITEMS ${ETCD_PROTO_ROOT}/etcd/etcdserver/etcdserverpb/rpc.proto
                   ${GOGO_PROTO_ROOT}/gogoproto/gogo.proto
                   ${GOOGLEAPIS_ROOT}/google/api/annotations.proto)
  if(NOT EXISTS ${f})
    message(FATAL_ERROR "${f} is missing: apt-get install golang-etcd-server-dev (scripts/deps.sh)")
  endif()
endforeach()

set(ETCD_GEN_DIR ${CMAKE_BINARY_DIR}/gen)
# Each proto by its import path (relative to its root) and its root.
set(ETCD_PROTOS
  "etcd/etcdserver/etcdserverpb/rpc.proto|${ETCD_PROTO_ROOT}|grpc"
  "etcd/etcdserver/api/v3election/v3electionpb/v3election.proto|${ETCD_PROTO_ROOT}|grpc"
  "etcd/mvcc/mvccpb/kv.proto|${ETCD_PROTO_ROOT}|"
  "etcd/auth/authpb/auth.proto|${ETCD_PROTO_ROOT}|"
  "gogoproto/gogo.proto|${GOGO_PROTO_ROOT}|"
  "google/api/annotations.proto|${GOOGLEAPIS_ROOT}|"
  "google/api/http.proto|${GOOGLEAPIS_ROOT}|")
set(ETCD_PROTO_SRCS)
set(ETCD_IMPORTS -I${ETCD_PROTO_ROOT} -I${GOGO_PROTO_ROOT} -I${GOOGLEAPIS_ROOT}
    -I${Protobuf_INCLUDE_DIRS})
foreach(spec IN LISTS ETCD_PROTOS)
  string(REPLACE "|" ";" parts "${spec}")
  list(GET parts 0 rel)
  list(GET parts 1 root)
  list(GET parts 2 grpc)
  string(REGEX REPLACE "\\.proto$" "" stem ${rel})
  set(outs ${ETCD_GEN_DIR}/${stem}.pb.cc ${ETCD_GEN_DIR}/${stem}.pb.h)
  set(cmd ${Protobuf_PROTOC_EXECUTABLE} ${ETCD_IMPORTS} --cpp_out=${ETCD_GEN_DIR})
  if(grpc)
    list(APPEND outs ${ETCD_GEN_DIR}/${stem}.grpc.pb.cc ${ETCD_GEN_DIR}/${stem}.grpc.pb.h)
    list(APPEND cmd --grpc_out=${ETCD_GEN_DIR}
         --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
  endif()
  add_custom_command(OUTPUT ${outs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${ETCD_GEN_DIR}
    COMMAND ${cmd} ${root}/${rel}
    DEPENDS ${root}/${rel}
    COMMENT "Generating C++ for etcd's ${rel}" VERBATIM)
  list(APPEND ETCD_PROTO_SRCS ${ETCD_GEN_DIR}/${stem}.pb.cc)
  if(grpc)
    list(APPEND ETCD_PROTO_SRCS ${ETCD_GEN_DIR}/${stem}.grpc.pb.cc)
  endif()
endforeach()

add_library(touchstone_etcd_proto STATIC ${ETCD_PROTO_SRCS})
target_include_directories(touchstone_etcd_proto SYSTEM PUBLIC ${ETCD_GEN_DIR})
target_link_libraries(touchstone_etcd_proto PUBLIC protobuf::libprotobuf gRPC::grpc++)
# Generated code: not ours to warn about.
target_compile_options(touchstone_etcd_proto PRIVATE -w)
