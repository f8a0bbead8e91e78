"""The v1 REST API under /api/v1: collections, people, faces, identify, verify, detect, embed, search."""
