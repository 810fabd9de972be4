"""`make bench`: the figures the issues ask for, printed, not asserted.

Core: us per sample of the whole per-sample path under micropython, its ratio
to a bare copy loop, the peak heap of the firmware (compiled to .mpy, as on a
board) running a walk in a 64 KB heap, and the replay speed of a 16 h day.
"""
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host_tools"))

from insole_host import recordings, virtual  # noqa: E402
from insole_host.virtual import executable  # noqa: E402

DAY = [["off", 7 * 3600], ["walk", 3600], ["sit", 3 * 3600], ["gap", 600], ["stand", 1800], ["walk", 5400],
       ["sit", 2 * 3600], ["walk", 1800], ["off", 1200]]


def compile_firmware(dest: Path) -> int:
    """mpy-cross every firmware file into dest for this machine (viper code runs
    natively, as on a board); returns the total .mpy bytes."""
    total = 0
    for src in (ROOT / "firmware").rglob("*.py"):
        out = dest / src.relative_to(ROOT / "firmware").with_suffix(".mpy")
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([executable("mpy-cross"), "-march=host", "-o", str(out), str(src)], check=True)
        total += out.stat().st_size
    shutil.copytree(ROOT / "firmware" / "config", dest / "config")
    return total


def walk_counts(walk: Path, dest: Path) -> None:
    """One foot of the walk as the ADC would give it: 8 little-endian u16 counts per sample."""
    sys.path.insert(0, str(ROOT / "firmware"))
    from array import array

    from sim.fsr import FsrAdc
    from sim.recordings import GaitpdbReader

    adc = FsrAdc(8)
    buf = array("H", [0] * 8)
    with open(dest, "wb") as f:
        for forces in GaitpdbReader(str(walk), "L"):
            adc.read(forces, buf)
            f.write(buf.tobytes())


def core(walk: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        mpy_bytes = compile_firmware(Path(tmp) / "fw")
        counts = Path(tmp) / "walk.bin"
        walk_counts(walk, counts)

        def run(mode, heap):
            return json.loads(subprocess.run(
                [executable("micropython"), "-X", f"heapsize={heap}", str(ROOT / "bench" / "core_bench.py"),
                 str(Path(tmp) / "fw"), str(counts), mode],
                capture_output=True, text=True, check=True).stdout)

        mem = run("heap", "64k")
        speed = run("speed", "1M")
        (Path(tmp) / "fw" / "insole" / "calibration_viper.mpy").unlink()
        plain = run("speed", "1M")  # no viper module: the bytecode loop, as CircuitPython runs it
    ratio = speed["pipeline_us"] / speed["copy_us"]
    print(f"core per-sample path:  {speed['pipeline_us']:.2f} us per 8-channel sample (micropython unix port, .mpy, "
          f"calibration loop in viper)")
    print(f"bare copy loop:        {speed['copy_us']:.2f} us per sample; pipeline / copy = {ratio:.1f}x (target <= 6x)")
    print(f"  all bytecode:        {plain['pipeline_us']:.2f} us per sample = "
          f"{plain['pipeline_us'] / plain['copy_us']:.1f}x the copy loop (CircuitPython's path: no viper emitter)")
    print(f"peak heap, 64 KB heap: {mem['peak_heap'] / 1024:.1f} KB live after importing the core (.mpy) and "
          f"replaying {mem['samples']} samples, {mem['steps']} steps (target <= 32 KB)")
    print(f"firmware/ tree as .mpy: {mpy_bytes / 1024:.1f} KB (every file, sim and both BLE bindings included)")


def day_replay(walk: Path) -> None:
    seconds = sum(s for _, s in DAY)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as plan:
        json.dump(DAY, plan)
        plan.flush()
        t0 = time.perf_counter()
        result = json.loads(virtual.run_firmware("replay.py", [str(walk), "--foot", "L", "--day", plan.name],
                                                 heap="16M"))
        elapsed = time.perf_counter() - t0
    print(f"16 h day replay:       {seconds / 3600:.0f} h in {elapsed:.1f} s = {seconds / elapsed:.0f}x real time "
          f"(target >= 500x); {result['steps']} steps, worn {result['wear_s']} s")


def records() -> None:
    """Record size, and how many days of history a 64 KB store keeps before dropping the oldest."""
    sys.path.insert(0, str(ROOT / "firmware"))
    from edge.store import Store
    from insole import record
    from insole.device import Device

    dev = Device(json.loads((ROOT / "firmware" / "config" / "default.json").read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp, budget_bytes=64 * 1024)
        store.recover()
        days = 0
        while not store.dropped:
            dev.seq = store.open_seq
            dev.clock.day += 1
            store.close_day(dev.close_day(), dev.checkpoint(), 0)
            days += 1
        kept = days - store.dropped
    print(f"daily record:          {record.SIZE} bytes, {record.SIZE + 8} with its session tag on the air (one "
          f"notification at an MTU of 66 or more, four at the default 23)")
    print(f"history in 64 KB:      {kept} days kept when the first segment had to go "
          f"(at most {64 * 1024 // record.SIZE} records fit)")


def boards() -> None:
    """The real boards' size budgets (bench/boards.py, run by path: its name is also a firmware package's)."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "boards.py")], check=True)


def main() -> None:
    from insole_host.benchmark import bench_host
    from insole_host.transport.bench import bench_ble

    walk = recordings.find_recording("GaCo01_01.txt", download=True)
    core(walk)
    day_replay(walk)
    records()
    boards()
    bench_ble()
    bench_host()


if __name__ == "__main__":
    main()
