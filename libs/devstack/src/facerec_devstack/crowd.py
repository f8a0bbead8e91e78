"""The crowd photos (`data/crowd`, unfiltered LFW) as accuracy work needs them: each photo's
faces (cached, see face_cache), face choice judged against the person's other photos, and the
open-set split of NIST FRVT 1:N: people with several photos enrolled from one, probed with the
others; people with one photo never enrolled, probed as strangers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from facerec_devstack import face_cache

# A face agrees with its person's other photos when its best similarity to a face in them
# reaches this (well above any impostor score at FMR 1e-4); photos with no face that agrees
# cannot be judged.
AGREEMENT = 0.4
# LFW folders that hold the same person under two names: one person here, so their photos are
# never counted as strangers or impostor pairs of each other.
ALIASES = {
    "Joseph_Blatter": "Sepp_Blatter",
    "Mireya_Elisa_Moscoso_Rodriguez": "Mireya_Moscoso",
    "Stephen_Ebberharter": "Stephan_Eberharter",
}


@dataclass(frozen=True)
class Photo:
    path: Path
    person: str
    faces: face_cache.PhotoFaces


def load(data: Path, model_path: Path, people: int | None = None) -> list[Photo]:
    """The crowd's photos with their faces; `people`: only the first N of each kind (a quick subset)."""
    by_person: dict[str, list[Path]] = defaultdict(list)
    for path in face_cache.photos_under(data / "crowd"):
        by_person[path.parent.name].append(path)
    if people is not None:
        several = [p for p in sorted(by_person) if len(by_person[p]) > 1][:people]
        single = [p for p in sorted(by_person) if len(by_person[p]) == 1][: people // 2]
        by_person = {p: by_person[p] for p in several + single}
    paths = [p for ps in by_person.values() for p in ps]
    faces = face_cache.faces_of(paths, model_path)
    return [Photo(p, ALIASES.get(p.parent.name, p.parent.name), faces[p]) for p in paths]


def true_face(photo: Photo, others: list[Photo]) -> int | None:
    """The face of `photo` that agrees with the person's other photos; None if none does."""
    theirs = [o.faces.embeddings for o in others if len(o.faces)]
    if not len(photo.faces) or not theirs:
        return None
    agreement = (photo.faces.embeddings @ np.concatenate(theirs).T).max(axis=1)
    best = int(np.argmax(agreement))
    return best if agreement[best] >= AGREEMENT else None


def central_face(faces: face_cache.PhotoFaces) -> int | None:
    """The strict judge: the face the photo's framing is centred on. Every crowd photo is an LFW
    crop centred on its named person (checked by eye on a sample: docs/face-choice.md), so the
    face whose box centre is nearest the image centre is the subject; None without a face."""
    if not len(faces):
        return None
    centres = faces.boxes[:, :2] + faces.boxes[:, 2:] / 2
    distances = np.hypot(centres[:, 0] - faces.width / 2, centres[:, 1] - faces.height / 2)
    return int(np.argmin(distances))


def face_choice(photos: list[Photo]) -> dict[str, Any]:
    """How often the face taken is the named person (judged by their other photos), for subject
    choice and for "largest face"; and how often a photo would be refused as ambiguous."""
    by_person: dict[str, list[Photo]] = defaultdict(list)
    for photo in photos:
        by_person[photo.person].append(photo)
    with_face = ambiguous = judged = subject_right = largest_right = not_central = 0
    wrong: list[str] = []
    off_centre: list[str] = []
    for photo in photos:
        choice = photo.faces.subject()
        if choice is None:
            continue
        with_face += 1
        ambiguous += choice.ambiguous
        if choice.index != central_face(photo.faces):
            not_central += 1
            off_centre.append(f"{photo.person}/{photo.path.name}")
        truth = true_face(photo, [o for o in by_person[photo.person] if o is not photo])
        if truth is None:
            continue
        judged += 1
        subject_right += choice.index == truth
        largest_right += truth == 0
        if choice.index != truth:
            wrong.append(f"{photo.person}/{photo.path.name}")
    return {
        "photos": len(photos),
        "photos_with_a_face": with_face,
        "multiple_faces_rate": round(ambiguous / max(with_face, 1), 4),
        # Strict: every photo with a face is judged, by the face its framing is centred on.
        "subject_not_central": not_central,
        "subject_not_central_rate": round(not_central / max(with_face, 1), 5),
        "not_central_choices": off_centre,
        "judged_photos": judged,
        "subject_is_named_person": round(subject_right / max(judged, 1), 4),
        "largest_is_named_person": round(largest_right / max(judged, 1), 4),
        "wrong_choices": wrong,
    }


@dataclass(frozen=True)
class OpenSetSplit:
    enrolled: list[str]  # person of each gallery entry
    gallery: npt.NDArray[np.float32]  # one face per enrolled person
    mated: list[tuple[int, npt.NDArray[np.float32]]]  # (gallery index, probe vector)
    strangers: list[npt.NDArray[np.float32]]


def open_set_split(photos: list[Photo]) -> OpenSetSplit:
    """Each person with several photos enrolled from their first photo with a face; their other
    photos are mated probes. People with one photo are strangers. Faces: the photo's subject."""
    by_person: dict[str, list[npt.NDArray[np.float32]]] = defaultdict(list)
    photo_count: dict[str, int] = defaultdict(int)
    for photo in photos:
        photo_count[photo.person] += 1
        choice = photo.faces.subject()
        if choice is not None:
            by_person[photo.person].append(photo.faces.embeddings[choice.index])
    enrolled: list[str] = []
    gallery: list[npt.NDArray[np.float32]] = []
    mated: list[tuple[int, npt.NDArray[np.float32]]] = []
    strangers: list[npt.NDArray[np.float32]] = []
    for person in sorted(by_person):
        vectors = by_person[person]
        if photo_count[person] == 1:
            strangers.append(vectors[0])
            continue
        mated.extend((len(enrolled), v) for v in vectors[1:])
        enrolled.append(person)
        gallery.append(vectors[0])
    return OpenSetSplit(enrolled, np.stack(gallery), mated, strangers)


def fnir_at_fpir(
    mated_top: list[tuple[bool, float]], stranger_scores: npt.NDArray[np.float64], fpir: float
) -> tuple[float, float]:
    """(threshold, FNIR) where `fpir` of strangers reach the threshold, as NIST FRVT 1:N reports:
    a mated probe counts as found when its top candidate is right and reaches the threshold."""
    ranked = np.sort(stranger_scores)[::-1]
    allowed = int(np.floor(fpir * len(ranked)))
    threshold = float(ranked[allowed]) + 1e-6 if allowed < len(ranked) else -1.0
    missed = sum(1 for right, score in mated_top if not (right and score >= threshold))
    return threshold, missed / max(len(mated_top), 1)


def subject_vectors(photos: list[Photo]) -> tuple[list[str], npt.NDArray[np.float32]]:
    """(person, subject embedding) of every photo with a face."""
    people, vectors = [], []
    for photo in photos:
        choice = photo.faces.subject()
        if choice is not None:
            people.append(photo.person)
            vectors.append(photo.faces.embeddings[choice.index])
    return people, np.stack(vectors)


def verification_10fold(photos: list[Photo], seed: int = 1729) -> dict[str, Any]:
    """1:1 verification as LFW's protocol scores it: every genuine pair (two photos of one person)
    and as many impostor pairs (two people, drawn at random), in 10 folds; each fold is scored at
    the threshold that is best on the other nine. Faces: each photo's subject."""
    people, vectors = subject_vectors(photos)
    by_person: dict[str, list[int]] = defaultdict(list)
    for i, person in enumerate(people):
        by_person[person].append(i)
    genuine = [(a, b) for idx in by_person.values() for k, a in enumerate(idx) for b in idx[k + 1 :]]
    rng = np.random.default_rng(seed)
    impostor: set[tuple[int, int]] = set()
    while len(impostor) < len(genuine):
        a, b = (int(v) for v in rng.integers(0, len(people), 2))
        if people[a] != people[b]:
            impostor.add((min(a, b), max(a, b)))
    pairs = np.array(genuine + sorted(impostor))
    same = np.array([True] * len(genuine) + [False] * len(impostor))
    scores = np.einsum("ij,ij->i", vectors[pairs[:, 0]], vectors[pairs[:, 1]])
    order = rng.permutation(len(pairs))
    folds = np.array_split(order, 10)
    accuracies, errors = [], 0
    for k, test in enumerate(folds):
        train = np.concatenate([f for j, f in enumerate(folds) if j != k])
        candidates = np.sort(scores[train])
        right = [np.mean((scores[train] >= t) == same[train]) for t in candidates]
        threshold = candidates[int(np.argmax(right))]
        correct = (scores[test] >= threshold) == same[test]
        accuracies.append(float(np.mean(correct)))
        errors += int(np.sum(~correct))
    return {
        "genuine_pairs": len(genuine),
        "impostor_pairs": len(impostor),
        "accuracy_mean": round(float(np.mean(accuracies)), 5),
        "accuracy_std": round(float(np.std(accuracies)), 5),
        "errors": errors,
    }


def wilson_interval(hits: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95 % confidence interval of a rate measured as hits / trials."""
    if trials == 0:
        return 0.0, 1.0
    p = hits / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


@dataclass(frozen=True)
class Rotation:
    """One fold of people rotated out of the gallery: `gallery` names `gallery_people` people drawn
    from the other folds (each by their first photo's subject); `probes` are this fold's photos."""

    people: list[str]  # the person of each row of `vectors`
    vectors: npt.NDArray[np.float32]  # each photo's subject embedding
    first: dict[str, int]  # each person's first photo (row)
    gallery: list[str]
    probes: list[int]


def rotations(photos: list[Photo], gallery_people: int, folds: int = 5, seed: int = 1729) -> Iterator[Rotation]:
    people, vectors = subject_vectors(photos)
    names = sorted(set(people))
    rng = np.random.default_rng(seed)
    fold_of = {name: i % folds for i, name in enumerate(rng.permutation(names))}
    first: dict[str, int] = {}
    for i, person in enumerate(people):
        first.setdefault(person, i)
    for k in range(folds):
        others = [n for n in names if fold_of[n] != k]
        chosen = [others[int(c)] for c in rng.choice(len(others), size=min(gallery_people, len(others)), replace=False)]
        probes = [i for i, person in enumerate(people) if fold_of[person] == k]
        yield Rotation(people, vectors, first, chosen, probes)


def rotated_stranger_fpir(
    photos: list[Photo], gallery_people: int, threshold: float, folds: int = 5, draws: int = 6, seed: int = 1729
) -> dict[str, Any]:
    """FPIR on every photo as a stranger: people split in `folds`; each fold's photos are searched
    against a gallery of `gallery_people` people (one subject face each) drawn from the other
    folds, at `threshold`. Repeated for `draws` random splits and galleries, since one draw's
    few dozen matches move by a third between draws; the interval is that of the pooled count
    (draws share their probes, so it is somewhat narrower than the truth: see the per-draw rates)."""
    matched: list[int] = []
    trials = 0
    for draw in range(draws):
        hits = 0
        for r in rotations(photos, gallery_people, folds, seed + draw):
            gallery = r.vectors[[r.first[n] for n in r.gallery]]
            top = (r.vectors[r.probes] @ gallery.T).max(axis=1)
            hits += int(np.sum(top >= threshold))
            if draw == 0:
                trials += len(r.probes)
        matched.append(hits)
    low, high = wilson_interval(sum(matched), trials * draws)
    return {
        "strangers": trials,
        "gallery_people": gallery_people,
        "threshold": round(threshold, 4),
        "draws": draws,
        "matched_per_draw": matched,
        "fpir_per_draw": [round(m / max(trials, 1), 5) for m in matched],
        "fpir": round(sum(matched) / max(trials * draws, 1), 5),
        "fpir_95ci": [round(low, 5), round(high, 5)],
    }
