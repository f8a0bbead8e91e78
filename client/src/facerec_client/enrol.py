"""Bulk enrolment: a folder with one sub-folder of photos per person (or a CSV of path,name)
into a collection, concurrently, resumably.

Each person is found again by `external_id` (the sub-folder's name, or the CSV's name), and the
photos enrolled for them are recorded in their metadata (`enrolled_photos`: file name -> face
id), so a second run skips them and enrols only what is new. One worker handles one person at
a time (their metadata is written by one hand); people run in parallel.
"""

from __future__ import annotations

import csv
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from facerec_client.api import ApiError, Client, Person

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
METADATA_KEY = "enrolled_photos"


@dataclass(frozen=True)
class Refusal:
    path: Path
    code: str
    message: str


@dataclass
class Outcome:
    enrolled: int = 0
    skipped: int = 0
    people_created: int = 0
    refusals: list[Refusal] = field(default_factory=list)


def plan(source: Path) -> dict[str, list[Path]]:
    """Person (external id) -> their photos, from a folder of sub-folders or a CSV of path,name."""
    if source.is_file():
        people: dict[str, list[Path]] = {}
        with source.open(newline="") as file:
            for row in csv.reader(file):
                if len(row) < 2 or row[0].strip().lower() == "path":
                    continue
                path = Path(row[0].strip())
                people.setdefault(row[1].strip(), []).append(path if path.is_absolute() else source.parent / path)
        return people
    if not source.is_dir():
        raise FileNotFoundError(f"{source}: neither a folder nor a CSV file")
    return {
        folder.name: sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
        for folder in sorted(source.iterdir())
        if folder.is_dir()
    }


class ProgressBar:
    """[=====>    ] done/total photos, rate, ETA, refusals: one line of stderr, redrawn."""

    def __init__(self, total: int, width: int = 30) -> None:
        self.total, self.width, self.done, self.refused = total, width, 0, 0
        self.start = time.monotonic()
        self._lock = threading.Lock()
        self._shown = 0.0

    def add(self, refused: bool = False) -> None:
        with self._lock:
            self.done += 1
            self.refused += refused
            now = time.monotonic()
            if now - self._shown >= 0.2 or self.done == self.total:
                self._shown = now
                self._draw(now)

    def _draw(self, now: float) -> None:
        share = self.done / max(self.total, 1)
        filled = int(share * self.width)
        bar = "=" * filled + (">" if filled < self.width else "") + " " * max(self.width - filled - 1, 0)
        rate = self.done / max(now - self.start, 1e-6)
        eta = (self.total - self.done) / rate if rate > 0 else 0
        print(
            f"\r[{bar}] {self.done}/{self.total} photos  {rate:.1f}/s  ETA {eta:.0f} s  {self.refused} refused",
            end="\n" if self.done == self.total else "",
            file=sys.stderr,
            flush=True,
        )


def enrol(
    client: Client, collection: str, people: dict[str, list[Path]], workers: int, on_photo: Callable[[bool], None]
) -> Outcome:
    """Enrol what is not enrolled yet; `on_photo(refused)` after each photo looked at."""
    known = {p.external_id: p for p in client.people(collection) if p.external_id}
    outcome = Outcome()
    lock = threading.Lock()

    def one_person(external_id: str, photos: list[Path]) -> None:
        person = known.get(external_id)
        if person is None:
            person = _create(client, collection, external_id)
            with lock:
                outcome.people_created += 1
        recorded: dict[str, str] = dict(person.metadata.get(METADATA_KEY) or {})
        added = False
        for path in photos:
            if path.name in recorded:
                with lock:
                    outcome.skipped += 1
                on_photo(False)
                continue
            try:
                done = client.enrol(collection, person.person_id, path)
            except ApiError as exc:
                if exc.status >= 500:
                    raise
                with lock:
                    outcome.refusals.append(Refusal(path, exc.code, exc.message))
                on_photo(True)
                continue
            except OSError as exc:
                with lock:
                    outcome.refusals.append(Refusal(path, "UNREADABLE", str(exc)))
                on_photo(True)
                continue
            recorded[path.name] = done.face_id
            added = True
            with lock:
                outcome.enrolled += 1
            on_photo(False)
        if added:
            client.update_person_metadata(collection, person.person_id, {METADATA_KEY: recorded})

    with ThreadPoolExecutor(max(workers, 1), thread_name_prefix="enrol") as pool:
        for future in [pool.submit(one_person, person, photos) for person, photos in people.items()]:
            future.result()
    return outcome


def _create(client: Client, collection: str, external_id: str) -> Person:
    name = external_id.replace("_", " ")
    try:
        return client.create_person(collection, name, external_id=external_id)
    except ApiError as exc:
        if exc.code != "EXTERNAL_ID_TAKEN":
            raise
        # Another run created them meanwhile: use theirs.
        for person in client.people(collection):
            if person.external_id == external_id:
                return person
        raise


def ensure_collection(client: Client, collection: str) -> None:
    try:
        client.create_collection(collection)
    except ApiError as exc:
        if exc.code != "COLLECTION_EXISTS":
            raise


def write_refusals(path: Path, refusals: list[Refusal]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["path", "code", "message"])
        for r in refusals:
            writer.writerow([str(r.path), r.code, r.message])


def summary(outcome: Outcome) -> str:
    lines = [
        f"enrolled {outcome.enrolled} photos, skipped {outcome.skipped} already enrolled, "
        f"refused {len(outcome.refusals)}; {outcome.people_created} new people"
    ]
    for code, count in Counter(r.code for r in outcome.refusals).most_common():
        lines.append(f"  {count:5} {code}")
    return "\n".join(lines)
