"""insole_host.db: storing pulled records once, rejecting bad ones, migrations, locked and read-only files."""
import os
import sqlite3
import time

import pytest

from host_records import LEFT, RIGHT, encoded, fields, fortnight
from support import version_1
from insole_host import db
from insole_host.db import Database, DatabaseError, DatabaseLocked, DatabaseMissing, DatabaseReadOnly, Device
from insole_host.firmware import record


def stored(database):
    return [{k: v for k, v in r.items() if k != "device_id"} for r in database.records()]


def test_records_come_back_as_the_codec_decodes_them(tmp_path):
    days = fortnight()
    with Database(tmp_path / "i.db") as database:
        added, errors = database.store_records(LEFT, encoded(days))
        assert (added, errors) == (14, [])
        assert stored(database) == [record.decode(b) for b in encoded(days)]
        assert database.last_seq(LEFT.id) == 14
        assert [d.id for d in database.devices()] == [LEFT.id]
        assert database.device(LEFT.id).first_seen


def test_storing_the_same_records_again_adds_nothing(tmp_path):
    blobs = encoded(fortnight())
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, blobs[:10])
        assert database.store_records(LEFT, blobs) == (4, [])  # a resumed pull overlapping the last one
        assert database.store_records(LEFT, blobs) == (0, [])
        assert database.store_records(LEFT, blobs[:3] + blobs[:3]) == (0, [])
        count = database.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    assert count == 14


def test_one_buffer_of_records_back_to_back(tmp_path):
    blobs = encoded(fortnight())
    with Database(tmp_path / "i.db") as database:
        added, errors = database.store_records(LEFT, b"".join(blobs) + blobs[0][:20])
        assert added == 14
        assert [(e.index, "55 bytes" in e.reason) for e in errors] == [(14, True)]


def test_bad_records_are_reported_and_skipped(tmp_path):
    blobs = encoded(fortnight())
    flipped = bytearray(blobs[3])
    flipped[10] ^= 0x40
    blobs[3] = bytes(flipped)
    blobs[5] = blobs[5][:-1]
    blobs[7] = b"\x07" + blobs[7][1:]
    with Database(tmp_path / "i.db") as database:
        added, errors = database.store_records(LEFT, blobs)
        assert added == 11
        assert [e.index for e in errors] == [3, 5, 7]
        assert "CRC mismatch" in errors[0].reason and str(errors[0]).startswith("record #3: ")
        assert "55 bytes, not 54" in errors[1].reason
        assert "unknown record version 7" in errors[2].reason
        assert [r["seq"] for r in database.records()] == [1, 2, 3, 5, 7, 9, 10, 11, 12, 13, 14]


def test_a_different_record_under_a_stored_seq_is_reported_and_the_stored_one_kept(tmp_path):
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded([fields(1, steps=100)]))
        added, errors = database.store_records(LEFT, encoded([fields(1, steps=200), fields(2)]))
        assert added == 1
        assert [e.index for e in errors] == [0] and "already stored with different contents" in errors[0].reason
        assert database.records()[0]["steps"] == 100


def test_a_checkpoint_is_replaced_by_the_closed_day(tmp_path):
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded([fields(1), fields(2, steps=50, flags=record.FLAG_PARTIAL)]))
        assert database.last_seq(LEFT.id) == 1  # the next pull asks again for seq 2
        assert database.store_records(LEFT, encoded([fields(2, steps=900)])) == (1, [])
        assert [r["steps"] for r in database.records()] == [3000, 900]
        assert database.last_seq(LEFT.id) == 2


def test_left_and_right_are_kept_apart(tmp_path):
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded(fortnight(mli=40)))
        database.store_records(RIGHT, encoded(fortnight(mli=-60)[:9]))
        assert database.last_seq(LEFT.id) == 14 and database.last_seq(RIGHT.id) == 9
        assert len(database.records([RIGHT.id])) == 9
        assert {r["mli_median"] for r in database.records([RIGHT.id])} == {-70, -60, -50}
        assert [d.foot for d in database.devices()] == ["L", "R"]
        assert database.last_import(RIGHT.id) is not None


def test_devices_are_checked():
    with pytest.raises(ValueError, match="foot must be L or R"):
        Device("X", "left")
    with pytest.raises(ValueError, match="needs an id"):
        Device("", "L")


def test_unknown_device(tmp_path):
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, [])
        with pytest.raises(db.UnknownDevice, match="unknown device 'XYZ' \\(known: INS-L-0001\\)"):
            database.device("XYZ")


V1_SCHEMA = """
CREATE TABLE devices (id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', address TEXT NOT NULL DEFAULT '',
    foot TEXT NOT NULL CHECK (foot IN ('L', 'R')), first_seen TEXT NOT NULL);
CREATE TABLE records (device_id TEXT NOT NULL REFERENCES devices(id), seq INTEGER NOT NULL,
    version INTEGER NOT NULL, flags INTEGER NOT NULL, day INTEGER NOT NULL, wear_s INTEGER NOT NULL,
    limit_s INTEGER NOT NULL, steps INTEGER NOT NULL, cadence_x10 INTEGER NOT NULL,
    mli_median INTEGER NOT NULL, cpei_median INTEGER NOT NULL, supinated INTEGER NOT NULL,
    neutral INTEGER NOT NULL, pronated INTEGER NOT NULL, peak0_dn INTEGER NOT NULL, peak1_dn INTEGER NOT NULL,
    peak2_dn INTEGER NOT NULL, peak3_dn INTEGER NOT NULL, peak4_dn INTEGER NOT NULL, peak5_dn INTEGER NOT NULL,
    peak6_dn INTEGER NOT NULL, peak7_dn INTEGER NOT NULL, flagged_channels INTEGER NOT NULL,
    alerts INTEGER NOT NULL, pain INTEGER NOT NULL, raw BLOB NOT NULL,
    PRIMARY KEY (device_id, seq)) WITHOUT ROWID;
PRAGMA user_version = 1;
"""


def make_v1(path):
    """A version 1 database, written by hand: one device and its first day."""
    f = fortnight()[0]
    raw = version_1(f)  # what a version 1 firmware sent
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.execute("INSERT INTO devices VALUES ('INS-L-0001', 'old name', 'AA', 'L', '2026-11-01T08:00:00+00:00')")
    conn.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                 "?, ?, ?)", ("INS-L-0001", 1, 1, 0, f["day"], f["wear_s"], f["limit_s"], f["steps"],
                              f["cadence_x10"], f["mli_median"], f["cpei_median"], f["supinated"], f["neutral"],
                              f["pronated"], *f["peaks_dn"], 0, f["alerts"], f["pain"], raw))
    conn.commit()
    conn.close()


def test_migration_from_v1(tmp_path):
    path = tmp_path / "old.db"
    make_v1(path)
    with Database(path) as database:
        assert database.schema_version() == db.SCHEMA_VERSION == 4
        (dev,) = database.devices()
        assert (dev.name, dev.first_seen, dev.virtual_dataset) == ("old name", "2026-11-01T08:00:00+00:00", None)
        first = fortnight()[0]
        assert stored(database) == [first | {"version": 1, "planned_s": first["limit_s"]}]
        assert database.last_import(LEFT.id) is None
        assert database.store_records(Device(LEFT.id, "L"), [version_1(first)]) == (0, [])  # the same bytes again
        added, errors = database.store_records(Device(LEFT.id, "L", virtual_dataset="gaitpdb"),
                                               encoded(fortnight()[1:]))
        assert (added, errors) == (13, [])
        dev = database.device(LEFT.id)
        assert (dev.name, dev.virtual_dataset, dev.first_seen) == ("old name", "gaitpdb", "2026-11-01T08:00:00+00:00")
    with Database(path) as again:
        assert again.schema_version() == 4 and len(again.records()) == 14


def test_a_fresh_database_gets_every_migration(tmp_path):
    with Database(tmp_path / "sub" / "dir" / "new.db") as database:
        assert database.schema_version() == 4
        tables = {r[0] for r in database.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"devices", "records", "imports", "acknowledged"}


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 9")
    conn.close()
    with pytest.raises(DatabaseError, match="schema v9, newer than this insole-host reads"):
        Database(path)


def test_missing_and_garbage_files(tmp_path):
    with pytest.raises(DatabaseMissing, match="no insole database at"):
        Database(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(DatabaseError, match="not a usable insole database"):
        Database(junk)


def test_a_write_locked_database_says_so_quickly_and_readers_go_on(tmp_path):
    path = tmp_path / "i.db"
    with Database(path) as database:
        database.store_records(LEFT, encoded(fortnight()[:2]))
    other = sqlite3.connect(path, isolation_level=None)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Database(path, timeout=0.1) as database:
        other.execute("BEGIN EXCLUSIVE")
        try:
            t0 = time.monotonic()
            with pytest.raises(DatabaseLocked, match="database is locked by another insole process: .*i.db"):
                database.store_records(LEFT, encoded(fortnight()))
            assert time.monotonic() - t0 < 2
            assert len(database.records()) == 2  # WAL: a report reads while a pull writes
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert database.store_records(LEFT, encoded(fortnight()))[0] == 12


def test_a_read_only_database_reads_but_refuses_writes(tmp_path):
    path = tmp_path / "i.db"
    with Database(path) as database:
        database.store_records(LEFT, encoded(fortnight()))
    os.chmod(path, 0o444)
    try:
        with Database(path) as database:
            assert len(database.records()) == 14
            with pytest.raises(DatabaseReadOnly, match="database is read-only: .*i.db"):
                database.store_records(LEFT, encoded([fields(15)]))
        old = tmp_path / "old.db"
        make_v1(old)
        os.chmod(old, 0o444)
        with pytest.raises(DatabaseReadOnly, match="schema v1 needs upgrading to v4"):
            Database(old)
    finally:
        os.chmod(path, 0o644)


def test_default_path_is_in_the_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.setattr(db.platformdirs, "user_data_dir", lambda app: str(tmp_path / app))
    assert db.default_path() == tmp_path / "insole" / "insole.db"


def test_acknowledged_changes_are_kept_in_order(tmp_path):
    with Database(tmp_path / "i.db") as database:
        database.store_records(LEFT, encoded(fortnight()))
        assert database.acknowledged() == []
        database.acknowledge([{"device_id": LEFT.id, "kind": "over_correction", "channel": None, "from_seq": 9,
                               "from_day": 9833, "start": "2026-12-03", "size": -85, "message": "moved"},
                              {"device_id": LEFT.id, "kind": "*", "from_seq": 15, "note": "new orthotic"}])
    with Database(tmp_path / "i.db") as database:
        first, reset = database.acknowledged()
    assert (first["kind"], first["from_seq"], first["size"], first["message"], first["note"]) == \
        ("over_correction", 9, -85, "moved", "")
    assert (reset["kind"], reset["channel"], reset["from_day"], reset["note"]) == ("*", None, None, "new orthotic")
    assert first["at"] and first["at"] == reset["at"]
