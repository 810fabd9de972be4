"""Every failure of the README's table: one clear line, the exit code it gives, and nothing lost.

The insole is the virtual one (the firmware in micropython over stdio); a
backend that is not on this machine (BlueZ, a USB dongle) is made to fail the
way it does where it is missing.
"""
import asyncio
import fcntl
import os
import signal
import sqlite3

import pytest
from click.testing import CliRunner

from insole_host import pull as pull_mod
from insole_host.cli import main
from insole_host.db import Database, Device
from insole_host.transport.virtual import VirtualInsole

DEVICE = "VIRT-7"
DAYS = 70


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line(result) -> str:
    """The output's last line; it is the only 'Error:' line and there is no traceback."""
    assert "Traceback" not in result.output
    assert result.output.count("Error:") <= 1
    return result.output.strip().splitlines()[-1]


@pytest.fixture
def insole(deployed, tmp_path):
    """(the pull's arguments, the database path) for a deployed virtual insole whose flash
    holds DAYS days."""
    folder, cfg = deployed(days=DAYS)
    db = tmp_path / "insole.db"
    return ["--device", cfg["device_id"], "--via", f"virtual:{folder}", "--db", db], db


def stored_seqs(db):
    with Database(db, create=False) as database:
        return [r["seq"] for r in database.records()]


def consistent(db) -> bool:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_a_pull_stores_in_batches_and_the_next_one_asks_after_the_last_stored(insole, monkeypatch):
    args, db = insole
    monkeypatch.setattr(pull_mod, "BATCH_RECORDS", 25)
    result = run("pull", *args, "--foot", "L")
    assert result.exit_code == 0, result.output
    assert f"left insole {args[1]}: {DAYS} records received, {DAYS} new" in result.output
    with Database(db, create=False) as database:
        assert [r["seq"] for r in database.records()] == list(range(1, DAYS + 1))
        batches = database.conn.execute("SELECT added FROM imports").fetchall()
    assert batches == [(25,), (25,), (DAYS - 50,)]  # one transaction per batch, the rest at the end
    assert consistent(db) and sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    result = run("pull", *args)
    assert result.exit_code == 0 and "0 records received" in result.output


def test_the_first_contact_registers_the_device_and_its_foot_stays(deployed, tmp_path):
    folder, cfg = deployed()
    DEVICE = cfg["device_id"]
    args = ["--device", DEVICE, "--via", f"virtual:{folder}", "--db", tmp_path / "i.db"]
    result = run("pull", *args, "--foot", "R")
    assert result.exit_code == 0 and "0 records received" in result.output, result.output
    with Database(tmp_path / "i.db", create=False) as database:
        assert [(d.id, d.foot) for d in database.devices()] == [(DEVICE, "R")]
    result = run("pull", *args, "--foot", "L")
    assert result.exit_code == 2
    assert one_line(result) == (f"Error: Invalid value for '--foot': {DEVICE} is registered as the right insole, "
                                f"not the left: a device keeps its foot")
    assert run("pull", *args, "--foot", "R").exit_code == 0


def corrupting(monkeypatch, at: int, how):
    """The virtual link hands over the `at`-th record notification as `how(bytes)` makes it."""
    deliver = VirtualInsole._deliver
    seen = []

    def faulty(self, name, data):
        if name == "records":
            seen.append(data)
            if len(seen) == at:
                data = how(data, seen)
        deliver(self, name, data)

    monkeypatch.setattr(VirtualInsole, "_deliver", faulty)


@pytest.mark.parametrize("how, says", [
    (lambda data, seen: data[:-1] + bytes([data[-1] ^ 1]), f"record 40 of {DAYS} fails its tag: changed on the way"),
    (lambda data, seen: seen[-3], "record seq 38 after seq 39: out of order or doubled"),
])
def test_a_bad_record_stops_the_pull_keeping_what_came_before_and_the_next_pull_retries(insole, monkeypatch, how,
                                                                                       says):
    args, db = insole
    with monkeypatch.context() as patch:
        patch.setattr(pull_mod, "BATCH_RECORDS", 7)
        corrupting(patch, 40, how)
        result = run("pull", *args, "--foot", "L")
    assert result.exit_code == 1
    assert one_line(result) == (f"Error: pull stopped after 39 records: {says}; those are stored, "
                                f"and the next pull asks again after seq 39")
    assert stored_seqs(db) == list(range(1, 40)) and consistent(db)
    result = run("pull", *args)
    assert result.exit_code == 0 and f"{DAYS - 39} new" in result.output
    assert stored_seqs(db) == list(range(1, DAYS + 1))


def test_a_forward_gap_is_reported_by_the_pull_and_the_report(insole):
    args, db = insole
    store = os.path.join(args[3].partition(":")[2], "data")
    os.remove(os.path.join(store, "log", "00000033.rec"))  # seqs 33..64 gone from the insole's flash
    result = run("pull", *args, "--foot", "L")
    assert result.exit_code == 0, result.output
    assert f"{DAYS - 32} records received" in result.output
    assert "seqs 33-64 never came: the insole skipped them or no longer holds them" in result.output
    result = run("report", "--db", db, "--days", "0")
    assert result.exit_code == 0 and f"{args[1]}: seqs 33-64 missing" in result.output


def test_ctrl_c_in_a_pull_exits_130_with_the_stored_records_consistent(insole, monkeypatch):
    args, db = insole
    add = pull_mod._Batch.add
    seen = []

    def interrupted(self, raw, fields):
        add(self, raw, fields)
        seen.append(raw)
        if len(seen) == 30:
            signal.raise_signal(signal.SIGINT)  # as the terminal's Ctrl-C

    monkeypatch.setattr(pull_mod._Batch, "add", interrupted)
    result = run("pull", *args, "--foot", "L")
    assert result.exit_code == 130 and one_line(result) == "interrupted: what was stored is kept"
    seqs = stored_seqs(db)
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 30 and consistent(db)
    monkeypatch.setattr(pull_mod._Batch, "add", add)  # (undo() would also drop the user_home fixture)
    again = run("pull", *args)
    assert again.exit_code == 0 and stored_seqs(db) == list(range(1, DAYS + 1)), again.output


def test_ctrl_c_in_the_first_moments_of_a_pull_exits_130_and_leaves_no_database(insole, monkeypatch):
    args, db = insole

    async def interrupted(self, address=None):
        signal.raise_signal(signal.SIGINT)
        await asyncio.Event().wait()  # still connecting

    monkeypatch.setattr(VirtualInsole, "connect", interrupted)
    result = run("pull", *args, "--foot", "L")
    assert result.exit_code == 130 and one_line(result) == "interrupted: what was stored is kept"
    assert not db.exists()


def test_ctrl_c_stops_live_normally(insole, monkeypatch):
    args, _ = insole
    read_status = VirtualInsole.read_status

    async def interrupted(self):
        status = await read_status(self)
        signal.raise_signal(signal.SIGINT)
        return status

    monkeypatch.setattr(VirtualInsole, "read_status", interrupted)
    result = run("live", *args[:4], "--seconds", 600)
    assert result.exit_code == 0 and "Error" not in result.output and "stopped following" in result.output


def test_a_second_pull_into_the_same_database_is_refused(insole):
    args, db = insole
    Database(db).close()
    with open(db, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a pull is running
        result = run("pull", *args, "--foot", "L")
    assert result.exit_code == 1
    assert one_line(result) == f"Error: another pull is writing to {db}: wait for it to finish, then pull again"
    assert run("pull", *args, "--foot", "L").exit_code == 0


def test_a_file_that_is_not_a_database(insole):
    args, db = insole
    db.write_text("not a database\n")
    result = run("pull", *args, "--foot", "L")
    assert result.exit_code == 1
    assert one_line(result) == f"Error: not a usable insole database: {db}: file is not a database"
    assert db.read_text() == "not a database\n"


def test_scan_without_bluez(monkeypatch):
    import bleak

    async def no_dbus(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory")  # what bleak meets without the system bus

    monkeypatch.setattr(bleak.BleakScanner, "discover", no_dbus)
    result = run("scan", "--timeout", 0.1)
    assert result.exit_code == 1
    assert one_line(result).startswith("Error: the laptop's Bluetooth is not reachable through bleak: BlueZ is not "
                                       "running here")


def test_a_failed_bleak_pull_leaves_no_database_file(tmp_path, monkeypatch):
    import bleak

    async def no_dbus(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(bleak.BleakScanner, "discover", no_dbus)
    key = tmp_path / "key.hex"
    key.write_text(os.urandom(32).hex())
    result = run("pull", "--device", DEVICE, "--via", "bleak", "--key-file", key, "--foot", "L",
                 "--db", tmp_path / "new.db")
    assert result.exit_code == 1 and "BlueZ is not running" in one_line(result)
    assert list(tmp_path.iterdir()) == [key]


def test_bumble_without_its_dongle_or_port(monkeypatch):
    import bumble.transport
    from bumble.transport.common import TransportInitError

    async def no_dongle(spec):
        raise TransportInitError("device not found")  # bumble's usb transport with nothing plugged in

    result = run("scan", "--via", "bumble:serial:/nonexistent", "--timeout", 0.1)
    assert result.exit_code == 1
    assert one_line(result) == "Error: cannot open the HCI transport serial:/nonexistent: No such file or directory"
    monkeypatch.setattr(bumble.transport, "open_transport", no_dongle)
    result = run("scan", "--via", "bumble:usb:0", "--timeout", 0.1)
    assert result.exit_code == 1
    assert one_line(result) == ("Error: no Bluetooth USB dongle at usb:0 (device not found): plug one in, or list the "
                                "connected ones with bumble-usb-probe")



def test_a_link_cut_inside_a_batch_stores_what_came_and_resumes_after_it(insole):
    args, db = insole
    virtual = VirtualInsole(args[3].partition(":")[2])
    DEVICE = virtual.device_id
    key = bytes.fromhex(virtual.config["auth_key"])

    async def cut_pull():
        try:
            with Database(db) as database:
                return await pull_mod.pull(virtual, database, Device(DEVICE, "L"), key, cut_after=20)
        finally:
            await virtual.stop()

    result = asyncio.run(cut_pull())  # 20 records, far fewer than a batch, then the link drops
    assert (result.resumed, result.received, result.added, result.gaps) == (1, DAYS, DAYS, [])
    assert stored_seqs(db) == list(range(1, DAYS + 1)) and consistent(db)
    with Database(db, create=False) as database:
        assert database.conn.execute("SELECT added FROM imports").fetchall() == [(20,), (DAYS - 20,)]
