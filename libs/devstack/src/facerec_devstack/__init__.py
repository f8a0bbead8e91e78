"""Local stack: embedded PostgreSQL + the three gRPC services + the gateway, as plain processes."""
