"""Recognition accuracy of the model in use, measured through the real services' HTTP API.

    make accuracy                                   # starts its own stack on free ports
    .venv/bin/python bench/accuracy.py --url http://127.0.0.1:8000   # against `make run`

Prints, and writes to bench/results/accuracy-<model>.json (+ a PNG of the score histograms):
- 1:1 verification on faces-pairs.txt: accuracy at the default threshold and at the best
  one, equal error rate, TAR at FAR 1e-2 and 1e-3 (null when there are too few impostor
  pairs to measure that FAR), and the same on every pair of the dev set (extended);
- 1:N identification: 50 people enrolled with 2 photos each, their other photos
  identified, plus 10 people never enrolled: rank-1, FPIR and FNIR at the default threshold;
- detection: labelled faces found, faces found in photos without any, recall on the
  annotated group photos (IoU >= 0.4);
- enrolment quality gate: share of dev photos whose face passes it;
- the crowd (data/crowd: 4,901 unfiltered LFW photos of 2,560 people): face choice (strictly:
  how often the face taken is not the one the photo is centred on, over every photo with a face;
  and how often it is the named person, judged by agreement with their other photos, against
  "the largest face"; how often a photo would be refused as MULTIPLE_FACES) and open-set 1:N
  as NIST FRVT reports it: 1,560 people enrolled from one photo each, their other photos as
  mated probes, 1,000 never-enrolled people as strangers; rank-1, FNIR at FPIR 0.3 % and 1 %,
  and FPIR / FNIR at the service's own threshold (its default target FPIR).
Dev photos go through POST /api/v1/embed, /verify, /collections/.../faces and /identify. Crowd
photos are detected and embedded in process by the services' own code and cached by model
and file hash (.cache/faces; ~15 min the first time on 2 cores, seconds after); the gallery is
loaded through POST .../import and every probe searched through POST .../search.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt

from facerec_common import open_set
from facerec_devstack import crowd, photos, synthetic
from facerec_devstack.stack import gateway_url

ROOT = Path(__file__).resolve().parents[1]
V1 = "/api/v1"
# What the model's authors publish for it on LFW's 10-fold protocol (their aligned crops).
PUBLISHED_LFW_ACCURACY = {"w600k_mbf": 0.9970}
ENROLLED_PEOPLE = 50
ENROLLED_PHOTOS = 2
CONCURRENCY = 3
MIN_IMPOSTORS_PER_FAR = 1  # a FAR of f is measurable only with at least 1/f impostor pairs


@dataclass
class PhotoResult:
    faces: list[dict[str, Any]]
    embedding: npt.NDArray[np.float32] | None = None
    problems: list[str] = field(default_factory=list)


async def _gather_limited(jobs: list[Any], limit: int = CONCURRENCY) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def run(job: Any) -> Any:
        async with gate:
            return await job

    return await asyncio.gather(*(run(j) for j in jobs))


def _post_photo(client: httpx.AsyncClient, url: str, path: Path, **data: Any) -> Any:
    return client.post(url, files={"file": (path.name, path.read_bytes(), "image/jpeg")}, data=data)


async def _embed(client: httpx.AsyncClient, path: Path) -> PhotoResult:
    reply = await _post_photo(client, f"{V1}/embed", path)
    reply.raise_for_status()
    faces = reply.json()["faces"]
    if not faces:
        return PhotoResult(faces=[])
    largest = faces[0]
    return PhotoResult(
        faces=faces,
        embedding=np.asarray(largest["embedding"], dtype=np.float32),
        problems=largest["quality"]["problems"],
    )


def _rates(
    genuine: npt.NDArray[np.float64], impostor: npt.NDArray[np.float64], threshold: float
) -> tuple[float, float]:
    """(false accept rate, false reject rate) at a threshold."""
    return float((impostor >= threshold).mean()), float((genuine < threshold).mean())


def verification(
    genuine: npt.NDArray[np.float64], impostor: npt.NDArray[np.float64], threshold: float
) -> dict[str, Any]:
    candidates = np.unique(np.concatenate([genuine, impostor, [threshold]]))
    accuracies = [
        (((genuine >= t).sum() + (impostor < t).sum()) / (len(genuine) + len(impostor)), t) for t in candidates
    ]
    best_accuracy, best_threshold = max(accuracies)
    far_frr = np.array([_rates(genuine, impostor, t) for t in candidates])
    eer_index = int(np.argmin(np.abs(far_frr[:, 0] - far_frr[:, 1])))
    tar: dict[str, float | None] = {}
    for far in (1e-2, 1e-3):
        if len(impostor) < MIN_IMPOSTORS_PER_FAR / far:
            tar[f"{far:g}"] = None
            continue
        allowed = int(np.floor(far * len(impostor)))
        cut = float(np.sort(impostor)[len(impostor) - allowed - 1]) + 1e-6
        tar[f"{far:g}"] = round(float((genuine >= cut).mean()), 4)
    far_at, frr_at = _rates(genuine, impostor, threshold)
    return {
        "genuine_pairs": len(genuine),
        "impostor_pairs": len(impostor),
        "threshold": round(threshold, 4),
        "accuracy_at_threshold": round(
            1 - (far_at * len(impostor) + frr_at * len(genuine)) / (len(genuine) + len(impostor)), 4
        ),
        "far_at_threshold": round(far_at, 5),
        "frr_at_threshold": round(frr_at, 4),
        "best_accuracy": round(float(best_accuracy), 4),
        "best_threshold": round(float(best_threshold), 4),
        "eer": round(float(far_frr[eer_index].mean()), 4),
        "tar_at_far": tar,
        "too_few_pairs_for": [k for k, v in tar.items() if v is None],
    }


def _box(b: dict[str, float]) -> photos.Box:
    return (b["x"], b["y"], b["width"], b["height"])


async def _detection(client: httpx.AsyncClient, data: Path, results: dict[Path, PhotoResult]) -> dict[str, Any]:
    centred = sum(
        any(
            abs(f["box"]["x"] + f["box"]["width"] / 2 - 125) < 30
            and abs(f["box"]["y"] + f["box"]["height"] / 2 - 125) < 30
            for f in r.faces
        )
        for r in results.values()
    )
    exactly_one = sum(len(r.faces) == 1 for r in results.values())
    no_face_paths = sorted((data / "no-face").glob("*.jpg"))
    no_face = await _gather_limited([_post_photo(client, f"{V1}/detect", p) for p in no_face_paths])
    annotated = photos.group_faces(data)
    group = await _gather_limited([_post_photo(client, f"{V1}/detect", path) for path in annotated])
    found = total = exact = 0
    for boxes, reply in zip(annotated.values(), group, strict=True):
        detected = reply.json()["faces"]
        hits = sum(any(photos.iou(_box(d["box"]), b) >= 0.4 for d in detected) for b in boxes)
        found += hits
        total += len(boxes)
        exact += hits == len(boxes) and len(detected) == len(boxes)
    return {
        "labelled_photos": len(results),
        "labelled_face_found": round(centred / len(results), 4),
        "exactly_one_face": round(exactly_one / len(results), 4),
        "no_face_photos": len(no_face_paths),
        "faces_found_in_no_face_photos": sum(len(r.json()["faces"]) for r in no_face),
        "group_photos": len(annotated),
        "group_recall_iou_0.4": round(found / total, 4),
        "group_photos_exactly_right": exact,
    }


async def _identification(client: httpx.AsyncClient, people: dict[str, list[Path]]) -> dict[str, Any]:
    collection = f"accuracy-{uuid.uuid4().hex[:8]}"
    (await client.post(f"{V1}/collections", json={"name": collection})).raise_for_status()
    try:
        names = list(people)
        enrolled, strangers = names[:ENROLLED_PEOPLE], names[ENROLLED_PEOPLE:]
        ids: dict[str, str] = {}
        for name in enrolled:
            reply = await client.post(f"{V1}/collections/{collection}/people", json={"name": name})
            reply.raise_for_status()
            ids[name] = reply.json()["person_id"]
        url = f"{V1}/collections/{collection}/people/{{}}/faces"
        enrolments = [
            _post_photo(client, url.format(ids[n]), p, select="largest")
            for n in enrolled
            for p in people[n][:ENROLLED_PHOTOS]
        ]
        for reply in await _gather_limited(enrolments):
            reply.raise_for_status()
        mated = [(n, p) for n in enrolled for p in people[n][ENROLLED_PHOTOS:]]
        non_mated = [(None, p) for n in strangers for p in people[n]]
        probes = mated + non_mated
        replies = await _gather_limited(
            [_post_photo(client, f"{V1}/collections/{collection}/identify", p) for _, p in probes]
        )
        rank1 = fnir = fpir = 0
        for (truth, _), reply in zip(probes, replies, strict=True):
            face = reply.json()["faces"][0]
            top = face["candidates"][0]["name"] if face["candidates"] else None
            if truth is None:
                fpir += face["match"]
            else:
                rank1 += top == truth
                fnir += not (face["match"] and top == truth)
        return {
            "enrolled_people": len(enrolled),
            "photos_per_person": ENROLLED_PHOTOS,
            "mated_probes": len(mated),
            "non_mated_probes": len(non_mated),
            "rank1": round(rank1 / len(mated), 4),
            "fnir_at_threshold": round(fnir / len(mated), 4),
            "fpir_at_threshold": round(fpir / len(non_mated), 4),
        }
    finally:
        await client.delete(f"{V1}/collections/{collection}")


def _plot(
    genuine: npt.NDArray[np.float64], impostor: npt.NDArray[np.float64], threshold: float, model: str, path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    bins = np.linspace(-0.3, 1.0, 66).tolist()
    ax.hist(
        impostor, bins=bins, alpha=0.6, density=True, label=f"different people ({len(impostor)} pairs)", color="tab:red"
    )
    ax.hist(genuine, bins=bins, alpha=0.6, density=True, label=f"same person ({len(genuine)} pairs)", color="tab:blue")
    ax.axvline(threshold, color="black", linestyle="--", label=f"default threshold {threshold:.2f}")
    ax.set_xlabel("cosine similarity")
    ax.set_ylabel("density")
    ax.set_title(f"{model}: genuine vs impostor scores, all pairs of the dev set")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _write(
    report: dict[str, Any], genuine: npt.NDArray[np.float64], impostor: npt.NDArray[np.float64], out_dir: Path
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    name = report["model"]["name"]
    (out_dir / f"accuracy-{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    _plot(genuine, impostor, report["threshold"], name, out_dir / f"accuracy-{name}.png")


async def measure_crowd(
    client: httpx.AsyncClient, data: Path, model_path: Path, model: dict[str, Any], people: int | None = None
) -> dict[str, Any]:
    """Face choice and open-set 1:N on the crowd (`people`: a subset, for the tests' floors)."""
    started = time.perf_counter()
    photos_ = await asyncio.to_thread(crowd.load, data, model_path, people)
    choice = crowd.face_choice(photos_)
    split = crowd.open_set_split(photos_)
    collection = f"crowd-{uuid.uuid4().hex[:8]}"
    ref = synthetic.Model(model["name"], model["version"], len(split.gallery[0]))
    body = b"".join(synthetic.collection_file(ref, split.gallery, faces_per_person=1))
    reply = await client.post(
        f"{V1}/collections/{collection}/import", content=body, headers={"content-type": "application/x-ndjson"}
    )
    reply.raise_for_status()
    try:

        async def search(vector: npt.NDArray[np.float32]) -> dict[str, Any]:
            found = await client.post(
                f"{V1}/collections/{collection}/search", json={"embedding": vector.tolist(), "top_k": 1}
            )
            found.raise_for_status()
            result: dict[str, Any] = found.json()
            return result

        mated = await _gather_limited([search(v) for _, v in split.mated], 4)
        strangers = await _gather_limited([search(v) for v in split.strangers], 4)
    finally:
        await client.delete(f"{V1}/collections/{collection}")

    def top(result: dict[str, Any]) -> tuple[int | None, float]:
        if not result["candidates"]:
            return None, -1.0
        best = result["candidates"][0]
        return int(best["name"].split()[-1]), float(best["similarity"])

    mated_top = [(top(r)[0] == index, top(r)[1]) for (index, _), r in zip(split.mated, mated, strict=True)]
    stranger_scores = np.array([top(r)[1] for r in strangers])
    at_fpir = {}
    for fpir in (0.003, 0.01):
        threshold, fnir = crowd.fnir_at_fpir(mated_top, stranger_scores, fpir)
        at_fpir[f"{fpir:g}"] = {"threshold": round(threshold, 4), "fnir": round(fnir, 4)}
    # The service's threshold at other targets (same formula as the registry's, this gallery's size).
    record = open_set.calibration(model["name"])
    at_target = {}
    if record is not None:
        tail, floor = open_set.tail_of(record), float(str(record["threshold"]))
        for target in (0.001, open_set.DEFAULT_TARGET_FPIR, 0.01):
            threshold = open_set.identification_threshold(tail, len(split.gallery), target, floor)
            missed = sum(1 for right, score in mated_top if not (right and score >= threshold))
            at_target[f"{target:g}"] = {
                "threshold": round(threshold, 4),
                "fpir": round(float(np.mean(stranger_scores >= threshold)), 4),
                "fnir": round(missed / len(mated_top), 4),
            }
    found_at_default = sum(1 for (right, _), r in zip(mated_top, mated, strict=True) if right and r["match"])
    return {
        "face_choice": choice,
        "open_set": {
            "enrolled_people": len(split.enrolled),
            "mated_probes": len(split.mated),
            "strangers": len(split.strangers),
            "rank1": round(sum(right for right, _ in mated_top) / len(mated_top), 4),
            "fnir_at_fpir": at_fpir,
            "at_target_fpir": at_target,
            "default": {
                "threshold": round(float(strangers[0]["threshold"]), 4),
                "target_fpir": strangers[0]["target_fpir"],
                "threshold_basis": strangers[0]["threshold_basis"],
                "fpir": round(sum(r["match"] for r in strangers) / len(strangers), 4),
                "fnir": round(1 - found_at_default / len(mated), 4),
            },
        },
        # LFW's 10-fold protocol on the crowd's own pairs, beside the model's published LFW figure.
        "verification_10fold": {
            **crowd.verification_10fold(photos_),
            "published_lfw_accuracy": PUBLISHED_LFW_ACCURACY.get(model["name"]),
        },
        # Every photo as a stranger (people rotated through galleries of this size, several
        # draws) at the service's own threshold: many times the strangers of the split above.
        "strangers_rotated": crowd.rotated_stranger_fpir(photos_, len(split.gallery), float(strangers[0]["threshold"])),
        "seconds": round(time.perf_counter() - started, 1),
    }


async def measure(url: str, data: Path, out_dir: Path, model_path: Path | None = None) -> dict[str, Any]:
    people = photos.people(data)
    paths = [p for ps in people.values() for p in ps]
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        embedded = dict(zip(paths, await _gather_limited([_embed(client, p) for p in paths]), strict=True))
        first, second = paths[0], paths[1]
        probe = await client.post(
            f"{V1}/verify",
            files={"image_a": (first.name, first.read_bytes()), "image_b": (second.name, second.read_bytes())},
        )
        probe.raise_for_status()
        threshold, model = probe.json()["threshold"], probe.json()["model"]

        def score(a: Path, b: Path) -> float:
            ea, eb = embedded[a].embedding, embedded[b].embedding
            return float(ea @ eb) if ea is not None and eb is not None else -1.0

        listed = photos.pairs(data)
        pairs_gen = np.array([score(a, b) for a, b, same in listed if same])
        pairs_imp = np.array([score(a, b) for a, b, same in listed if not same])
        owner = {p: name for name, ps in people.items() for p in ps}
        all_gen: list[float] = []
        all_imp: list[float] = []
        for a, b in itertools.combinations(paths, 2):
            (all_gen if owner[a] == owner[b] else all_imp).append(score(a, b))
        detection = await _detection(client, data, embedded)
        identification = await _identification(client, people)
        at_scale = await measure_crowd(client, data, model_path, model) if model_path is not None else None

    report = {
        "model": model,
        "threshold": threshold,
        "verification": verification(pairs_gen, pairs_imp, threshold),
        "verification_all_pairs": verification(np.array(all_gen), np.array(all_imp), threshold),
        "median_genuine_similarity": round(float(np.median(all_gen)), 4),
        "identification": identification,
        "detection": detection,
        "quality_gate": {
            "photos": len(embedded),
            "accepted": sum(1 for r in embedded.values() if r.embedding is not None and not r.problems),
            "refused": {p.name: r.problems for p, r in embedded.items() if r.problems},
        },
        "crowd": at_scale,
    }
    await asyncio.to_thread(_write, report, np.array(all_gen), np.array(all_imp), out_dir)
    return report


def print_report(report: dict[str, Any]) -> None:
    v, va, i, d, q = (
        report[k] for k in ("verification", "verification_all_pairs", "identification", "detection", "quality_gate")
    )
    model = report["model"]
    print(f"\nmodel {model['name']} ({model['version']}), default threshold {report['threshold']}\n")
    print(f"{'1:1 verification':40}{'faces-pairs.txt':>18}{'all dev pairs':>16}")
    pairs = f"{v['genuine_pairs']:>10} / {v['impostor_pairs']:<5}{va['genuine_pairs']:>8} / {va['impostor_pairs']:<6}"
    print(f"{'  pairs (genuine / impostor)':40}{pairs}")
    for key, label in (
        ("accuracy_at_threshold", "accuracy at default threshold"),
        ("best_accuracy", "best accuracy"),
        ("best_threshold", "  at threshold"),
        ("eer", "equal error rate"),
        ("far_at_threshold", "FAR at default threshold"),
        ("frr_at_threshold", "FRR at default threshold"),
    ):
        print(f"  {label:38}{v[key]:>18}{va[key]:>16}")
    for far in ("0.01", "0.001"):
        a, b = (x if x is not None else "too few pairs" for x in (v["tar_at_far"][far], va["tar_at_far"][far]))
        print(f"  {'TAR at FAR ' + far:38}{a:>18}{b:>16}")
    print(f"\n1:N identification ({i['enrolled_people']} people x {i['photos_per_person']} photos enrolled)")
    print(f"  rank-1 on {i['mated_probes']} probes of enrolled people{'':6}{i['rank1']:>10}")
    print(f"  FNIR at default threshold{'':24}{i['fnir_at_threshold']:>10}")
    print(f"  FPIR on {i['non_mated_probes']} probes of strangers{'':18}{i['fpir_at_threshold']:>10}")
    print("\ndetection")
    print(f"  labelled face found in {d['labelled_photos']} dev photos{'':13}{d['labelled_face_found']:>10}")
    print(f"  dev photos with exactly one face{'':17}{d['exactly_one_face']:>10}")
    print(
        f"  faces found in {d['no_face_photos']} photos without a face{'':12}{d['faces_found_in_no_face_photos']:>10}"
    )
    print(f"  recall on annotated group faces (IoU>=0.4){'':7}{d['group_recall_iou_0.4']:>10}")
    print(f"  group photos exactly right{'':23}{d['group_photos_exactly_right']:>7} / {d['group_photos']}")
    print(f"\nenrolment quality gate: {q['accepted']} of {q['photos']} dev photos accepted")
    c = report.get("crowd")
    if c is None:
        return
    fc, o = c["face_choice"], c["open_set"]
    print(f"\ncrowd: face choice on {fc['photos_with_a_face']} photos with a face")
    print(f"  refused as MULTIPLE_FACES{'':24}{fc['multiple_faces_rate']:>10}")
    strict = f"{fc['subject_not_central']} ({fc['subject_not_central_rate']:.3%})"
    print(f"  subject not the face the photo is centred on (all {fc['photos_with_a_face']}){'':1}{strict:>14}")
    print(f"  subject is the named person ({fc['judged_photos']} judged){'':7}{fc['subject_is_named_person']:>10}")
    print(f"  largest face is the named person{'':17}{fc['largest_is_named_person']:>10}")
    v = c["verification_10fold"]
    published = v["published_lfw_accuracy"]
    print(
        f"\ncrowd: 1:1, 10 folds, {v['genuine_pairs']} genuine + {v['impostor_pairs']} impostor pairs: "
        f"{v['accuracy_mean']:.2%} +- {v['accuracy_std']:.2%} ({v['errors']} errors)"
        + (f"; the model's published LFW figure: {published:.2%}" if published else "")
    )
    r = c["strangers_rotated"]
    low, high = r["fpir_95ci"]
    print(
        f"crowd: every photo a stranger ({r['strangers']}) against {r['gallery_people']}-person galleries at "
        f"{r['threshold']}, {r['draws']} draws: FPIR {r['fpir']:.2%} (95 % CI {low:.2%}-{high:.2%}; "
        f"per draw {min(r['fpir_per_draw']):.2%}-{max(r['fpir_per_draw']):.2%}, matched {r['matched_per_draw']})"
    )
    print(
        f"\ncrowd: open-set 1:N, {o['enrolled_people']} people enrolled, {o['mated_probes']} mated probes, "
        f"{o['strangers']} strangers"
    )
    print(f"  rank-1{'':43}{o['rank1']:>10}")
    for fpir, row in o["fnir_at_fpir"].items():
        print(f"  FNIR at FPIR {fpir:<6} (threshold {row['threshold']:.3f}){'':11}{row['fnir']:>10}")
    for target, row in o.get("at_target_fpir", {}).items():
        print(f"  target FPIR {target:<6} (threshold {row['threshold']:.3f}): FPIR {row['fpir']:<7} FNIR {row['fnir']}")
    d = o["default"]
    print(f"  default threshold {d['threshold']:.3f} ({d['threshold_basis']}, target FPIR {d['target_fpir']})")
    print(f"  FPIR at default{'':34}{d['fpir']:>10}")
    print(f"  FNIR at default{'':34}{d['fnir']:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running gateway; default: start a fresh stack on free ports")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "w600k_mbf.onnx")
    parser.add_argument("--data", type=Path, default=photos.data_dir())
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--no-crowd", action="store_true", help="skip the crowd (face choice, open-set 1:N)")
    args = parser.parse_args()

    started = time.perf_counter()
    with gateway_url(args.url, args.model) as url:
        report = asyncio.run(measure(url, args.data, args.out, None if args.no_crowd else args.model))
    print_report(report)
    name = report["model"]["name"]
    print(f"\nwritten: bench/results/accuracy-{name}.json and .png ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
