"""`insole demo` end to end: two deployed virtual insoles live days through their
sensors in micropython, the host pulls them over the link's bytes (the left pull
cut halfway and resumed), stores them, and `insole report --json` gives exactly what
the firmware keeps on its flash."""
import asyncio
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from insole_host import demo as demo_mod
from insole_host.cli import main
from insole_host.db import Database
from insole_host.demo import DAYS, HEEL, HEEL_DECAY, LATERAL, ORTHOTIC_DAY, OVER_PAIN

from edge.store import Store

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "gaitpdb"
FIELDS = ("seq", "day", "wear_s", "limit_s", "steps", "cadence_x10", "mli_median", "cpei_median",
          "supinated", "neutral", "pronated", "alerts", "pain", "flags", "peaks_dn")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    if not SHARED.is_dir():
        pytest.skip("no recordings in ../shared/data")
    root = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(root / "home"))  # the keys deploy provisions
        out = CliRunner().invoke(main, ["demo", "--dir", str(root)])
    assert out.exit_code == 0, out.output
    return root, out.output


def test_report_gives_exactly_what_the_firmware_computed(demo):
    root, _ = demo
    out = CliRunner().invoke(main, ["report", "--json", "--days", "0", "--db", str(root / "insole.db")])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)["days"]
    for foot in "LR":
        store = Store(str(root / foot / "data"))  # the insole's flash, read by the firmware's own store
        store.recover()
        firmware = list(store.records_after(0))
        mine = sorted((r for r in rows if r["foot"] == foot), key=lambda r: r["seq"])
        assert len(firmware) == len(mine) == DAYS
        for rec, row in zip(firmware, mine):
            assert {k: rec[k] for k in FIELDS} == {k: row[k] for k in FIELDS}


def test_the_cut_pull_resumed_without_duplicates(demo):
    root, output = demo
    assert f"pulled L: {DAYS} records, {DAYS} new, resumed 1x" in output
    with sqlite3.connect(root / "insole.db") as db:
        rows = db.execute("SELECT device_id, seq FROM records ORDER BY device_id, seq").fetchall()
    ids = [json.loads((root / foot / "config.json").read_text())["device_id"] for foot in "LR"]
    assert rows == [(d, s) for d in sorted(ids) for s in range(1, DAYS + 1)]


def test_reports_are_written_and_said_where(demo):
    root, output = demo
    png, html = root / "report.png", root / "report.html"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"{png}" in output and f"{html}" in output
    text = html.read_text()
    assert "2026-10-19" in text and "PhysioNet" in text
    assert output.rstrip().splitlines()[-1].lstrip().startswith("insole virtual live")  # ends with what to try next


def flags_of(db):
    """The report's analysis, as `insole report --json` gives it."""
    out = CliRunner().invoke(main, ["report", "--json", "--db", str(db)])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)["analysis"]


def test_every_analysis_fires_where_it_happened_and_nowhere_else(demo):
    root, _ = demo
    ids = {foot: json.loads((root / foot / "config.json").read_text())["device_id"] for foot in "LR"}
    found = flags_of(root / "insole.db")
    fired = sorted((f["kind"], f["device_id"], (f.get("episode") or {}).get("channel")) for f in found["flags"])
    assert fired == sorted([("advisory", ids["L"], None), ("advisory", ids["R"], None),
                            ("over_correction", ids["L"], None), ("insole_wear", ids["R"], HEEL)])
    episodes = {f["kind"]: f["episode"] for f in found["flags"] if f.get("episode")}
    over, heel = episodes["over_correction"], episodes["insole_wear"]
    # the orthotic came on day ORTHOTIC_DAY; detected within 3 worn days of its full effect
    assert over["start"] == day_date(ORTHOTIC_DAY) and over["detected"] <= day_date(max(LATERAL) + 3)
    assert over["size"] <= -80
    first, last, _ = HEEL_DECAY
    assert day_date(first) <= heel["start"] and heel["detected"] <= day_date(last)
    advisory = found["devices"][ids["L"]]["advisory"]
    assert advisory["since"] == day_date(max(OVER_PAIN))


def day_date(day):
    return (dt.date(2026, 10, 19) + dt.timedelta(days=day - 1)).isoformat()


def test_the_same_six_weeks_without_the_changes_flag_nothing(tmp_path):
    if not SHARED.is_dir():
        pytest.skip("no recordings in ../shared/data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(tmp_path / "home"))
        ids = asyncio.run(demo_mod.live(tmp_path, changes=False))
        with Database(tmp_path / "insole.db") as db:
            asyncio.run(demo_mod.pull_both(tmp_path, ids, db))
    found = flags_of(tmp_path / "insole.db")
    assert found["flags"] == []
    assert len(found["judged"]) >= 5  # judged, not skipped: over-correction, wear per insole, asymmetry
