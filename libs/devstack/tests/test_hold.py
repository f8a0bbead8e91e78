"""`make run` holds its data folder: a second stack waits for one still stopping, then gives up."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from facerec_devstack.__main__ import hold


def test_a_second_stack_waits_for_the_first_to_stop(tmp_path: Path) -> None:
    first = hold(tmp_path)
    threading.Timer(0.4, first.close).start()  # the first stack stops
    started = time.monotonic()
    second = hold(tmp_path, wait_s=10)
    assert time.monotonic() - started >= 0.3
    second.close()


def test_a_second_stack_gives_up_on_one_that_keeps_running(tmp_path: Path) -> None:
    first = hold(tmp_path)
    try:
        with pytest.raises(SystemExit) as refused:
            hold(tmp_path, wait_s=0.3)
        assert str(tmp_path) in str(refused.value)
        assert "stop it first" in str(refused.value)
    finally:
        first.close()
    hold(tmp_path, wait_s=0).close()  # free again once it stopped
