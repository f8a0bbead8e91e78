"""Subject choice on face geometry: the cases seen on real uploads, by construction."""

from __future__ import annotations

from facerec_common.subject import FaceGeometry, choose


def _face(x: float, y: float, size: float, yaw: float = 0.0, score: float = 0.99) -> FaceGeometry:
    # Landmarks where MTCNN puts them on a frontal face of this box.
    points = [(0.3, 0.4), (0.7, 0.4), (0.5, 0.6), (0.35, 0.8), (0.65, 0.8)]
    return FaceGeometry(x, y, size, size * 1.2, score, [(x + px * size, y + py * size * 1.2) for px, py in points], yaw)


def test_a_bystander_cut_by_the_border_loses_to_the_centred_face() -> None:
    centre = _face(75, 60, 100)
    # Larger, but hanging off the top-left corner (two landmarks outside), turned 55 degrees.
    bystander = _face(-50, -40, 110, yaw=55)
    choice = choose([bystander, centre], 250, 250)
    assert choice.index == 1
    assert not choice.ambiguous
    assert choice.scores[1] > 3 * choice.scores[0]


def test_a_small_background_face_is_not_ambiguous() -> None:
    choice = choose([_face(70, 50, 110), _face(190, 20, 50)], 250, 250)
    assert (choice.index, choice.ambiguous) == (0, False)


def test_two_comparable_frontal_faces_are_ambiguous() -> None:
    choice = choose([_face(20, 80, 90), _face(140, 80, 88)], 250, 250)
    assert choice.ambiguous
    assert "comparable" in choice.reason


def test_a_turned_runner_up_does_not_make_it_ambiguous() -> None:
    choice = choose([_face(20, 80, 90), _face(140, 80, 88, yaw=50)], 250, 250)
    assert (choice.index, choice.ambiguous) == (0, False)


def test_one_face_is_the_subject_wherever_it_is() -> None:
    choice = choose([_face(-30, -30, 80, yaw=60)], 250, 250)
    assert (choice.index, choice.ambiguous, choice.reason) == (0, False, "the only face")
