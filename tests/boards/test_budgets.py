"""Size budgets (firmware/budgets.json), measured as `make bench` does (bench/boards.py):
the .mpy every MicroPython board gets, and the heap of the whole firmware as deployed."""
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUDGETS = json.loads((ROOT / "firmware" / "budgets.json").read_text())

_spec = importlib.util.spec_from_file_location("bench_boards", ROOT / "bench" / "boards.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_the_mpy_each_micropython_board_gets_fits_the_budget():
    boards = bench.micropython_boards()
    assert set(boards) >= {"esp32s3", "esp32c3"}
    for board in boards:
        size = bench.mpy_bytes(board)
        assert 0 < size <= BUDGETS["mpy_total_bytes"], f"{board}: {size} bytes of .mpy"


def test_the_whole_firmware_keeps_its_data_within_the_heap_budget():
    h = bench.board_heap()
    assert h["samples"] == 18000 and h["dropped"] == h["lost"] == 0  # the run did the work
    assert h["virtual_s"] == 180  # on the virtual clock: the figure does not move with the host's load
    assert h["buzzes"] > 0 and h["ble_notifications"] > 0  # the motor played, the link served a central
    assert h["records_stored"] >= 1 and h["records_pulled"] >= h["records_stored"]  # the day closed and went over BLE
    assert 0 < h["data"] <= BUDGETS["peak_data_heap_bytes"], h
    assert bench.board_heap() == h  # the same figures again: nothing in the run hangs on the host's speed
