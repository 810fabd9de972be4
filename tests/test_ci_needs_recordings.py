"""Under CI (CI=true) a test that skips for want of the recordings fails (tests/conftest.py)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

CASE = '''
import pytest

def test_needs_the_walks():
    pytest.skip("no recordings in /nowhere")

def test_skips_for_another_reason():
    pytest.skip("needs a board")
'''


def run(tmp_path, ci):
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_case.py").write_text(CASE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, env=env)


def test_missing_recordings_skip_locally(tmp_path):
    proc = run(tmp_path, ci=False)
    assert proc.returncode == 0 and "2 skipped" in proc.stdout, proc.stdout


def test_missing_recordings_fail_under_ci(tmp_path):
    proc = run(tmp_path, ci=True)
    assert proc.returncode == 1 and "1 failed, 1 skipped" in proc.stdout, proc.stdout
    assert "so it must run" in proc.stdout
