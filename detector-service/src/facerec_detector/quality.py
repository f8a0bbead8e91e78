"""Image-quality measures of one detected face, for enrolment gates and client guidance.

Pose angles are estimates from the 5 landmarks (no 3D model): good enough to
tell a frontal face from a profile or a face tilted far up or down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from facerec_common.rgb import RgbArray


@dataclass(frozen=True)
class Quality:
    # Distance between the eye centres, source pixels.
    inter_eye_px: float
    # Head turn left/right and tilt up/down, degrees (0 = facing the camera).
    yaw_deg: float
    pitch_deg: float
    # In-plane rotation of the eye line, degrees.
    roll_deg: float
    # Variance of the Laplacian of the aligned crop: low means blurred.
    sharpness: float
    # Mean grey level of the aligned crop's face region, 0..255.
    brightness: float


# In a frontal face the nose tip sits about this far below the eye line, as a
# share of the eye-to-mouth distance (ArcFace template: (71.7-51.6)/(92.3-51.6)).
FRONTAL_NOSE_DROP = 0.494
# How far the nose tip stands out of the plane of the eyes, as a share of half
# the distance between the eyes (about 2.2 cm against 3.15 cm on an adult face).
NOSE_DEPTH = 0.7


def measure(landmarks: npt.NDArray[np.float64], aligned: RgbArray) -> Quality:
    left_eye, right_eye, nose, mouth_left, mouth_right = landmarks
    eye_mid = (left_eye + right_eye) / 2
    mouth_mid = (mouth_left + mouth_right) / 2
    eye_vec = right_eye - left_eye
    inter_eye = float(np.linalg.norm(eye_vec))
    roll = math.degrees(math.atan2(eye_vec[1], eye_vec[0]))

    # Express the nose in the face's own frame (x along the eyes, y towards the mouth).
    axis_x = eye_vec / max(inter_eye, 1e-6)
    axis_y = np.array([-axis_x[1], axis_x[0]])
    face_height = max(float((mouth_mid - eye_mid) @ axis_y), 1e-6)
    # A head turned by yaw moves the nose tip sideways by depth*sin(yaw) while the eyes
    # close up to cos(yaw) of their distance: the ratio of the two is depth*tan(yaw).
    sideways = float((nose - eye_mid) @ axis_x) / max(inter_eye / 2, 1e-6)
    drop = float((nose - eye_mid) @ axis_y) / face_height
    yaw = math.degrees(math.atan(sideways / NOSE_DEPTH))
    pitch = math.degrees(math.atan((drop - FRONTAL_NOSE_DROP) / NOSE_DEPTH * 2))

    gray = cv2.cvtColor(np.ascontiguousarray(aligned), cv2.COLOR_RGB2GRAY)
    centre = gray[24:104, 24:88]  # eyes, nose and mouth of the 112x112 template; little background
    sharpness = float(cv2.Laplacian(centre, cv2.CV_64F).var())
    return Quality(
        inter_eye_px=inter_eye,
        yaw_deg=yaw,
        pitch_deg=pitch,
        roll_deg=roll,
        sharpness=sharpness,
        brightness=float(centre.mean()),
    )
