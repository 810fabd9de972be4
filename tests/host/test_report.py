"""insole_host.report: JSON equal to the records, the table, the PNG's size, the HTML page."""
import base64
import json
import re
import struct

import click
import pytest

from host_records import LEFT, PEAKS, RIGHT, encoded, fields, fortnight
from insole_host import recordings
from insole_host.db import Database, Device
from insole_host.firmware import record
from insole_host.report import FIG_SIZE_PX, Report, wear_status


@pytest.fixture
def database(tmp_path):
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded(fortnight(mli=40)))
        database.store_records(RIGHT, encoded(fortnight(mli=-20)))
        yield database


def png_size(data: bytes) -> tuple:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_json_days_hold_the_records_values_exactly(database):
    data = json.loads(Report(database).to_json())
    expected = {(LEFT.id, f["seq"]): f for f in fortnight(mli=40)}
    expected.update({(RIGHT.id, f["seq"]): f for f in fortnight(mli=-20)})
    assert len(data["days"]) == 28
    for row in data["days"]:
        want = expected.pop((row["device_id"], row["seq"]))
        assert {k: row[k] for k in want} == want
        assert row["version"] == record.VERSION and row["foot"] == ("L" if row["device_id"] == LEFT.id else "R")
        assert row["cadence_spm"] == want["cadence_x10"] / 10
    assert not expected
    first = data["days"][0]
    assert (first["date"], first["wear_pct"], first["wear_status"]) == ("2026-11-25", 100.0, "within")
    assert (first["supinated_pct"], first["neutral_pct"], first["pronated_pct"]) == (10.0, 70.0, 20.0)
    assert [d["foot"] for d in data["days"][:4]] == ["L", "R", "L", "R"]
    assert {d["id"]: d["last_seq"] for d in data["devices"]} == {LEFT.id: 14, RIGHT.id: 14}
    assert data["analysis"]["devices"][LEFT.id]["pronation"]["baseline_permille"] == 40
    assert data["credit"] == []


def test_the_last_n_days_and_one_device(database):
    rows = Report(database, days=5).data["days"]
    assert [r["date"] for r in rows[::2]] == ["2026-12-04", "2026-12-05", "2026-12-06", "2026-12-07", "2026-12-08"]
    right = Report(database, [RIGHT.id], days=3)
    assert {r["device_id"] for r in right.data["days"]} == {RIGHT.id} and len(right.data["days"]) == 3
    assert len(right.data["analysis"]["devices"][RIGHT.id]["pronation"]["trend"]) == 14  # analysis: every day


def test_wear_status_by_the_rules():
    assert wear_status(fields(1, wear_s=3600, limit_s=3600)) == "within"
    assert wear_status(fields(1, wear_s=4500, limit_s=3600)) == "within"  # the rules' 125 % margin
    assert wear_status(fields(1, wear_s=4501, limit_s=3600)) == "well over"
    assert wear_status(fields(1, wear_s=0, limit_s=3600)) == "not worn"
    assert wear_status(fields(1, wear_s=0, limit_s=0, flags=record.FLAG_REST_DAY)) == "rest"
    assert wear_status(fields(1, wear_s=60, limit_s=0, flags=record.FLAG_REST_DAY)) == "worn on a rest day"
    assert wear_status(fields(1, wear_s=60, limit_s=0)) == "no limit"
    assert wear_status(fields(1, wear_s=5 * 3600, limit_s=3600, flags=record.FLAG_PAIN, pain=6)) == "pain"


def test_text_table_puts_the_advisory_first(database):
    text = click.unstyle(Report(database).text())
    lines = text.splitlines()
    assert lines[0].startswith("!!! left insole Anna (INS-L-0001): STOP wearing the insoles")
    assert "since 2026-12-02" in lines[0] and lines[1].startswith("!!! right insole")
    assert "insole     foot" in text  # each row names its insole and its foot
    row = next(line for line in lines if line.startswith("2026-12-04  INS-L-0001 L"))  # day 10: 30 % over
    assert "1:18 / 1:00   130   1300  101.0   +40       10/70/20      4    -  well over" in row
    assert row.endswith("ADVISORY")


def test_boot_counted_days_are_labelled(tmp_path):
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded([fields(1, day=0, flags=record.FLAG_CLOCK_UNSET),
                                              fields(2, day=1, flags=record.FLAG_CLOCK_UNSET), fields(3)]))
        rows = Report(database).data["days"]
    assert [r["date"] for r in rows] == ["boot+0", "boot+1", "2026-11-27"]
    assert [r["clock_set"] for r in rows] == [False, False, True]


def test_png_has_the_fixed_size(database, tmp_path):
    path = tmp_path / "r.png"
    Report(database).png(path)
    assert png_size(path.read_bytes()) == FIG_SIZE_PX == (1200, 800)


def test_png_with_rest_days_one_foot_and_no_records(tmp_path):
    days = fortnight()
    for d in (2, 5):
        days[d] = dict(days[d], flags=days[d]["flags"] | record.FLAG_REST_DAY, limit_s=0, wear_s=0, steps=0)
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded(days))
        assert png_size(Report(database).png_bytes()) == FIG_SIZE_PX
    with Database(tmp_path / "empty.db") as empty:
        assert png_size(Report(empty).png_bytes()) == FIG_SIZE_PX


def test_html_page_for_the_podiatrist(database, tmp_path):
    path = tmp_path / "r.html"
    Report(database).html(path)
    page = path.read_text()
    assert "<div class='advisory'><strong>left insole Anna (INS-L-0001): STOP wearing the insoles and " \
           "see a podiatrist" in page
    assert page.count("class='advisory'") == 2
    for f in fortnight():
        assert f"<td>{f['steps']}</td><td>{f['cadence_x10'] / 10:.1f}</td>" in page
    assert ("<td>2026-12-04</td><td>INS-L-0001</td><td>L</td><td>1:18</td><td>1:00</td><td>130</td>"
            "<td>well over</td>") in page
    png = re.search(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page).group(1)
    assert png_size(base64.b64decode(png)) == FIG_SIZE_PX
    text = page.replace(png, "")  # the image's base64 may spell anything
    assert "<link" not in text and "<script" not in text and "http" not in text  # self-contained
    assert recordings.credit("gaitpdb") not in page


def test_html_credits_the_recordings_of_a_virtual_insole(tmp_path):
    with Database(tmp_path / "i.db") as database:
        database.store_records(Device("VIRT-1", "L", "virtual", virtual_dataset="gaitpdb"), encoded(fortnight()))
        report = Report(database)
    assert report.data["credit"] == [recordings.credit("gaitpdb")]
    assert f"<p class='credit'>{recordings.credit('gaitpdb')}" in report.html_text().replace("&#x27;", "'")
    assert recordings.credit("gaitpdb") in click.unstyle(report.text())


def test_html_lists_the_findings(tmp_path):
    days = [fields(i + 1, mli_median=m) for i, m in enumerate([30, 10, 20, -200, -220, -240])]
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded(days))
        page = Report(database).html_text()
    assert "over-correction since 2026-11-28" in page and "class='advisory'" not in page
    assert "left/right asymmetry not judged: no right insole records" in page


def test_a_pain_day_shows_the_limit_in_force_and_marks_the_rollback(tmp_path):
    pain_day = fields(3, wear_s=4 * 3600 + 600, limit_s=3600, planned_s=3 * 3600, flags=record.FLAG_PAIN, pain=7)
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded([fields(1), fields(2), pain_day]))
        report = Report(database)
    row = report.data["days"][2]
    assert (row["planned_s"], row["limit_s"], row["rolled_back"], row["wear_pct"]) == (3 * 3600, 3600, True, 138.9)
    line = next(li for li in click.unstyle(report.text()).splitlines() if li.startswith("2026-11-27"))
    assert "4:10 / 3:00   139" in line and "pain: limit rolled back to 1:00" in line
    assert "<td>4:10</td><td>3:00</td><td>139</td><td>pain</td>" in report.html_text()
    assert "pain: limit rolled back to 1:00" in report.html_text()
    assert not any(r["rolled_back"] for r in report.data["days"][:2])


def test_the_plot_shows_the_rollback_pain_alerts_steps_and_advisory(tmp_path):
    days = [fields(1, alerts=0), fields(2, alerts=3),
            fields(3, wear_s=4 * 3600, limit_s=3600, planned_s=3 * 3600, flags=record.FLAG_PAIN, pain=7, alerts=0),
            fields(4, flags=record.FLAG_ADVISORY, alerts=0)]
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded(days))
        fig = Report(database).figure()
    wear_ax, steps_ax, _ = fig.axes
    legend = [t.get_text() for t in wear_ax.get_legend().get_texts()]
    for label in ("limit", "rolled back to (pain)", "pain (severity)", "alerts", "podiatrist advisory"):
        assert label in legend
    limits, rolled = (c for c in wear_ax.collections if hasattr(c, "get_segments"))
    assert sorted(seg[0][1] for seg in limits.get_segments()) == [2, 2, 2, 3]  # day 3 at its planned 3 h
    assert [seg[0][1] for seg in rolled.get_segments()] == [1]  # ... rolled back to 1 h
    assert "7" in [t.get_text() for t in wear_ax.texts]  # the pain's severity
    assert steps_ax.get_ylabel() == "steps" and [p.get_height() for p in steps_ax.patches] == [3000] * 4


def test_the_names_of_changes_beginning_on_the_same_or_neighbouring_days_do_not_overlap(tmp_path):
    # the left foot over-corrects from day 10; the right heel and lateral forefoot lose 40 % from day 11
    left = [fields(i, mli_median=40 + (i % 3) * 5 - (150 if i >= 10 else 0)) for i in range(1, 21)]
    right = [fields(i, peaks_dn=[round(p * (0.6 if i >= 11 and ch in (0, 5) else 1)) + (i % 3) * 20
                                 for ch, p in enumerate(PEAKS)]) for i in range(1, 21)]
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded(left))
        database.store_records(RIGHT, encoded(right))
        fig = Report(database).figure()
    pron_ax = fig.axes[2]
    renderer = fig.canvas.get_renderer()
    names = {t.get_text().strip(): t.get_window_extent(renderer) for t in pron_ax.texts if " from " in t.get_text()}
    assert sorted(names) == ["L over-correction from 2026-12-04", "R wear, channel 0 from 2026-12-05",
                             "R wear, channel 5 from 2026-12-05"]
    boxes = list(names.values())
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert all(pron_ax.bbox.y0 <= box.y0 and box.y1 <= pron_ax.bbox.y1 for box in boxes)  # inside the plot


def test_short_data_says_what_is_needed_not_none_found(tmp_path):
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded([fields(i) for i in range(1, 5)]))
        database.store_records(RIGHT, encoded([fields(i) for i in range(1, 5)]))
        report = Report(database)
    text, page = click.unstyle(report.text()), report.html_text()
    for shown in (text, page):
        assert "over-correction not judged yet: needs 6 worn days, 4 so far" in shown
        assert "insole wear not judged yet on 8 channels: needs 6 worn days, 4 so far" in shown
        assert "asymmetry not judged yet: needs 6 dated days worn on both feet, 4 so far" in shown
        assert "found" not in shown.replace("Findings", "")


def test_an_acknowledged_change_leaves_the_findings_and_is_listed(tmp_path):
    days = [fields(i + 1, mli_median=m) for i, m in enumerate([30, 10, 20, -200, -220, -240, -230])]
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded(days))
        (episode,) = Report(database).data["analysis"]["episodes"]
        database.acknowledge([{"device_id": LEFT.id, "kind": episode["kind"], "from_seq": episode["start_seq"],
                               "message": "over-correction since 2026-11-28", "note": "new orthotic"}])
        report = Report(database)
    assert report.data["analysis"]["episodes"] == []
    assert "Acknowledged:" in report.html_text() and "(new orthotic)" in report.html_text()
    assert "over-correction not judged yet: needs 6 worn days, 4 so far" in click.unstyle(report.text())
