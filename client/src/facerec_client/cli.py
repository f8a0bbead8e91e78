"""`facerec`: the command line tool. Talks REST to a gateway (`--url`, `--api-key` or the
FACEREC_URL / FACEREC_API_KEY environment); on failure prints one line and exits non-zero.

    facerec enrol photos/ --collection staff [--workers 4] [--refusals refused.csv]
    facerec identify --collection staff door.jpg [more.jpg ...]
    facerec verify a.jpg b.jpg
    facerec collections
    facerec people --collection staff
    facerec export staff -o staff.jsonl [--images]
    facerec import staff staff.jsonl [--new-ids] [--idempotency-key KEY]
    facerec cameras [add NAME URL --collection staff [--fps 5] | remove NAME]
    facerec events [--camera door] [--unknown] [--since 2026-12-07T08:00:00Z] [--follow]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from facerec_client import enrol as bulk
from facerec_client.api import ApiError, Client

CHUNK = 1 << 20
# An import whose answer is lost (the connection dropped, a proxy gave up) is sent again, with the
# same idempotency key: answered from the first if that one was imported, imported if not.
IMPORT_ATTEMPTS = 3
RETRIED_STATUSES = {502, 503, 504}
FOLLOW_EVERY_S = 2.0


class CliError(Exception):
    """A failure to report in one line."""


def _client(args: argparse.Namespace) -> httpx.Client:
    headers = {"x-api-key": args.api_key} if args.api_key else {}
    return httpx.Client(base_url=args.url, headers=headers, timeout=httpx.Timeout(60, read=3600))


def _reason(reply: httpx.Response) -> str:
    try:
        error = reply.json()["error"]
        return f"{reply.status_code} {error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return f"{reply.status_code}: {reply.text[:200]}"


class Progress:
    """Bytes done, rate and (when the total is known) ETA, on one line of stderr."""

    def __init__(self, verb: str, total: int | None) -> None:
        self.verb, self.total, self.done, self.start, self.shown = verb, total, 0, time.monotonic(), 0.0

    def add(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.shown >= 0.5:
            self.shown = now
            self.show(now)

    def show(self, now: float, end: str = "") -> None:
        rate = self.done / max(now - self.start, 1e-6) / 2**20
        line = f"\r{self.verb} {self.done / 2**20:,.1f} MB at {rate:,.1f} MB/s"
        if self.total:
            eta = (self.total - self.done) / max(rate * 2**20, 1)
            line += f" ({100 * self.done / self.total:.0f} %, {eta:.0f} s left)"
        print(line, end=end, file=sys.stderr, flush=True)

    def finish(self) -> None:
        self.show(time.monotonic(), end="\n")


def export(args: argparse.Namespace) -> None:
    out: BinaryIO = sys.stdout.buffer if args.output == "-" else Path(args.output).open("wb")  # noqa: SIM115
    progress = Progress("exported", None)
    try:
        with (
            _client(args) as client,
            client.stream(
                "GET", f"/api/v1/collections/{args.collection}/export", params={"images": args.images}
            ) as reply,
        ):
            if reply.status_code != 200:
                reply.read()
                raise CliError(_reason(reply))
            for chunk in reply.iter_bytes(CHUNK):
                out.write(chunk)
                progress.add(len(chunk))
    finally:
        if out is not sys.stdout.buffer:
            out.close()
    progress.finish()


def _read(path: Path, progress: Progress) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            progress.add(len(chunk))
            yield chunk


def import_(args: argparse.Namespace) -> None:
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    key = args.idempotency_key or str(uuid.uuid4())
    with _client(args) as client:
        for attempt in range(1, IMPORT_ATTEMPTS + 1):
            progress = Progress("sent", path.stat().st_size)
            try:
                reply = client.post(
                    f"/api/v1/collections/{args.collection}/import",
                    content=_read(path, progress),
                    params={"new_ids": args.new_ids},
                    headers={"content-type": "application/x-ndjson", "idempotency-key": key},
                )
                lost = _reason(reply) if reply.status_code in RETRIED_STATUSES else None
            except httpx.TransportError as exc:
                lost = f"{exc.__class__.__name__}: {exc}"
            progress.finish()
            if lost is None:
                break
            if attempt == IMPORT_ATTEMPTS:
                raise CliError(
                    f"no answer after {attempt} attempts ({lost}); send it again with --idempotency-key {key}"
                )
            print(f"no answer ({lost}); sending it again with the same key", file=sys.stderr)
            time.sleep(2**attempt)
    if reply.status_code != 200:
        raise CliError(_reason(reply))
    body = reply.json()
    counts = f"{body['people_imported']} people and {body['faces_imported']} faces into '{args.collection}'"
    if not body.get("replayed"):
        print(f"imported {counts}")
    elif attempt > 1:  # the attempt whose answer was lost did it
        print(f"imported {counts} (the answer to the attempt before, kept under key {key})")
    else:
        print(f"already imported with key {key}: {counts}; nothing imported now")


def _api(args: argparse.Namespace) -> Client:
    return Client(args.url, args.api_key)


def enrol(args: argparse.Namespace) -> None:
    source = Path(args.source)
    people = bulk.plan(source)
    photos = sum(len(p) for p in people.values())
    if not photos:
        raise CliError(f"{source}: no photos (.jpg, .jpeg, .png, .webp) in person folders")
    print(f"{photos} photos of {len(people)} people -> collection '{args.collection}'", file=sys.stderr)
    progress = bulk.ProgressBar(photos)
    with _api(args) as client:
        bulk.ensure_collection(client, args.collection)
        outcome = bulk.enrol(client, args.collection, people, args.workers, progress.add)
    print(bulk.summary(outcome))
    if args.refusals and outcome.refusals:
        bulk.write_refusals(Path(args.refusals), outcome.refusals)
        print(f"refusals written to {args.refusals}")


def identify(args: argparse.Namespace) -> None:
    with _api(args) as client:
        for photo in args.photos:
            found = client.identify(args.collection, Path(photo))
            if not found.faces:
                print(f"{photo}: no face")
            for i, face in enumerate(found.faces):
                best = face.candidates[0] if face.candidates else None
                who = face.name or "unknown"
                score = f" ({best.similarity:.3f})" if best else ""
                print(f"{photo} face {i}: {who}{score}")


def verify(args: argparse.Namespace) -> None:
    with _api(args) as client:
        result = client.verify(Path(args.a), Path(args.b))
    verdict = "same person" if result.match else "different people"
    print(f"{verdict}: similarity {result.similarity:.3f} (threshold {result.threshold:.3f})")


def collections(args: argparse.Namespace) -> None:
    with _api(args) as client:
        for c in client.collections():
            print(f"{c.name}\t{c.people_count} people\t{c.face_count} faces")


def people(args: argparse.Namespace) -> None:
    with _api(args) as client:
        for p in client.people(args.collection):
            print(f"{p.person_id}\t{p.name}\t{p.external_id or ''}\t{p.face_count} faces")


def cameras(args: argparse.Namespace) -> None:
    with _api(args) as client:
        if args.action == "add":
            if not args.name or not args.source or not args.collection:
                raise CliError("add needs NAME, SOURCE_URL and --collection")
            added = client.add_camera(args.name, args.source, args.collection, fps=args.fps)
            print(f"{added['name']}\t{added['source']}\t{added['collection']}\t{added['state']['state']}")
        elif args.action == "remove":
            if not args.name:
                raise CliError("remove needs NAME")
            client.remove_camera(args.name)
            print(f"{args.name} removed")
        else:
            for c in client.cameras():
                state = c["state"]
                reason = f" ({state['reason']})" if state["reason"] else ""
                print(
                    f"{c['name']}\t{c['source']}\t{c['collection']}\t{state['state']}{reason}"
                    f"\t{state['analysed_fps']:.1f} fps\tlag {state['lag_seconds']:.2f} s"
                )


def _event_line(event: dict[str, Any]) -> str:
    person = event["person"]
    who = f"{person['name']} ({event['score']:.3f})" if person else "unknown"
    return f"{event['first_seen']}\t{event['camera']}\t{who}\t{event['event_id']}"


def events(args: argparse.Namespace) -> None:
    """Events newest first; --follow: then every new one as it comes, oldest first, until Ctrl-C."""
    filters = {"camera": args.camera, "unknown": args.unknown or None, "since": args.since, "limit": args.limit}
    with _api(args) as client:
        page = client.events(**filters)
        shown = {e["event_id"] for e in page["events"]}
        for event in page["events"] if not args.follow else reversed(page["events"]):
            print(_event_line(event), flush=True)
        while args.follow:
            time.sleep(FOLLOW_EVERY_S)
            fresh = [e for e in client.events(**{**filters, "limit": 200})["events"] if e["event_id"] not in shown]
            for event in reversed(fresh):
                shown.add(event["event_id"])
                print(_event_line(event), flush=True)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="facerec", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    main.add_argument("--url", default=os.environ.get("FACEREC_URL", "http://127.0.0.1:8000"))
    main.add_argument("--api-key", default=os.environ.get("FACEREC_API_KEY"), help="admin key in keys mode")
    commands = main.add_subparsers(dest="command", required=True)
    bulk_enrol = commands.add_parser("enrol", help="enrol a folder of person folders (or a CSV of path,name)")
    bulk_enrol.add_argument("source", help="folder with one sub-folder of photos per person, or a CSV of path,name")
    bulk_enrol.add_argument("--collection", required=True)
    bulk_enrol.add_argument("--workers", type=int, default=4, help="people enrolled at once (default 4)")
    bulk_enrol.add_argument("--refusals", help="write refused photos and their reasons to this CSV")
    bulk_enrol.set_defaults(run=enrol)
    who = commands.add_parser("identify", help="who is in these photos")
    who.add_argument("--collection", required=True)
    who.add_argument("photos", nargs="+")
    who.set_defaults(run=identify)
    same = commands.add_parser("verify", help="are these two photos of the same person")
    same.add_argument("a")
    same.add_argument("b")
    same.set_defaults(run=verify)
    commands.add_parser("collections", help="list collections").set_defaults(run=collections)
    listing = commands.add_parser("people", help="list a collection's people")
    listing.add_argument("--collection", required=True)
    listing.set_defaults(run=people)
    out = commands.add_parser("export", help="write a collection file (JSON Lines) of a collection")
    out.add_argument("collection")
    out.add_argument("-o", "--output", default="-", help="file to write; - for standard output")
    out.add_argument("--images", action="store_true", help="include aligned crops and display images")
    out.set_defaults(run=export)
    into = commands.add_parser("import", help="read a collection file into a collection (all or nothing)")
    into.add_argument("collection")
    into.add_argument("file")
    into.add_argument("--new-ids", action="store_true", help="give people and faces new ids")
    into.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="name this import (default: a new UUID), so that sending it again imports it at most once",
    )
    into.set_defaults(run=import_)
    watched = commands.add_parser("cameras", help="list, add or remove cameras (admin)")
    watched.add_argument("action", nargs="?", choices=["list", "add", "remove"], default="list")
    watched.add_argument("name", nargs="?")
    watched.add_argument("source", nargs="?", metavar="SOURCE_URL")
    watched.add_argument("--collection")
    watched.add_argument("--fps", type=float, default=5.0)
    watched.set_defaults(run=cameras)
    seen = commands.add_parser("events", help="who the cameras saw, newest first")
    seen.add_argument("--camera")
    seen.add_argument("--unknown", action="store_true", help="only people not enrolled")
    seen.add_argument("--since", help="RFC 3339 time, e.g. 2026-12-07T08:00:00Z")
    seen.add_argument("--limit", type=int, default=50)
    seen.add_argument("--follow", "-f", action="store_true", help="keep printing new events until Ctrl-C")
    seen.set_defaults(run=events)
    return main


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except KeyboardInterrupt:
        sys.exit(130)
    except (CliError, ApiError) as exc:
        sys.exit(f"facerec {args.command}: {exc}")
    except httpx.HTTPError as exc:
        sys.exit(f"facerec {args.command}: cannot reach {args.url}: {exc}")
    except OSError as exc:
        sys.exit(f"facerec {args.command}: {exc}")


if __name__ == "__main__":
    main()
