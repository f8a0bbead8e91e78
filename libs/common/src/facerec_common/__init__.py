"""Code shared by the facerec services, and each rule they all apply, written once.

Module map (what each module owns):
  errors        the domain error tree: codes, gRPC status, the HTTP status the gateway answers
  names         collection names; text: what text is stored (names, metadata); packed: embeddings
                on the wire and unit length; rgb: RGB images on the wire and whole crops
  server, settings, service_auth, healthcheck   gRPC service plumbing every service shares
  telemetry, metrics, logs   request ids, traces, Prometheus metrics, one log format
  models, open_set, calibration/   the models known by checksum and their calibrated thresholds
  subject       which face of a photo is its subject
  onnx_graph    ONNX graph rewrites for ONNX Runtime's CPU provider (the `onnx` extra)
"""
