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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skip whose reason is missing recordings is a failure when CI=true."""
    report = (yield).get_result()
    if report.skipped and os.environ.get("CI") == "true" and isinstance(report.longrepr, tuple):
        reason = report.longrepr[2]
        if "recordings" in reason or "shared/data" in reason:
            report.outcome = "failed"
            report.longrepr = f"{item.nodeid}: {reason}, but CI has the recordings, so it must run"
