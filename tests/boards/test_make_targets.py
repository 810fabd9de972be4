"""`make repl`, `make selftest` and `make logs` run the mpremote that `make install` put in the venv."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize("target", ["repl", "selftest", "logs"])
def test_board_targets_use_the_venvs_mpremote(target):
    dry = subprocess.run(["make", "-n", "-C", str(ROOT), target, "PORT=/dev/ttyX", "VENV=/opt/venv-x"],
                         capture_output=True, text=True, check=True).stdout
    line = next(li for li in dry.splitlines() if "mpremote connect" in li)
    assert line.startswith("/opt/venv-x/bin/mpremote connect /dev/ttyX ")
