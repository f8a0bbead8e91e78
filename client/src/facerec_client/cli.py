"""`facerec`: the command line tool. Talks REST to a gateway (`--url`, `--api-key` or the
FACEREC_URL / FACEREC_API_KEY environment); on failure prints one line and exits non-zero.

    facerec export staff -o staff.jsonl [--images]
    facerec import staff staff.jsonl [--new-ids]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import httpx

CHUNK = 1 << 20


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
    progress = Progress("sent", path.stat().st_size)
    with _client(args) as client:
        reply = client.post(
            f"/api/v1/collections/{args.collection}/import",
            content=_read(path, progress),
            params={"new_ids": args.new_ids},
            headers={"content-type": "application/x-ndjson"},
        )
    progress.finish()
    if reply.status_code != 200:
        raise CliError(_reason(reply))
    body = reply.json()
    print(f"imported {body['people_imported']} people and {body['faces_imported']} faces into '{args.collection}'")


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="facerec", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    main.add_argument("--url", default=os.environ.get("FACEREC_URL", "http://127.0.0.1:8000"))
    main.add_argument("--api-key", default=os.environ.get("FACEREC_API_KEY"), help="admin key in keys mode")
    commands = main.add_subparsers(dest="command", required=True)
    out = commands.add_parser("export", help="write a collection file (JSON Lines) of a collection")
    out.add_argument("collection")
    out.add_argument("-o", "--output", default="-", help="file to write; - for standard output")
    out.add_argument("--images", action="store_true", help="include aligned crops and display images")
    out.set_defaults(run=export)
    into = commands.add_parser("import", help="read a collection file into a collection (all or nothing)")
    into.add_argument("collection")
    into.add_argument("file")
    into.add_argument("--new-ids", action="store_true", help="give people and faces new ids")
    into.set_defaults(run=import_)
    return main


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except CliError as exc:
        sys.exit(f"facerec {args.command}: {exc}")
    except httpx.HTTPError as exc:
        sys.exit(f"facerec {args.command}: cannot reach {args.url}: {exc}")
    except OSError as exc:
        sys.exit(f"facerec {args.command}: {exc}")


if __name__ == "__main__":
    main()
