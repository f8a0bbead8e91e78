"""Registry service: owns PostgreSQL (pgvector) and every matching decision."""

import os

# Set before FAISS loads OpenMP: its threads then sleep rather than spin while they wait. The
# registry shares its cores (PostgreSQL, other services): beside one busy core, spinning threads
# built a 300k-face index in 11.0 s, sleeping ones in 7.4 s (4.8 s on an idle 2-core machine).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
