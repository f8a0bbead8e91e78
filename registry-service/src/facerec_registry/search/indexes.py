"""Every registry replica's in-memory search indexes, kept in step with PostgreSQL.

PostgreSQL stays the only source of truth. Each write to a collection takes the next
`collections.change_seq` under the collection's row lock (store.change_log): an added
face carries it in `faces.seq`, a deleted one leaves its id in `face_tombstones` with it.
Because writers hold the lock until they commit, every change up to the `change_seq` a
reader sees is committed and visible to it. So before a search, a replica whose index has
applied less than the collection's `change_seq` reads what came after (both queries in one
snapshot) and applies it. An enrolment answered by any replica is found by the next search
on every replica, and a deleted face is never returned after its delete was answered.

`reload_seq` tells replicas to reload a collection in full instead: a re-embedding
switched every vector, or tombstones they would need have been pruned.

Indexes load in the background; until one is ready its collection is searched by
the exact SQL scan, and the answer says `exact`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facerec_common.errors import InvalidArgument
from facerec_registry.face_arrays import Floats, Names, Rows
from facerec_registry.search.scan_queue import ScanQueue
from facerec_registry.search.vector_index import CollectionIndex, Hit, IndexSettings, Method
from facerec_registry.store import index_reads
from facerec_registry.store.connection import Database
from facerec_registry.store.face_rows import load_collection, names_of
from facerec_registry.store.records import CollectionState

log = logging.getLogger(__name__)

# Below this many faces a single-face search of an unsharded index runs on the event loop
# (~2 ms on 2 cores); larger ones are read in a thread (searches arriving meanwhile share the
# next read) so the loop keeps serving other calls.
INLINE_SEARCH_FACES = 200_000
# ... and so does an exact scan of this many (a full scan of 200k would block it for ~40 ms).
INLINE_EXACT_FACES = 20_000
FULL_LOADS_AT_ONCE = 2


@dataclass(frozen=True)
class SyncSettings:
    # How often loaded indexes catch up and rebuild in the background.
    interval_s: float = 1.0
    # How long a search waits for its collection's first load before scanning in SQL instead.
    first_load_wait_s: float = 2.0
    # Tombstones older than this are pruned; a replica further behind reloads in full.
    tombstone_retention_s: float = 3600.0


class SearchIndexes:
    def __init__(self, db: Database, index: IndexSettings, sync: SyncSettings) -> None:
        self._db = db
        # Full loads read on a blocking connection of their own, in a thread (face_rows), a few
        # at a time: at start-up every collection loads, and each load holds a connection.
        self._full_loads = asyncio.Semaphore(FULL_LOADS_AT_ONCE)
        self._settings = index
        self._sync = sync
        self._indexes: dict[uuid.UUID, CollectionIndex] = {}
        self._ids: dict[str, uuid.UUID] = {}  # collection name -> id (names never change)
        self._locks: dict[uuid.UUID, asyncio.Lock] = {}
        self._loading: dict[uuid.UUID, asyncio.Task[CollectionIndex | None]] = {}
        self._reads: dict[uuid.UUID, ScanQueue] = {}
        self._rebuilding: asyncio.Task[None] | None = None
        self._background: asyncio.Task[None] | None = None
        self._last_prune = 0.0

    # -- lifecycle

    def start(self) -> None:
        self._background = asyncio.create_task(self._run(), name="search-index-sync")

    async def close(self) -> None:
        tasks = [t for t in (self._background, self._rebuilding, *self._loading.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for reads in self._reads.values():
            await reads.close()

    async def load_all(self) -> None:
        """Start loading every collection that holds faces and has no index here yet (at start-up)."""
        await self._load_missing(await index_reads.collection_states(self._db))

    async def _load_missing(self, states: dict[uuid.UUID, CollectionState]) -> None:
        for collection_id in states:
            if collection_id not in self._indexes:
                await self._ensure_loading(collection_id)

    # -- search

    async def search(
        self, state: CollectionState, queries: Sequence[Floats], top_k: int, exact: bool
    ) -> tuple[list[tuple[list[Hit], Method]], int] | None:
        """(hits per query, faces searched) from an index that holds every change the caller saw;
        None: not loaded yet."""
        index = await self._current(state)
        if index is None:
            return None
        vectors = np.asarray(queries, dtype=np.float32).reshape(len(queries), -1)
        return await self._search(index, vectors, top_k, exact), index.snapshot.size

    async def search_as_is(
        self, collection_name: str, model_version: str, queries: Sequence[Floats], top_k: int, exact: bool
    ) -> tuple[uuid.UUID, int, int, list[tuple[list[Hit], Method]], Names] | None:
        """(collection id, change number, faces searched, hits, people's names) from the index as it
        stands, without asking the database first; the caller checks that number against the
        collection's. None: no index of that collection and model here."""
        collection_id = self._ids.get(collection_name)
        index = self._indexes.get(collection_id) if collection_id is not None else None
        if collection_id is None or index is None or index.model_version != model_version:
            return None
        # Read before the snapshot the search takes: the snapshot is then at least this new.
        seq = index.applied_seq
        faces = index.snapshot.size
        vectors = np.asarray(queries, dtype=np.float32).reshape(len(queries), -1)
        return collection_id, seq, faces, await self._search(index, vectors, top_k, exact), index.names

    async def _search(
        self, index: CollectionIndex, vectors: np.ndarray, top_k: int, exact: bool
    ) -> list[tuple[list[Hit], Method]]:
        if vectors.shape[1] != index.dimension:
            raise InvalidArgument(
                f"The embedding has {vectors.shape[1]} values; the collection's model makes {index.dimension}."
            )
        snapshot = index.snapshot
        compressed = snapshot.ann is not None and not exact
        quick = snapshot.size < (INLINE_SEARCH_FACES if compressed else INLINE_EXACT_FACES)
        if len(vectors) == 1 and quick and (snapshot.ann is None or snapshot.ann.shard_count == 1):
            # A couple of milliseconds: cheaper here than the hand-off to a thread and back. (Not
            # with shards: the loop would wait for the shared shard threads, behind other reads.)
            return index.search_many(vectors, top_k, exact)
        if compressed:
            collection_id = uuid.UUID(bytes=index.collection_id)
            return await self._reads.setdefault(collection_id, ScanQueue()).search(index, vectors, top_k)
        return await asyncio.to_thread(index.search_many, vectors, top_k, exact)

    async def load_now(self, collection_id: uuid.UUID) -> None:
        """Bring one collection's index up to date before answering, as after a bulk import:
        searches would otherwise scan in SQL while it loads (seconds each at 1M faces, past the
        gateway's deadline)."""
        if collection_id not in self._indexes:
            await asyncio.shield(await self._ensure_loading(collection_id))
        index = self._indexes.get(collection_id)
        if index is not None:
            await self._catch_up(index)  # a load that began before the import committed lacks it
        if collection_id not in self._indexes:  # the catch-up found a full reload due
            await asyncio.shield(await self._ensure_loading(collection_id))
        index = self._indexes.get(collection_id)
        # Imported into a collection that had an index: fold the new faces in now rather than scan
        # them exactly until the background rebuild (one rebuild at a time, as there).
        if index is not None and index.needs_rebuild() and (self._rebuilding is None or self._rebuilding.done()):
            self._rebuilding = asyncio.create_task(self._rebuild(index))
            await asyncio.shield(self._rebuilding)

    async def take_import(
        self, collection_name: str, collection_id: uuid.UUID, seed: tuple[CollectionState, Rows] | None
    ) -> None:
        """Index what an import just committed before it is answered: answered means searchable
        here at full speed (other replicas load on their next sync). A failure is logged, not
        raised: the import stands, and searches scan in SQL until a later load succeeds."""
        try:
            if seed is not None:
                await self.seed(*seed)
            await self.load_now(collection_id)
        except Exception:
            log.exception("the index of '%s' did not load after its import", collection_name)

    def status(self, collection_id: uuid.UUID) -> tuple[str, int, int]:
        """(state, faces indexed, bytes held): state is ready, loading or absent."""
        index = self._indexes.get(collection_id)
        if index is not None:
            return "ready", index.snapshot.size, index.memory_bytes()
        return ("loading" if collection_id in self._loading else "absent"), 0, 0

    async def _current(self, state: CollectionState) -> CollectionIndex | None:
        index = self._indexes.get(state.collection_id)
        if index is not None and _fresh(index, state):
            return index
        if index is None or _needs_reload(index, state):
            task = await self._ensure_loading(state.collection_id)
            try:
                index = await asyncio.wait_for(asyncio.shield(task), self._sync.first_load_wait_s)
            except TimeoutError:
                return None
            if index is None or _needs_reload(index, state):
                return None
        await self._catch_up(index)
        return index if _fresh(index, state) else None

    # -- loading and catching up

    async def _ensure_loading(self, collection_id: uuid.UUID) -> asyncio.Task[CollectionIndex | None]:
        task = self._loading.get(collection_id)
        if task is None:
            task = asyncio.create_task(self._load(collection_id), name=f"load-{collection_id}")
            self._loading[collection_id] = task
            task.add_done_callback(lambda _: self._loading.pop(collection_id, None))
        return task

    async def _load(self, collection_id: uuid.UUID) -> CollectionIndex | None:
        started = time.monotonic()
        async with self._lock(collection_id):
            async with self._full_loads:
                state, rows, names = await asyncio.to_thread(load_collection, self._db, collection_id)
            if state is None or rows is None:
                self._indexes.pop(collection_id, None)
                return None
            return await self._install(state, rows, names, f"loaded in {time.monotonic() - started:.1f}s")

    async def seed(self, state: CollectionState, rows: Rows) -> None:
        """Index the faces an import just committed into a collection that had none, from the
        rows it wrote rather than read back (a million faces: the load's ~20 s). `load_now`
        then catches up with anything written since."""
        current = self._indexes.get(state.collection_id)
        if state.collection_id in self._loading or (current is not None and current.snapshot.size):
            return
        task = asyncio.create_task(self._seeded(state, rows), name=f"seed-{state.collection_id}")
        self._loading[state.collection_id] = task
        task.add_done_callback(lambda _: self._loading.pop(state.collection_id, None))
        await asyncio.shield(task)

    async def _seeded(self, state: CollectionState, rows: Rows) -> CollectionIndex | None:
        async with self._lock(state.collection_id):
            current = self._indexes.get(state.collection_id)
            if current is not None and current.applied_seq >= state.change_seq:
                return current  # caught up meanwhile (it had no faces: now it has these)
            # Names read now are at least as new as `state`; a rename since is caught up as a change.
            names = await index_reads.collection_names(self._db, state.collection_id)
            names = await asyncio.to_thread(names_of, names, rows.person_ids)
            return await self._install(state, rows, names, "handed over by its import")

    async def _install(self, state: CollectionState, rows: Rows, names: Names, source: str) -> CollectionIndex:
        """Index `rows`, the collection's faces as of `state`, and serve searches from it."""
        started = time.monotonic()
        self._ids[state.name] = state.collection_id
        index = CollectionIndex(state.collection_id.bytes, state.model_version, state.dimension, self._settings)
        index.reset(rows, state.change_seq, names)
        if index.needs_rebuild():
            await asyncio.to_thread(index.rebuild)
        self._indexes[state.collection_id] = index
        log.info(
            "search index of collection %s: %d faces %s, index built in %.1fs",
            state.collection_id,
            len(rows),
            source,
            time.monotonic() - started,
        )
        return index

    async def _catch_up(self, index: CollectionIndex) -> None:
        collection_id = uuid.UUID(bytes=index.collection_id)
        async with self._lock(collection_id):
            async with index_reads.change_reads(self._db) as reads:
                state = await reads.state(collection_id)
                if state is None:
                    self._indexes.pop(collection_id, None)
                    return
                if _needs_reload(index, state):
                    # Reload outside this lock; searches scan in SQL meanwhile.
                    self._indexes.pop(collection_id, None)
                    await self._ensure_loading(collection_id)
                    return
                if state.change_seq <= index.applied_seq:
                    return
                removed = await reads.tombstones(collection_id, index.applied_seq)
                added = await reads.faces(state, after_seq=index.applied_seq)
                names = await reads.changed_names(collection_id, index.applied_seq, added)
                gone = await reads.faceless_people(index.people_of(removed))
            index.apply(removed, added, state.change_seq, names, gone)

    def _lock(self, collection_id: uuid.UUID) -> asyncio.Lock:
        return self._locks.setdefault(collection_id, asyncio.Lock())

    # -- background: follow changes, rebuild, prune

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._sync.interval_s)
            try:
                await self._sync_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the next round tries again; searches catch up on their own
                log.warning("search index sync failed", exc_info=True)

    async def _sync_once(self) -> None:
        # One statement for every collection's state, and a snapshot read only where one changed:
        # a round costs the same however many collections sit idle (a transaction each was ~2 ms
        # of this loop per collection per round).
        states = await index_reads.collection_states(self._db)
        for index in list(self._indexes.values()):
            state = states.get(uuid.UUID(bytes=index.collection_id))
            if state is None or not _fresh(index, state):
                await self._catch_up(index)  # also drops the index of a deleted collection
        # A collection imported through another replica loads before its first search, not by it.
        await self._load_missing(states)
        self._ids = {name: i for name, i in self._ids.items() if i in self._indexes or i in self._loading}
        self._reads = {i: reads for i, reads in self._reads.items() if i in self._indexes or not reads.idle}
        if self._rebuilding is None or self._rebuilding.done():
            pending = next((i for i in self._indexes.values() if i.needs_rebuild()), None)
            if pending is not None:
                self._rebuilding = asyncio.create_task(self._rebuild(pending))
        if time.monotonic() - self._last_prune > min(60.0, self._sync.tombstone_retention_s):
            self._last_prune = time.monotonic()
            await self._prune_tombstones()

    async def _rebuild(self, index: CollectionIndex) -> None:
        started = time.monotonic()
        await asyncio.to_thread(index.rebuild)
        log.info(
            "search index of collection %s rebuilt: %d faces in %.1fs",
            uuid.UUID(bytes=index.collection_id),
            index.snapshot.size,
            time.monotonic() - started,
        )

    async def _prune_tombstones(self) -> None:
        await index_reads.prune_tombstones(self._db, self._sync.tombstone_retention_s)


def _fresh(index: CollectionIndex, state: CollectionState) -> bool:
    return index.applied_seq >= state.change_seq and not _needs_reload(index, state)


def _needs_reload(index: CollectionIndex, state: CollectionState) -> bool:
    return index.model_version != state.model_version or index.applied_seq < state.reload_seq
