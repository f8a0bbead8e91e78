"""Embedder service: ArcFace ONNX models on ONNX Runtime, batch in, L2-normalised vectors out."""
