"""Stream service: cameras watched, each face followed and identified once, one event per person seen.

Module map (what each module owns):
  source     a camera's newest frame, read and decoded in its own thread (PyAV); drops, never
             queues; opens a failed source again with backoff; the URL without credentials
  camera     one camera watched: frames at the analysis rate -> detect -> track -> identify
  tracking   ByteTrack over the detector's boxes: a track per face in view
  tracks     each track's best faces (quality), its embeddings, its decision
  events     one event per person seen: cooldown for known people, recent unknowns for strangers
  backends   the calls to the detector, embedder and registry (facerec_common.channels)
  settings   StreamSettings, from the environment
"""
