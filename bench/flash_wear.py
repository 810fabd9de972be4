"""Flash wear per board: how often the most-written erase block is erased a day.

A deployed virtual insole lives a day of 16 h wear (a real walk through its
sensors, with the board's own checkpoint interval), and the sim board's flash
log lists every write, rename and remove. Each board's filesystem turns those
into block erases:

  FAT (CircuitPython on the nRF52840's internal flash, 4 KB pages, no wear
  levelling): every file operation rewrites the directory sector of the
  store's folder, so the most-written page is that one; its erases a day are
  the writes, renames and removes of the day (none merged: an upper bound).

  LittleFS (MicroPython on the ESP32, 4 KB blocks): each operation is a commit
  appended to the folder's metadata pair; a block is erased when its log is
  full (4096 bytes of commits), and after block_cycles (100) erases the pair
  moves to another free block. The figure below is the pair's own erases, as
  if it never moved (an upper bound); with the 1.5 MB filesystem of a 4 MB
  partition free, the wear spreads over hundreds of blocks.

Goal: at least 5 years to 100 000 cycles on every board.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOARDS = {"esp32s3": "littlefs", "esp32c3": "littlefs", "xiao_nrf52840": "fat"}
CYCLES = 100_000
BLOCK = 4096
COMMIT_OVERHEAD = 48  # bytes of tags, CRC and padding a LittleFS commit adds to its data
WORN_H = 16


def day_log(checkpoint_s: int) -> list[str]:
    """The flash log of one day of WORN_H hours' wear on a deployed virtual insole."""
    sys.path.insert(0, str(ROOT / "host_tools"))
    from insole_host import recordings
    from insole_host.transport.virtual import VirtualInsole
    import asyncio
    walk = recordings.ensure_demo_recordings(download=True)[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "insole"
        env = dict(os.environ, XDG_DATA_HOME=str(Path(tmp) / "home"))
        subprocess.run([sys.executable, "-m", "insole_host.deploy", "sim", str(folder)], env=env, check=True,
                       capture_output=True)
        cfg = json.loads((folder / "config.json").read_text())
        cfg.update(checkpoint_s=checkpoint_s, fs_hz=20)
        (folder / "config.json").write_text(json.dumps(cfg))
        (folder / "power").write_text("0 0")  # the power never fails: the log alone

        async def live():
            insole = VirtualInsole(folder)
            try:
                await insole.midnight()  # from midnight
                await insole.live(walk, "L", [("walk", 1800), ("stand", 1800), ("sit", 3600)] * (WORN_H // 2))
                await insole.midnight()
            finally:
                await insole.stop()

        asyncio.run(live())
        lines = (folder / "flash.log").read_text().splitlines()
    first_close = next(i for i, line in enumerate(lines) if "/log/" in line)
    return lines[first_close + 1:]  # the day after the first midnight


def erases_a_day(lines: list[str], fs: str) -> float:
    """Erases of the most-written block in one day's flash log."""
    if fs == "fat":
        return len(lines)
    committed = 0
    for line in lines:
        op, path, data = (line.split(" ") + ["", ""])[:3]
        committed += COMMIT_OVERHEAD + len(path) + len(data) // 2
    return committed / BLOCK


def main() -> None:
    logs = {}
    for board, fs in BOARDS.items():
        cfg = json.loads((ROOT / "firmware" / "config" / f"{board}.json").read_text())
        if cfg["checkpoint_s"] not in logs:
            logs[cfg["checkpoint_s"]] = day_log(cfg["checkpoint_s"])
        lines = logs[cfg["checkpoint_s"]]
        erases = erases_a_day(lines, fs)
        print(f"flash wear {board} ({fs}, checkpoint every {cfg['checkpoint_s']} s): {len(lines)} flash operations "
              f"in a day of {WORN_H} h wear; most-written block erased {erases:.1f} times a day: "
              f"{CYCLES / max(erases, 1e-9) / 365:.1f} years to {CYCLES} cycles (goal >= 5)")


if __name__ == "__main__":
    main()
