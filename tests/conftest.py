"""pytest: the firmware tree and the core test helpers on the path; under CI, a test
skipped for want of the recordings fails instead (CI has ../shared/data)."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT / "firmware", ROOT / "tests" / "core", ROOT / "host_tools"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import json  # noqa: E402
import subprocess  # noqa: E402


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
        subprocess.run([sys.executable, "-m", "insole_host.deploy", "sim", str(folder)], check=True,
                       capture_output=True)
        if days:
            from sim.insole import stored_days
            stored_days(str(folder / "data"), days)
        return folder, json.loads((folder / "config.json").read_text())
    return deploy

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skip whose reason is missing recordings is a failure when CI=true."""
    report = (yield).get_result()
    if report.skipped and os.environ.get("CI") == "true" and isinstance(report.longrepr, tuple):
        reason = report.longrepr[2]
        if "recordings" in reason or "shared/data" in reason:
            report.outcome = "failed"
            report.longrepr = f"{item.nodeid}: {reason}, but CI has the recordings, so it must run"
