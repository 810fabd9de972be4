"""insole_host.export: CSV, JSON and Parquet round trips, one row per insole and day."""
import csv
import json
import sys

import pytest

from host_records import LEFT, RIGHT, encoded, fields, fortnight
from insole_host import export
from insole_host.db import Database, UnknownDevice
from insole_host.firmware import record


@pytest.fixture
def table(tmp_path):
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded(fortnight(mli=40)))
        database.store_records(RIGHT, encoded(fortnight(mli=-20)[:10] + [fields(11, day=4, flags=record.FLAG_CLOCK_UNSET)]))
        yield export.rows(database)


def expected_rows():
    out = []
    for dev, days in ((LEFT, fortnight(mli=40)), (RIGHT, fortnight(mli=-20)[:10] + [
            fields(11, day=4, flags=record.FLAG_CLOCK_UNSET)])):
        for f in days:
            row = {"device_id": dev.id, "device_name": dev.name, "foot": dev.foot, "version": record.VERSION}
            row.update((k, v) for k, v in f.items() if k != "peaks_dn")
            row.update((f"peak{i}_dn", p) for i, p in enumerate(f["peaks_dn"]))
            out.append(row)
    return out


def check(rows):
    want = expected_rows()
    assert len(rows) == len(want) == 25
    for got, exp in zip(rows, want):
        assert {k: got[k] for k in exp} == exp
    assert rows[0]["date"] == "2026-11-25" and rows[-1]["date"] == "boot+4"
    assert list(rows[0]) == list(export.COLUMNS)


def test_rows(table):
    check(table)


def test_csv_round_trip(table, tmp_path):
    path = tmp_path / "out.csv"
    export.write(table, "csv", path)
    with path.open(newline="") as f:
        back = list(csv.DictReader(f))
    strings = ("device_id", "device_name", "foot", "date")
    check([{k: v if k in strings else int(v) for k, v in row.items()} for row in back])


def test_json_round_trip(table, tmp_path):
    path = tmp_path / "out.json"
    export.write(table, "json", path)
    check(json.loads(path.read_text()))


def test_parquet_round_trip(table, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "out.parquet"
    export.write(table, "parquet", path)
    check(pq.read_table(path).to_pylist())


def test_parquet_without_pyarrow_says_what_to_install(table, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(export.ExportError, match=r"--parquet needs pyarrow: pip install 'insole-host\[parquet\]'"):
        export.write(table, "parquet", tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()


def test_one_device_and_an_unknown_one(tmp_path):
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded(fortnight()))
        database.store_records(RIGHT, encoded(fortnight()))
        assert {r["device_id"] for r in export.rows(database, [RIGHT.id])} == {RIGHT.id}
        with pytest.raises(UnknownDevice):
            export.rows(database, ["XYZ"])
