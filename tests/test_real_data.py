"""The virtual insole (firmware in micropython) against real recorded gait.

- gaitpdb, every walk and both feet: heel strikes against an independent
  stance reference from the recording's own total force, and cadence;
- gaitndd: stride times against the published .ts stride intervals;
- synthetic 16 h days built from real walks: wear time against the script;
- bad input: broken recordings and broken sensors.
"""
import json
import statistics
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from insole_host import virtual

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GAITPDB = sorted((SHARED / "gaitpdb").glob("*_*.txt"))
GAITNDD = ("control1", "control2", "park1", "park2", "hunt1", "als1")
SKIP_S = 2.0
TOL_S = 0.060

pytestmark = pytest.mark.skipif(not GAITPDB, reason="no recordings in ../shared/data")


def reference_heel_strikes(total, fs=100, frac=0.08, min_gap_s=0.1, min_s=0.15, max_s=2.5):
    """Stance from the recording's total force in newtons, in floats.

    Contact starts above 8 % of the walk's 99th-percentile load (at least 20 N)
    and ends below half that; gaps under 0.1 s are merged; contacts of
    0.15-2.5 s are steps (longer is standing).
    """
    peak = sorted(total)[int(0.99 * (len(total) - 1))]
    on = max(20.0, frac * peak)
    spans, start = [], None
    for i, v in enumerate(total):
        if start is None and v > on:
            start = i
        elif start is not None and v < on / 2:
            spans.append([start, i])
            start = None
    merged = []
    for s, e in spans:
        if merged and s - merged[-1][1] < min_gap_s * fs:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    return [s / fs for s, e in merged if min_s * fs <= e - s <= max_s * fs]


def f1_score(detected, reference):
    det = [t for t in detected if t >= SKIP_S]
    ref = [t for t in reference if t >= SKIP_S]
    used, hits = set(), 0
    for r in ref:
        best = min(range(len(det)), key=lambda j: abs(det[j] - r), default=None)
        if best is not None and best not in used and abs(det[best] - r) <= TOL_S:
            used.add(best)
            hits += 1
    return 2 * hits / (len(det) + len(ref)) if det or ref else 1.0


def total_force(path, foot):
    col = 17 if foot == "L" else 18
    return [float(line.split()[col]) for line in path.read_text().splitlines() if line.strip()]


def replay_all(jobs):
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda job: virtual.replay(*job), jobs))


@pytest.fixture(scope="module")
def gaitpdb_results():
    jobs = [(p, foot) for p in GAITPDB for foot in "LR"]
    return dict(zip(jobs, replay_all(jobs)))


def test_heel_strikes_match_the_reference_on_every_walk(gaitpdb_results):
    worst = []
    for (path, foot), result in gaitpdb_results.items():
        ref = reference_heel_strikes(total_force(path, foot))
        f1 = f1_score([s[0] for s in result["stance"]], ref)
        worst.append((f1, path.name, foot))
    worst.sort()
    print("lowest heel-strike F1:", worst[:3])
    assert len(worst) == 2 * len(GAITPDB)
    assert worst[0][0] >= 0.98, worst[:5]


def test_cadence_within_two_steps_per_minute(gaitpdb_results):
    errors = []
    for (path, foot), result in gaitpdb_results.items():
        ref = [t for t in reference_heel_strikes(total_force(path, foot)) if t >= SKIP_S]
        strides = [b - a for a, b in zip(ref, ref[1:]) if b - a < 4.0]
        errors.append((abs(result["cadence_spm"] - 120 / statistics.median(strides)), path.name, foot))
    errors.sort(reverse=True)
    print("largest cadence errors (steps/min):", errors[:3])
    assert errors[0][0] <= 2.0, errors[:5]


def test_result_has_the_documented_keys(gaitpdb_results):
    result = next(iter(gaitpdb_results.values()))
    for key in ("samples", "duration_s", "steps", "stance", "cadence_spm", "wear_s", "pronation"):
        assert key in result
    assert result["samples"] == round(result["duration_s"] * 100)
    assert len(result["pronation"]["per_step_permille"]) == result["steps"] == len(result["stance"])
    assert all(-1000 <= v <= 1000 for v in result["pronation"]["per_step_permille"])


def test_gaitndd_strides_match_the_published_intervals():
    medians = {}
    for rec in GAITNDD:
        result = virtual.replay(SHARED / "gaitndd" / rec, "L", "gaitndd")
        assert result["fs_hz"] == 300 and result["samples"] == 90000
        heels = [s[0] for s in result["stance"]]
        rows = [line.split() for line in (SHARED / "gaitndd" / f"{rec}.ts").read_text().splitlines() if line.strip()]
        errors = []
        for row in rows:
            t, stride = float(row[0]), float(row[1])
            j = min(range(len(heels)), key=lambda k: abs(heels[k] - t))
            if abs(heels[j] - t) <= 0.15 and j > 0:
                errors.append(abs(heels[j] - heels[j - 1] - stride))
        assert len(errors) >= 0.95 * len(rows), (rec, len(errors), len(rows))
        medians[rec] = statistics.median(errors)
    print("median stride error (s):", medians)
    assert max(medians.values()) <= 0.020, medians


DAYS = {
    "office": [["off", 7 * 3600], ["walk", 900], ["sit", 3 * 3600], ["gap", 600], ["sit", 2 * 3600],
               ["walk", 1200], ["stand", 1800], ["gap", 840], ["walk", 600], ["off", 8460]],
    "errands": [["off", 3600], ["walk", 1800], ["stand", 600], ["gap", 1200], ["walk", 3600], ["sit", 5400],
                ["gap", 300], ["stand", 900], ["walk", 2400], ["off", 5 * 3600], ["walk", 1500], ["sit", 4500],
                ["gap", 900], ["walk", 1200], ["off", 11700]],
    "shelf": [["off", 16 * 3600]],
}
BRIDGE_S = 15 * 60


def scripted_wear(schedule):
    """Truth for the documented rule: loaded time plus gaps of <= 15 min between loaded periods."""
    worn, pending, seen_load = 0, 0, False
    for kind, seconds in schedule:
        if kind in ("walk", "stand", "sit"):
            if seen_load and pending <= BRIDGE_S:
                worn += pending
            worn += seconds
            pending, seen_load = 0, True
        else:
            pending += seconds
    return worn


@pytest.mark.parametrize("name", sorted(DAYS))
def test_wear_time_of_a_16_hour_day(name, tmp_path):
    schedule = DAYS[name]
    assert sum(s for _, s in schedule) == 16 * 3600
    plan = tmp_path / "day.json"
    plan.write_text(json.dumps(schedule))
    walk = SHARED / "gaitpdb" / "GaCo03_01.txt"
    result = json.loads(virtual.run_firmware("sim.replay", [str(walk), "--foot", "R", "--day", str(plan)], heap="16M"))
    truth = scripted_wear(schedule)
    print(f"{name}: wear {result['wear_s']} s, scripted {truth} s")
    assert result["samples"] == 16 * 3600 * 100
    if name == "shelf":
        assert result["wear_s"] == 0 and result["steps"] == 0
    else:
        assert abs(result["wear_s"] - truth) <= 60


def test_broken_sensors_are_reported_and_the_rest_still_works():
    walk = SHARED / "gaitpdb" / "GaCo01_01.txt"
    ref = reference_heel_strikes(total_force(walk, "L"))
    for fault, status in (("3:open", "no_signal"), ("0:short", "stuck_high"), ("6:saturate", "clipping")):
        result = virtual.replay(walk, "L", faults=(fault,))
        ch = int(fault.split(":")[0])
        assert result["channels"][ch]["status"] == status, (fault, result["channels"][ch])
        assert [c["status"] for i, c in enumerate(result["channels"]) if i != ch] == ["ok"] * 7
        assert f1_score([s[0] for s in result["stance"]], ref) >= 0.95, fault
        assert result["pronation"]["median_permille"] is not None


def test_a_garbled_recording_is_reported_not_fatal(tmp_path):
    lines = (SHARED / "gaitpdb" / "GaCo01_01.txt").read_text().splitlines(keepends=True)
    lines[500] = lines[500][:25] + "\n"
    lines[900] = "garbage \x00 line\n"
    broken = tmp_path / "broken.txt"
    broken.write_text("".join(lines) + lines[0][:10])
    result = virtual.replay(broken, "L")
    assert [e["at"] for e in result["errors"]] == [501, 901, len(lines) + 1]
    assert result["samples"] == len(lines) - 2
    assert result["steps"] >= 90
