"""`insole demo` end to end: two deployed virtual insoles live days through their
sensors in micropython, the host pulls them over the link's bytes (the left pull
cut halfway and resumed), stores them, and `insole report --json` gives exactly what
the firmware keeps on its flash."""
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from insole_host.cli import main

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
        assert len(firmware) == len(mine) == 4
        for rec, row in zip(firmware, mine):
            assert {k: rec[k] for k in FIELDS} == {k: row[k] for k in FIELDS}


def test_the_cut_pull_resumed_without_duplicates(demo):
    root, output = demo
    assert "pulled L: 4 records, 4 new, resumed 1x" in output
    with sqlite3.connect(root / "insole.db") as db:
        rows = db.execute("SELECT device_id, seq FROM records ORDER BY device_id, seq").fetchall()
    ids = [json.loads((root / foot / "config.json").read_text())["device_id"] for foot in "LR"]
    assert rows == [(d, s) for d in sorted(ids) for s in range(1, 5)]


def test_reports_are_written_and_said_where(demo):
    root, output = demo
    png, html = root / "report.png", root / "report.html"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"{png}" in output and f"{html}" in output
    text = html.read_text()
    assert "2026-11-19" in text and "PhysioNet" in text
