//! P4Runtime v1 protobuf messages and gRPC service, with protobuf text format
