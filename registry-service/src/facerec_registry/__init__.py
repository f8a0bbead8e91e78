"""Registry service: owns PostgreSQL (pgvector) and every matching decision.

Module map (what each module owns):
  __main__         `python -m facerec_registry [migrate]`: migrate, then serve until SIGTERM
  startup          create_server: database, search indexes, matching and servicer, in start-up order
  server           the gRPC servicer, an adapter: request -> convert -> store or matching -> response
  convert          wire messages <-> store records, and validation of what comes in
  responses        gRPC messages of API keys, audit events, aligned crops and match verdicts
  matching         every matching decision: current index, caught-up index or exact scan; thresholds
  collection_file  the collection file format (JSON Lines): parsing and writing, no I/O
  face_arrays      faces as aligned numpy arrays (Rows, 16-byte ids, names), shared by store and search
  metrics          the registry's Prometheus metrics
  settings         RegistrySettings, from the environment
  tables           the ORM base the migrations import (they do not change)
  search/          in-memory search, no SQL: rows come from the store
    indexes        every collection's index in step with PostgreSQL: load, catch up, rebuild, sync
    vector_index   one collection's vectors: exact scan or compressed index, in swapped snapshots
    ann            the compressed (FAISS) index, in shards searched in parallel
    scan_queue     searches of one compressed index that share each read
  store/           all SQL, reached through store.connection alone
    connection     Database: engine and sessions, kept search connections, blocking loads (all connecting)
    tables         ORM mapping of the tables (the schema itself is the migrations')
    records        the plain records the store answers with
    lookups        reads inside every transaction: a collection or person under its lock, model checks
    change_log     the change numbers and tombstones that search indexes follow
    collections    collections: create, read, list, target FPIR, delete
    people         people: create, read, list, update, delete
    faces          faces: enrol, read, list, delete
    reembedding    re-embedding: aligned crops out, staged vectors in, the swap
    keys           API keys and the audit log
    bulk           collection import (COPY in) and export
    copy_format    rows encoded in PostgreSQL's binary COPY format
    face_rows      a collection's faces read by binary COPY for an index, and its full load
    index_reads    what indexes read to follow changes: states, a catch-up's snapshot, names, pruning
    match_reads    what a search reads: the checked transaction (hit names, exact scan), the current row
    paging         keyset page tokens
    migrate        Alembic upgrade to head (its env.py connects on its own), once the database answers
  migrations/      Alembic revisions
"""

import os

# Set before FAISS loads OpenMP: its threads then sleep rather than spin while they wait. The
# registry shares its cores (PostgreSQL, other services): beside one busy core, spinning threads
# built a 300k-face index in 11.0 s, sleeping ones in 7.4 s (4.8 s on an idle 2-core machine).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
