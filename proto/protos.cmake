# Record schema (used by ledger/) and the gRPC API (used by services/).
# Included from the top-level CMakeLists.txt so that generated files land in
# ${CMAKE_BINARY_DIR}/gen/proto/ and are included as "proto/x.pb.h".
set(TOUCHSTONE_GEN_DIR ${CMAKE_BINARY_DIR}/gen)
file(MAKE_DIRECTORY ${TOUCHSTONE_GEN_DIR})

add_library(touchstone_record_proto STATIC proto/record.proto proto/state.proto proto/bundle.proto
            proto/search.proto proto/watch.proto proto/replication.proto)
target_link_libraries(touchstone_record_proto PUBLIC protobuf::libprotobuf)
target_include_directories(touchstone_record_proto PUBLIC ${TOUCHSTONE_GEN_DIR})
protobuf_generate(TARGET touchstone_record_proto
                  IMPORT_DIRS ${PROJECT_SOURCE_DIR}
                  PROTOC_OUT_DIR ${TOUCHSTONE_GEN_DIR})

add_library(touchstone_api_proto STATIC proto/ledger_service.proto proto/provenance_service.proto
            proto/admin_service.proto proto/openings_service.proto)
target_link_libraries(touchstone_api_proto PUBLIC touchstone_record_proto gRPC::grpc++)
target_include_directories(touchstone_api_proto PUBLIC ${TOUCHSTONE_GEN_DIR})
protobuf_generate(TARGET touchstone_api_proto
                  IMPORT_DIRS ${PROJECT_SOURCE_DIR}
                  PROTOC_OUT_DIR ${TOUCHSTONE_GEN_DIR})
protobuf_generate(TARGET touchstone_api_proto LANGUAGE grpc
                  GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
                  PLUGIN "protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>"
                  IMPORT_DIRS ${PROJECT_SOURCE_DIR}
                  PROTOC_OUT_DIR ${TOUCHSTONE_GEN_DIR})
