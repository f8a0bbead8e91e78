"""Embedder service: ArcFace ONNX models on ONNX Runtime, batch in, L2-normalised vectors out.

Module map (what each module owns):
  __main__   `python -m facerec_embedder`: serve until SIGTERM
  server     the gRPC servicer and server factory; answers packed embeddings (facerec_common.packed)
  arcface    an ArcFace ONNX model behind one small interface: crops in, unit vectors out
  batcher    dynamic batching: concurrent Embed calls share one model run
  fetch      `python -m facerec_embedder.fetch`: models into a folder, checksum-verified
  metrics, settings
"""
