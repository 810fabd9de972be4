"""Power cuts at every write of a scripted run of days: a real SIGKILL of the
store running in micropython, then a restart on the same flash directory.

For every mutating filesystem operation K of the scenario (power_cut_worker.py),
a worker is cut at K (a torn write) and killed; a second worker recovers and
finishes the days. Where that recovery itself writes, it is cut and killed too
at each of those writes (a cut during recovery). After every restart:
  - the log holds every closed day once, byte for byte as in an uncut run,
    its seqs without a gap or a duplicate (the oldest may be dropped by the budget);
  - the configuration is the last one saved or the one being saved;
  - the day open at the cut lost at most one checkpoint interval of wear.

Run directly (python tests/test_power_cut.py) to print the counts for a note.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "core"))
sys.path.insert(0, str(HERE.parent / "firmware"))
sys.path.insert(0, str(HERE.parent / "host_tools"))

import power_cut_worker as worker  # noqa: E402
from insole_host.virtual import micropython  # noqa: E402

WORKER = str(HERE / "power_cut_worker.py")
TIMEOUT_S = 30


def launch(path, *args):
    """Run the worker; return ("cut", KILLPOINT fields) after SIGKILLing it, or ("done", report)."""
    proc = subprocess.Popen([micropython(), WORKER, str(path), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(TIMEOUT_S, proc.kill)
    watchdog.start()
    try:
        line = proc.stdout.readline()
        if line.startswith("KILLPOINT"):
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return "cut", {k: int(v) for k, v in (w.split("=") for w in line.split()[1:])}
        rest, err = proc.communicate()
        assert proc.returncode == 0, err
        return "done", json.loads(line + rest)
    finally:
        watchdog.cancel()
        proc.stdout.close()
        proc.stderr.close()


def cut_then_finish(path, cuts):
    """Cut the run at cuts[0], each restart at the next cut, then finish; the kill points and report."""
    kills = []
    args = ("run", cuts[0])
    for next_cut in list(cuts[1:]) + [0]:
        outcome, kill = launch(path, *args)
        assert outcome == "cut", (cuts, kill)
        kills.append(kill)
        args = ("resume", kill["day"], kill["tick"], next_cut)
    outcome, report = launch(path, *args)
    assert outcome == "done"
    return kills, report


def check_restart(kill, recovered, golden):
    """What a restart after `kill` found: the closed days, the configuration."""
    by_seq = {r["seq"]: r for r in golden["closed"]}
    seqs = [r["seq"] for r in recovered["records"]]
    assert seqs == list(range(recovered["dropped"] + 1, recovered["dropped"] + 1 + len(seqs)))
    last = seqs[-1] if seqs else 0
    assert last in (kill["logged"], kill["logged"] + 1), (kill, seqs)
    assert len(seqs) >= min(kill["logged"], worker.SEGMENT_RECORDS + 1)
    for r in recovered["records"]:
        assert r == by_seq[r["seq"]], (kill, r)
    version = worker.config_version(recovered["config"])
    assert version in (kill["config"], kill["config"] + 1), (kill, recovered["config"])
    if version:
        assert recovered["config"] == worker.config_text(version)


def check_final(kill, report, golden):
    """The finished run against the uncut one; returns the wear lost (s) on the day open at the cut.

    Checked: the final log, and every record the restarted worker closed (the
    cut day's among them, even when the budget has dropped it from the log since).
    """
    assert report["dropped"] == golden["dropped"]
    assert report["open_seq"] == golden["open_seq"]
    assert report["config"] == golden["config"]
    assert report["corrupt"] <= 1
    assert [r["seq"] for r in report["records"]] == [r["seq"] for r in golden["records"]]
    by_seq = {r["seq"]: r for r in golden["closed"]}
    cut_day = worker.DAY0 + (kill["day"] if kill["tick"] else kill["day"] - 1)
    lost = 0
    for got in report["closed"] + report["records"]:
        want = by_seq[got["seq"]]
        if got == want:
            continue
        assert got["day"] == cut_day, (kill, got, want)
        lost = want["wear_s"] - got["wear_s"]
        assert 0 <= lost <= worker.CHECKPOINT_S, (kill, got, want)
        for key in ("seq", "day", "flags", "limit_s", "cadence_x10", "pain", "peaks_dn"):
            assert got[key] == want[key], (key, kill)
        lost_steps = lost // worker.TICK_S * worker.STEPS_PER_TICK
        assert got["steps"] == want["steps"] - lost_steps
        assert got["supinated"] + got["neutral"] + got["pronated"] == got["steps"]
        for key in ("supinated", "neutral", "pronated"):
            assert want[key] - lost_steps <= got[key] <= want[key], (key, kill)
    return lost


def campaign(base, threads=2):
    """Every single cut, then every cut during the recoveries that write; returns the counts."""
    base = Path(base)
    outcome, golden = launch(base / "golden", "run", 0)
    assert outcome == "done"
    ops = golden["ops"]

    def one(cuts):
        path = base / "-".join(map(str, cuts))
        try:
            kills, report = cut_then_finish(path, cuts)
            check_restart(kills[0], report["recovered"], golden)  # a cut in recovery makes no progress
            return cuts, report["recovered"]["ops"], check_final(kills[0], report, golden)
        finally:
            shutil.rmtree(path, ignore_errors=True)

    with ThreadPoolExecutor(threads) as pool:
        singles = list(pool.map(one, [(k,) for k in range(1, ops + 1)]))
        doubles = list(pool.map(one, [(k, j) for (k,), rec_ops, _ in singles for j in range(1, rec_ops + 1)]))
    losses = [lost for _, _, lost in singles + doubles]
    return {
        "scenario_ops": ops, "single_cuts": len(singles), "cuts_in_recovery": len(doubles),
        "max_lost_min": max(losses) / 60, "cuts_losing_wear": sum(1 for x in losses if x),
    }


def test_power_cut_at_every_write(tmp_path, capsys):
    counts = campaign(tmp_path)
    with capsys.disabled():
        print("\npower cut: %(single_cuts)d kill points (every write of the %(scenario_ops)d-op scenario)"
              " + %(cuts_in_recovery)d second cuts during recovery; max lost %(max_lost_min).1f min"
              " of the open day (%(cuts_losing_wear)d cuts lost any)" % counts)
    assert counts["single_cuts"] >= 200
    assert counts["max_lost_min"] * 60 <= worker.CHECKPOINT_S


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        print(json.dumps(campaign(d)))
