"""The virtual insole (firmware in micropython) against real recorded gait.

- gaitpdb, every walk and both feet: heel strikes against a force-onset
  reference computed here from the recording's raw forces, and cadence;
- gaitndd, both feet: stride and stance against the published .ts intervals;
- synthetic 16 h days built from real walks: wear time against the script;
- bad input: broken recordings and broken sensors.

The recordings live in ../shared/data. Without them these tests skip, except
under CI (CI=true), where tests/conftest.py turns that skip into a failure.

Run with -s to see the per-walk and per-record figures:
    .venv/bin/python -m pytest -s tests/test_real_data.py -k "onset or gaitndd"
"""
import json
import statistics
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import pytest

from insole_host import virtual

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GAITPDB = sorted((SHARED / "gaitpdb").glob("*_*.txt"))
GAITNDD = ("control1", "control2", "park1", "park2", "hunt1", "als1")
TOL_S = 0.060


def listed_in_checksums(dataset, pattern):
    """How many files of the dataset its SHA256SUMS.txt lists: the cases a full run must score."""
    sums = SHARED / dataset / "SHA256SUMS.txt"
    return sum(1 for line in sums.read_text().splitlines() if Path(line.split()[-1].lstrip("*")).match(pattern))


@pytest.fixture(autouse=True, scope="module")
def recordings_present():
    """Skip without the recordings (under CI, tests/conftest.py makes that skip a failure)."""
    if not (GAITPDB and all((SHARED / "gaitndd" / f"{rec}.ts").is_file() for rec in GAITNDD)):
        pytest.skip(f"no recordings in {SHARED}")


# --- The force-onset reference ----------------------------------------------------------------
# The gait-analysis convention for initial contact from force (force plates), in floats on the
# recording's own newtons. It shares no code and no threshold with the firmware's detector.
LOAD_N = 20.0        # a foot is loaded above 20 N ...
BRIDGE_S = 0.050     # ... gaps of up to 50 ms inside a contact are bridged ...
MIN_RUN_S = 0.150    # ... and a contact lasts at least 150 ms.
TARE_S = 1.5         # a force plate is tared; an insole's unloaded level drifts, so each sample is
#                      tared at the lowest total within +-1.5 s (a swing always falls inside)
STANDING_S = 2.0     # contacts over 2 s are standing, and contacts that never reach a third of the
STEP_SHARE = 1 / 3   # walk's median contact peak are weight shifts: neither is scored as a step


def foot_total(path, foot):
    """Sum of the foot's 8 raw sensor forces (N) per line."""
    first = 1 if foot == "L" else 9
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return [sum(float(c) for c in row[first:first + 8]) for row in rows]


def tared(total, fs):
    """Each sample minus the lowest total within +-TARE_S (a sliding minimum)."""
    w = round(TARE_S * fs)
    out, window = [], deque()
    for i in range(len(total) + w):
        if i < len(total):
            while window and total[window[-1]] >= total[i]:
                window.pop()
            window.append(i)
        c = i - w
        if c >= 0:
            while window[0] < c - w:
                window.popleft()
            out.append(total[c] - total[window[0]])
    return out


def contacts(total, fs=100):
    """(onset s, offset s, peak N) of every loaded run; runs cut by the recording's ends are left out."""
    gap = round(BRIDGE_S * fs)
    runs, start, last = [], None, None
    for i, v in enumerate(tared(total, fs)):
        if v > LOAD_N:
            if start is not None and i - last - 1 > gap:
                runs.append((start, last))
                start = None
            if start is None:
                start = i
            last = i
    if start is not None:
        runs.append((start, last))
    return [(s / fs, e / fs, max(total[s:e + 1])) for s, e in runs
            if e - s + 1 >= MIN_RUN_S * fs and s > 0 and e < len(total) - 1]


def scored(detected, runs):
    """The reference heel strikes that count as steps, and the detections to score against them
    (a detection inside a contact that is not scored is neither a hit nor a false step)."""
    typical = statistics.median(p for _, _, p in runs)
    steps = [(a, b) for a, b, p in runs if b - a <= STANDING_S and p >= STEP_SHARE * typical]
    other = [(a, b) for a, b, p in runs if (a, b) not in steps]
    detected = [t for t in detected if not any(a - TOL_S <= t <= b for a, b in other)]
    return detected, [a for a, _ in steps]


def match(detected, reference):
    """Greedy one-to-one matching within TOL_S: hits, and the timing error of each hit (s)."""
    used, errors = set(), []
    for r in reference:
        best = min(range(len(detected)), key=lambda j: abs(detected[j] - r), default=None)
        if best is not None and best not in used and abs(detected[best] - r) <= TOL_S:
            used.add(best)
            errors.append(detected[best] - r)
    return errors


def f1(hits, n_detected, n_reference):
    return 2 * hits / (n_detected + n_reference) if n_detected + n_reference else 1.0


def light_contacts(total, onsets, fs=100, light_n=60.0, hold_s=0.050):
    """Onsets after which the foot stays under `light_n` for at least `hold_s`: a light touch-down."""
    hold = round(hold_s * fs)
    return [t for t in onsets if max(total[round(t * fs):round(t * fs) + hold]) < light_n]


def replay_all(jobs):
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda job: virtual.replay(*job), jobs))


@pytest.fixture(scope="module")
def gaitpdb_results():
    jobs = [(p, foot) for p in GAITPDB for foot in "LR"]
    return dict(zip(jobs, replay_all(jobs)))


@pytest.fixture(scope="module")
def onset_scores(gaitpdb_results):
    """Per walk and foot: (F1, hits, detections, reference steps, timing errors, light contacts, light hits)."""
    scores = {}
    for (path, foot), result in gaitpdb_results.items():
        total = foot_total(path, foot)
        detected, reference = scored([s[0] for s in result["stance"]], contacts(total))
        errors = match(detected, reference)
        light = light_contacts(total, reference)
        scores[path.name, foot] = (f1(len(errors), len(detected), len(reference)), len(errors), len(detected),
                                   len(reference), errors, len(light), len(match(detected, light)))
    return scores


def test_every_walk_and_foot_was_scored(onset_scores):
    assert len(GAITPDB) == listed_in_checksums("gaitpdb", "*_*.txt")
    assert len(onset_scores) == 2 * len(GAITPDB)
    assert all(s[3] >= 20 for s in onset_scores.values())  # every walk gives steps to score


def test_heel_strikes_at_force_onset_on_every_walk(onset_scores):
    print("\nheel strike vs force onset (+-60 ms): walk foot F1 median|error| ms, steps")
    for (name, foot), (score, hits, det, ref, errors, _, _) in sorted(onset_scores.items()):
        err = statistics.median(abs(e) for e in errors) * 1000 if errors else float("nan")
        print(f"  {name:14s} {foot}  F1 {score:.3f}  {err:4.0f} ms  {hits}/{ref} hit, {det} detected")
    hits = sum(s[1] for s in onset_scores.values())
    pooled = f1(hits, sum(s[2] for s in onset_scores.values()), sum(s[3] for s in onset_scores.values()))
    errors = [abs(e) for s in onset_scores.values() for e in s[4]]
    worst = min((s[0], walk) for walk, s in onset_scores.items())
    print(f"all walks and feet: F1 {pooled:.4f}, lowest {worst[0]:.3f} {worst[1]}, "
          f"median timing error {statistics.median(errors) * 1000:.0f} ms over {len(errors)} steps")
    assert pooled >= 0.99
    assert worst[0] >= 0.97, worst
    assert statistics.median(errors) <= 0.010


def test_light_initial_contacts_of_parkinsonian_walks_are_found_at_onset(onset_scores):
    light = {walk: s for walk, s in onset_scores.items() if "Pt" in walk[0] and s[5] >= 0.1 * s[3]}
    print("\nParkinson's walks with light initial contact (under 60 N for 50 ms or more after onset):")
    for (name, foot), s in sorted(light.items()):
        print(f"  {name:14s} {foot}  {s[5]} of {s[3]} steps light, {s[6]} of them within 60 ms; walk F1 {s[0]:.3f}")
    assert len(light) >= 3
    assert sum(s[6] for s in light.values()) >= 0.95 * sum(s[5] for s in light.values())


def test_cadence_within_two_steps_per_minute(gaitpdb_results):
    errors = []
    for (path, foot), result in gaitpdb_results.items():
        _, ref = scored([], contacts(foot_total(path, foot)))
        strides = [b - a for a, b in zip(ref, ref[1:]) if b - a < 4.0]
        errors.append((abs(result["cadence_spm"] - 120 / statistics.median(strides)), path.name, foot))
    errors.sort(reverse=True)
    print("largest cadence errors (steps/min):", errors[:3])
    assert len(errors) == 2 * len(GAITPDB)
    assert errors[0][0] <= 2.0, errors[:5]


def test_result_has_the_documented_keys(gaitpdb_results):
    result = next(iter(gaitpdb_results.values()))
    for key in ("samples", "duration_s", "steps", "listed_steps", "stance", "strides_s", "cadence_spm", "wear_s",
                "pronation", "errors", "error_count"):
        assert key in result
    assert result["samples"] == round(result["duration_s"] * 100)
    assert len(result["pronation"]["per_step_permille"]) == result["steps"] == len(result["stance"])
    assert all(-1000 <= v <= 1000 for v in result["pronation"]["per_step_permille"])


def published_strides(rec, foot, stance):
    """(stride error s, stance bias s) of every published .ts stride matched to the firmware's.

    Column 1 is the left contact that ends the left stride; the right stride of the row ends at
    the right contact inside that left stride. Each stride's stance starts at its first contact."""
    heels = [s[0] for s in stance]
    pairs = []
    for line in (SHARED / "gaitndd" / f"{rec}.ts").read_text().splitlines():
        row = [float(c) for c in line.split()]
        t, stride_l = row[0], row[1]
        stride, stance_s = (row[1], row[7]) if foot == "L" else (row[2], row[8])
        if foot == "L":
            ends = [k for k, h in enumerate(heels) if abs(h - t) <= 0.15]
        else:
            ends = [k for k, h in enumerate(heels) if t - stride_l < h <= t]
        if len(ends) == 1 and ends[0] > 0:
            k = ends[0]
            pairs.append((abs(heels[k] - heels[k - 1] - stride), stance[k - 1][1] - stance[k - 1][0] - stance_s))
    return pairs


# Median stride error (ms) per record and foot with the detector of 52dc716 (a threshold on the
# low-passed total at a share of its envelope): the ceiling, as stride timing must not get worse.
STRIDE_MS_AT_52DC716 = {
    ("control1", "L"): 3.3, ("control1", "R"): 2.7, ("control2", "L"): 3.7, ("control2", "R"): 3.3,
    ("park1", "L"): 4.0, ("park1", "R"): 10.0, ("park2", "L"): 3.0, ("park2", "R"): 0.7,
    ("hunt1", "L"): 4.0, ("hunt1", "R"): 3.7, ("als1", "L"): 3.3, ("als1", "R"): 3.3,
}


def test_gaitndd_stride_and_stance_match_the_published_intervals():
    jobs = [(SHARED / "gaitndd" / rec, foot, "gaitndd") for rec in GAITNDD for foot in "LR"]
    figures = {}
    for (path, foot, _), result in zip(jobs, replay_all(jobs)):
        assert result["fs_hz"] == 300 and result["samples"] == 90000
        rows = len((SHARED / "gaitndd" / f"{path.name}.ts").read_text().splitlines())
        pairs = published_strides(path.name, foot, result["stance"])
        assert len(pairs) >= 0.95 * rows, (path.name, foot, len(pairs), rows)
        figures[path.name, foot] = (statistics.median(e for e, _ in pairs), statistics.median(b for _, b in pairs))
    print("\ngaitndd vs .ts: record foot, median stride error (at 52dc716), median stance bias (ms)")
    for (rec, foot), (err, bias) in figures.items():
        print(f"  {rec:9s} {foot}  stride {err * 1000:4.1f} ({STRIDE_MS_AT_52DC716[rec, foot]:4.1f})  "
              f"stance {bias * 1000:+6.1f}")
    assert len(figures) == 2 * len(GAITNDD)
    assert all(err * 1000 <= STRIDE_MS_AT_52DC716[key] + 0.1 for key, (err, _) in figures.items()), figures
    assert max(abs(b) for _, b in figures.values()) <= 0.020, figures


DAYS = {
    "office": [["off", 7 * 3600], ["walk", 900], ["sit", 3 * 3600], ["gap", 600], ["sit", 2 * 3600],
               ["walk", 1200], ["stand", 1800], ["gap", 840], ["walk", 600], ["off", 8460]],
    "errands": [["off", 3600], ["walk", 1800], ["stand", 600], ["gap", 1200], ["walk", 3600], ["sit", 5400],
                ["gap", 300], ["stand", 900], ["walk", 2400], ["off", 5 * 3600], ["walk", 1500], ["sit", 4500],
                ["gap", 900], ["walk", 1200], ["off", 11700]],
    "shelf": [["off", 16 * 3600]],
}
BRIDGE_WEAR_S = 15 * 60


def scripted_wear(schedule):
    """Truth for the documented rule: loaded time plus gaps of <= 15 min between loaded periods."""
    worn, pending, seen_load = 0, 0, False
    for kind, seconds in schedule:
        if kind in ("walk", "stand", "sit"):
            if seen_load and pending <= BRIDGE_WEAR_S:
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
    total = foot_total(walk, "L")
    for fault, status in (("3:open", "no_signal"), ("0:short", "stuck_high"), ("6:saturate", "saturating")):
        result = virtual.replay(walk, "L", faults=(fault,))
        ch = int(fault.split(":")[0])
        assert result["channels"][ch]["status"] == status, (fault, result["channels"][ch])
        assert [c["status"] for i, c in enumerate(result["channels"]) if i != ch] == ["ok"] * 7
        detected, reference = scored([s[0] for s in result["stance"]], contacts(total))
        assert f1(len(match(detected, reference)), len(detected), len(reference)) >= 0.95, fault
        assert result["pronation"]["median_permille"] is not None


def loaded_channels(path, foot, total):
    """The channels the walk loads: over 100 N at the peak of at least half its contacts."""
    first = 1 if foot == "L" else 9
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    spans = [(round(a * 100), round(b * 100)) for a, b, _ in contacts(total)]
    return [ch for ch in range(8)
            if 2 * sum(max(float(r[first + ch]) for r in rows[a:b + 1]) > 100 for a, b in spans) >= len(spans)]


def test_a_saturating_sensor_is_flagged_on_every_walk_and_a_clean_walk_never(gaitpdb_results):
    """Every walk and foot once clean (nothing flagged) and once with a sensor it loads bottoming out
    under load (sim/fsr.py's saturate: full scale above a light load): that channel alone flagged."""
    clean = [(walk, c["channel"]) for walk, result in gaitpdb_results.items() for c in result["channels"]
             if c["flagged"] or c["status"] != "ok"]
    jobs, faulted = [], []
    for i, (path, foot) in enumerate(sorted(gaitpdb_results)):
        loaded = loaded_channels(path, foot, foot_total(path, foot))
        ch = loaded[i % len(loaded)]  # round the loaded channels, so every channel gets its turn
        jobs.append((path, foot, None, (f"{ch}:saturate",)))
        faulted.append(ch)
    wrong = []
    for (path, foot, _, _), ch, result in zip(jobs, faulted, replay_all(jobs)):
        flagged = [c["channel"] for c in result["channels"] if c["flagged"]]
        if flagged != [ch] or result["channels"][ch]["status"] != "saturating":
            wrong.append((path.name, foot, ch, [c["status"] for c in result["channels"]]))
    print(f"\nsaturate: {len(jobs) - len(wrong)} of {len(jobs)} walks and feet flag the faulted channel alone "
          f"(channels {sorted(set(faulted))}); clean walks: {len(clean)} of {8 * len(gaitpdb_results)} channels "
          f"not ok")
    assert len(jobs) == len(gaitpdb_results) == 2 * listed_in_checksums("gaitpdb", "*_*.txt")
    assert set(faulted) == set(range(8))
    assert not clean, clean
    assert not wrong, wrong


def test_a_saturating_channel_reaches_the_days_record_and_the_report(tmp_path):
    """The firmware core wears a walk whose medial forefoot sensor bottoms out under load; the day
    closes, the host stores the record and its report names the channel."""
    from array import array

    from insole.device import Device
    from insole_host.db import Database
    from insole_host.db import Device as Insole
    from insole_host.report import Report
    from sim import config_path
    from sim.day import make_adc, render_blocks
    from sim.recordings import GaitpdbReader
    cfg = json.loads(Path(config_path("sim")).read_text())
    adc = make_adc(cfg)
    adc.fault(6, "saturate")
    walk = render_blocks(GaitpdbReader(str(SHARED / "gaitpdb" / "GaCo01_01.txt"), "L"), 100, adc)["walk"]
    dev = Device(cfg)
    buf = array("H", [0] * 8)
    for i in range(0, len(walk), 8):
        buf[:] = walk[i:i + 8]
        dev.sample(buf)
    dev.clock.day += 1
    day = dev.close_day()
    with Database(tmp_path / "i.db") as db:
        db.store_records(Insole("INS-SAT", "L", "", ""), [day])
        report = Report(db)
    row = report.data["days"][0]
    assert row["flagged_channels"] == 1 << 6 and row["steps"] >= 90
    text = click.unstyle(report.text())
    assert "flagged ch 6" in text and "channel 6 (7 medial forefoot): the insole flagged the sensor" in text, text


def test_a_garbled_recording_is_reported_not_fatal(tmp_path):
    lines = (SHARED / "gaitpdb" / "GaCo01_01.txt").read_text().splitlines(keepends=True)
    lines[500] = lines[500][:25] + "\n"
    lines[900] = "garbage \x00 line\n"
    broken = tmp_path / "broken.txt"
    broken.write_text("".join(lines) + lines[0][:10])
    result = virtual.replay(broken, "L")
    assert [e["at"] for e in result["errors"]] == [501, 901, len(lines) + 1]
    assert result["error_count"] == 3
    assert result["samples"] == len(lines) - 2
    assert result["steps"] >= 90


def test_a_recording_with_many_bad_lines_keeps_a_capped_list_and_the_count(tmp_path):
    lines = (SHARED / "gaitpdb" / "GaCo01_01.txt").read_text().splitlines(keepends=True)
    for i in range(0, len(lines), 20):   # 5 % of the lines corrupt
        lines[i] = lines[i][:30] + "\n"
    broken = tmp_path / "five_percent.txt"
    broken.write_text("".join(lines))
    result = virtual.replay(broken, "L")
    bad = len(range(0, len(lines), 20))
    assert result["error_count"] == bad and len(result["errors"]) == 20
    assert result["samples"] == len(lines) - bad


def test_a_gaitndd_hea_path_means_the_record():
    by_hea = virtual.replay(SHARED / "gaitndd" / "park1.hea", "R")
    by_base = virtual.replay(SHARED / "gaitndd" / "park1", "R", "gaitndd")
    assert by_hea["samples"] == 90000 and by_hea["stance"] == by_base["stance"]
