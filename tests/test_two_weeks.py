"""Two weeks of break-in in the virtual insole (firmware in micropython, virtual clock).

Scripted wear woven from a real walk; pain reported on days 5 to 8. Checks the
limits day by day, the alerts' times against the scripted wear, no alert while
off the foot, the rollback, the podiatrist advisory, and the records read back
from the flash store against the script.
"""
import json
from pathlib import Path

import pytest

from insole_host import virtual

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
WALK = SHARED / "gaitpdb" / "GaCo03_01.txt"
H = 3600
MIDNIGHT = 1795564800  # 2026-11-25 00:00 UTC
DAY0 = (MIDNIGHT - 946684800) // 86400
BRIDGE_S = 900
ON_FOOT_S = 60

# The limits the README's rules give (standard preset): up an hour a day while within;
# pain on day 5 drops to 1 h at once; pain on days 6-8 at the start level raises the
# advisory on day 8; the hold after the last pain ends with day 11.
LIMITS_H = [1, 2, 3, 4, 5, 1, 1, 1, 1, 1, 1, 2, 3, 4]
PAIN_DAYS = {5, 6, 7, 8}
OVER_DAYS = {3: 1.1, 10: 1.3}  # worn 10 % over (still within 125 %), and 30 % over (held)


def wear_script(limit_s, factor):
    """A day: asleep till 8:00, walks and seated work until `factor` x limit is worn,
    a 10 min unloaded gap (bridged) and a 20 min shoes-off break (not worn) in between."""
    target = int(limit_s * factor)
    script = [["off", 8 * H]]
    worn = 0
    pattern = [("walk", 900), ("sit", 1200), ("gap", 600), ("walk", 600), ("off", 1200)]
    i = 0
    while worn < target:
        kind, seconds = pattern[i % len(pattern)]
        if kind in ("walk", "sit"):
            seconds = min(seconds, target - worn)
            worn += seconds
        elif kind == "gap":
            worn += seconds
        script.append([kind, seconds])
        i += 1
    return script


def worn_timeline(script):
    """(second of day, worn seconds) at each second the wear grows, by the bridging rule."""
    t, worn, seen, pending_from = 0, 0, False, None
    marks = []
    for kind, seconds in script:
        if kind in ("walk", "sit", "stand"):
            if seen and pending_from is not None and t - pending_from <= BRIDGE_S:
                for s in range(pending_from, t):
                    worn += 1
                    marks.append((s, worn))
            for s in range(t, t + seconds):
                worn += 1
                marks.append((s, worn))
            seen, pending_from = True, None
        elif pending_from is None:
            pending_from = t
        t += seconds
    return marks


def loaded_spans(script):
    t, spans = 0, []
    for kind, seconds in script:
        if kind in ("walk", "sit", "stand"):
            spans.append((t, t + seconds))
        t += seconds
    return spans


@pytest.fixture(scope="module")
def fortnight(tmp_path_factory):
    if not WALK.exists():
        pytest.skip("no recordings in ../shared/data")
    days = []
    for d, hours in enumerate(LIMITS_H, start=1):
        script = wear_script(hours * H, OVER_DAYS.get(d, 1.0))
        day = {"wear": script}
        if d in PAIN_DAYS:
            day["pain"] = [[8 * H + 1800, 6]]
        days.append(day)
    scenario = {"walk": str(WALK), "foot": "R", "fs_hz": 20, "plan": {"preset": "standard"},
                "set_time": [MIDNIGHT, 0], "days": days}
    tmp = tmp_path_factory.mktemp("fortnight")
    (tmp / "scenario.json").write_text(json.dumps(scenario))
    out = virtual.run_firmware("sim.days", [str(tmp / "scenario.json"), str(tmp / "store")], heap="16M")
    return scenario, json.loads(out)


def test_limits_day_by_day_with_pain_rollback(fortnight):
    scenario, result = fortnight
    got = [d["limit_s"] for d in result["days"]]
    assert got == [h * H for h in LIMITS_H]
    day5 = result["days"][4]
    assert day5["pain"][0][3] == H  # the report on day 5 rolled the limit back to 1 h at once


def test_podiatrist_advisory_after_three_pain_days_at_the_start_level(fortnight):
    _, result = fortnight
    advisory = [d["advisory"] for d in result["days"]]
    assert advisory == [False] * 7 + [True] * 7
    assert any(a[1] == 4 for a in result["days"][7]["alerts"])  # ADVISORY event on day 8
    assert any(b[2] == 4 for b in result["buzz"])


def test_alerts_at_the_right_times_and_never_off_the_foot(fortnight):
    scenario, result = fortnight
    for d, (day, script) in enumerate(zip(result["days"], (x["wear"] for x in scenario["days"])), start=1):
        limit = day["limit_s"]
        timeline = worn_timeline(script)
        when = {}
        for second, worn in timeline:
            when.setdefault(worn, second)
        spans = loaded_spans(script)
        wear_alerts = [a for a in day["alerts"] if a[1] in (1, 2, 3)]
        for seq, kind, second, worn, lim in wear_alerts:
            assert any(a - 1 <= second <= b + ON_FOOT_S for a, b in spans), (d, kind, second)
        kinds = [a[1] for a in wear_alerts]
        total = timeline[-1][1]
        expected = []
        if total >= limit * 9 // 10:
            expected.append((1, when[limit * 9 // 10]))
        if total >= limit and d not in PAIN_DAYS:
            expected.append((2, when[limit]))
            expected += [(3, when[limit + k * 900]) for k in range(1, 5) if limit + k * 900 <= total]
        if d in PAIN_DAYS:
            continue  # the rollback re-arms the alerts mid-day; checked by the firmware's unit tests
        assert kinds == [k for k, _ in expected], (d, wear_alerts, expected)
        for (kind, t), alert in zip(expected, wear_alerts):
            assert abs(alert[2] - t) <= 5, (d, kind, alert, t)


def test_summaries_in_the_store_match_the_script(fortnight):
    scenario, result = fortnight
    records = result["records"]
    assert [r["seq"] for r in records] == list(range(1, 15))
    assert [r["day"] for r in records] == list(range(DAY0, DAY0 + 14))
    assert result["store"] == {"corrupt": 0, "dropped": 0}
    for d, (rec, day, script) in enumerate(zip(records, result["days"], (x["wear"] for x in scenario["days"])),
                                           start=1):
        truth = worn_timeline(script)[-1][1]
        assert abs(rec["wear_s"] - truth) <= 60, (d, rec["wear_s"], truth)
        assert rec["wear_s"] == day["worn_s"]
        assert rec["limit_s"] == (H if d in PAIN_DAYS else day["limit_s"])
        assert bool(rec["flags"] & 0x02) == (d in PAIN_DAYS) and rec["pain"] == (6 if d in PAIN_DAYS else 0)
        assert bool(rec["flags"] & 0x04) == (d >= 8)
        assert not rec["flags"] & (0x01 | 0x10)
        assert rec["alerts"] == len([a for a in day["alerts"] if a[1] in (1, 2, 3)])
        assert rec["steps"] > 100 and rec["supinated"] + rec["neutral"] + rec["pronated"] == rec["steps"]
