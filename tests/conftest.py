"""pytest: the firmware tree and the core test helpers on the path."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT / "firmware", ROOT / "tests" / "core", ROOT / "host_tools"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import json  # noqa: E402
import subprocess  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture
def user_home(tmp_path, monkeypatch):
    """The user's data directory (keys, database) in a scratch folder, for this test and its subprocesses."""
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


@pytest.fixture
def deployed(tmp_path, user_home):
    """deployed(name="insole", days=0) -> (folder, cfg): `make deploy BOARD=sim PORT=folder`,
    its flash already holding `days` closed days."""
    def deploy(name="insole", days=0):
        folder = tmp_path / name
        subprocess.run([sys.executable, str(ROOT / "tools" / "deploy.py"), "sim", str(folder)], check=True,
                       capture_output=True)
        if days:
            from sim.insole import stored_days
            stored_days(str(folder / "data"), days)
        return folder, json.loads((folder / "config.json").read_text())
    return deploy
