"""Detector service: finds faces, their 5 landmarks, and returns ArcFace-aligned 112x112 crops.

Module map (what each module owns):
  __main__          `python -m facerec_detector`: serve until SIGTERM
  server            the gRPC servicer and server factory
  pipeline          bytes in, faces out: decode, detect, align, measure (blocking, in worker threads)
  pixel_budget      how many pixels a replica decodes and searches at once (its memory bound)
  decode            encoded bytes to an upright RGB array, refusing what is not a sane image
  mtcnn_runtime     MTCNN in source-image coordinates, on either runtime behind one interface
  mtcnn_onnx        the cascade on ONNX Runtime (default)
  mtcnn_tensorflow  the cascade on TensorFlow (the `[tensorflow]` extra)
  pyramid           MTCNN's image pyramid, with our fix
  align             the ArcFace alignment (InsightFace's norm_crop transform)
  quality           quality measures of one face; thumbnail: its display JPEG
  metrics, settings
"""
