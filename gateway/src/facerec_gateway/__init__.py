"""Gateway: the only HTTP in the system. REST in, gRPC to the detector, embedder and registry."""
