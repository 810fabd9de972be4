"""SQLite storage of what the insoles report: devices, their daily records, the imports.

The database is `platformdirs.user_data_dir("insole")/insole.db` unless a path is
given (`--db`). Its schema version is `PRAGMA user_version`; `MIGRATIONS[v]` takes a
database from version v to v + 1 in one transaction, and opening an older database
runs the missing ones in order.

Schema, version 3:

    devices  id TEXT PRIMARY KEY (the insole's serial number), name, address,
             foot 'L' | 'R', first_seen (ISO 8601 UTC),
             virtual_dataset (v2: the recordings a virtual insole replayed, e.g.
             'gaitpdb'; NULL for a real insole)
    records  device_id, seq (PRIMARY KEY together), day, flags, version, wear_s,
             limit_s, steps, cadence_x10, mli_median, cpei_median, supinated,
             neutral, pronated, peak0_dn .. peak7_dn, flagged_channels, alerts,
             pain, raw (the record's bytes as received), planned_s (v3: the day's
             limit before a pain rollback; a version 1 record, which has none,
             has its limit_s)
    imports  (v2) one row per `store_records` call: device_id, at, added, rejected
    acknowledged  (v3) one row per acknowledged change or baseline reset: device_id
             (NULL: both feet), kind ('over_correction', 'insole_wear', 'asymmetry',
             '*' for a reset of every detector), channel (NULL: all), from_seq and
             from_day (the detector's new baseline starts there), the episode's
             start, size and message as shown, at (ISO UTC), note

Records are decoded with the firmware's own codec. Storing a record twice is a
no-op; a stored PARTIAL record (a checkpoint of an unfinished day) is replaced by
a newer one of the same seq; any other record whose seq is already stored with
different bytes, and any record the codec rejects, is skipped and reported.
The pull state is `last_seq(device)`: the newest closed record's seq.

Durability: the journal is a write-ahead log (WAL) with `synchronous = NORMAL`.
A committed transaction survives the process at once (a crash, Ctrl-C, a kill);
the operating system writes it to the disk at the next checkpoint. A power cut
before then takes the database back to an earlier commit, consistent, and the
pull state with it: a pull never asks for the records after a seq that is not
stored, so the next pull asks again for whatever the cut took (the insole keeps
its records until its flash is full).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import operator
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, NamedTuple, Optional, Union

import platformdirs

from insole_host.firmware import record

DEFAULT_TIMEOUT_S = 1.0
PEAK_COLUMNS = tuple("peak%d_dn" % i for i in range(record.CHANNELS))
# Record columns in the codec's field order, peaks_dn spread over PEAK_COLUMNS.
RECORD_COLUMNS = tuple(c for f in record.FIELDS for c in (PEAK_COLUMNS if f == "peaks_dn" else (f,)))
_PEAKS_AT = record.FIELDS.index("peaks_dn")
_BEFORE_PEAKS = operator.itemgetter(*record.FIELDS[:_PEAKS_AT])
_AFTER_PEAKS = operator.itemgetter(*record.FIELDS[_PEAKS_AT + 1:])


class DatabaseError(Exception):
    """The database cannot be used; the message says why and what to do."""


class DatabaseLocked(DatabaseError):
    """Another connection holds a lock longer than the timeout."""


class DatabaseReadOnly(DatabaseError):
    """A write was needed and the database file is read-only."""


class DatabaseMissing(DatabaseError):
    """No database at the path (and none was to be created)."""


class PullRunning(DatabaseError):
    """Another pull holds the database."""


class UnknownDevice(DatabaseError):
    """A device id that is not in the database."""


class FootConflict(DatabaseError):
    """A device registered for one foot, given as the other."""


@dataclass(frozen=True)
class Device:
    """One insole: its id (serial number), foot, and how it was seen."""
    id: str
    foot: str
    name: str = ""
    address: str = ""
    virtual_dataset: Optional[str] = None
    first_seen: Optional[str] = None

    def __post_init__(self):
        if not self.id:
            raise ValueError("a device needs an id")
        if self.foot not in ("L", "R"):
            raise ValueError(f"device {self.id}: foot must be L or R, not {self.foot!r}")

    @property
    def side(self) -> str:
        """'left' or 'right'."""
        return "left" if self.foot == "L" else "right"

    @property
    def label(self) -> str:
        """'left insole NAME (ID)' for messages."""
        return f"{self.side} insole {self.name} ({self.id})" if self.name else f"{self.side} insole {self.id}"


class Rejected(NamedTuple):
    """A record that was not stored: its index in the batch and the reason."""
    index: int
    reason: str

    def __str__(self) -> str:
        return f"record #{self.index}: {self.reason}"


def check_foot(known: Device, foot: str) -> None:
    """FootConflict unless `foot` is the known device's."""
    if foot != known.foot:
        raise FootConflict(f"{known.id} is registered as the {known.side} insole, not the "
                           f"{Device(known.id, foot).side}: a device keeps its foot")


def gap_text(first: int, last: int) -> str:
    """'seq 5' or 'seqs 5-9': a run of missing records."""
    return f"seq {first}" if first == last else f"seqs {first}-{last}"


def default_path() -> Path:
    """Where the database lives unless `--db` says otherwise."""
    return Path(platformdirs.user_data_dir("insole")) / "insole.db"


def _v1(conn: sqlite3.Connection) -> None:
    conn.execute("""CREATE TABLE devices (
        id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', address TEXT NOT NULL DEFAULT '',
        foot TEXT NOT NULL CHECK (foot IN ('L', 'R')), first_seen TEXT NOT NULL)""")
    conn.execute("""CREATE TABLE records (
        device_id TEXT NOT NULL REFERENCES devices(id), seq INTEGER NOT NULL,
        version INTEGER NOT NULL, flags INTEGER NOT NULL, day INTEGER NOT NULL,
        wear_s INTEGER NOT NULL, limit_s INTEGER NOT NULL, steps INTEGER NOT NULL,
        cadence_x10 INTEGER NOT NULL, mli_median INTEGER NOT NULL, cpei_median INTEGER NOT NULL,
        supinated INTEGER NOT NULL, neutral INTEGER NOT NULL, pronated INTEGER NOT NULL,
        peak0_dn INTEGER NOT NULL, peak1_dn INTEGER NOT NULL, peak2_dn INTEGER NOT NULL,
        peak3_dn INTEGER NOT NULL, peak4_dn INTEGER NOT NULL, peak5_dn INTEGER NOT NULL,
        peak6_dn INTEGER NOT NULL, peak7_dn INTEGER NOT NULL,
        flagged_channels INTEGER NOT NULL, alerts INTEGER NOT NULL, pain INTEGER NOT NULL,
        raw BLOB NOT NULL,
        PRIMARY KEY (device_id, seq)) WITHOUT ROWID""")


def _v2(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE devices ADD COLUMN virtual_dataset TEXT")
    conn.execute("""CREATE TABLE imports (
        device_id TEXT NOT NULL REFERENCES devices(id), at TEXT NOT NULL,
        added INTEGER NOT NULL, rejected INTEGER NOT NULL)""")


def _v3(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE records ADD COLUMN planned_s INTEGER NOT NULL DEFAULT 0")
    conn.execute("UPDATE records SET planned_s = limit_s")




def _v4_acknowledged(conn: sqlite3.Connection) -> None:
    conn.execute("""CREATE TABLE acknowledged (
        device_id TEXT REFERENCES devices(id), kind TEXT NOT NULL, channel INTEGER,
        from_seq INTEGER NOT NULL, from_day INTEGER, start TEXT, size REAL, message TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')""")


MIGRATIONS = (_v1, _v2, _v3, _v4_acknowledged)
ACK_COLUMNS = ("device_id", "kind", "channel", "from_seq", "from_day", "start", "size", "message", "at", "note")
SCHEMA_VERSION = len(MIGRATIONS)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _translate(path: Path, exc: sqlite3.Error) -> DatabaseError:
    msg = str(exc)
    if "locked" in msg or "busy" in msg:
        return DatabaseLocked(f"database is locked by another insole process: {path} "
                              f"(wait for it to finish, then try again)")
    if "readonly" in msg or "read-only" in msg:
        return DatabaseReadOnly(f"database is read-only: {path} (make the file writable, or give another --db)")
    if isinstance(exc, sqlite3.OperationalError):
        return DatabaseError(f"database error: {path}: {msg}")
    return DatabaseError(f"not a usable insole database: {path}: {msg}")


def _sql(method):
    """Turn sqlite3 errors inside a Database method into DatabaseError subclasses."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise _translate(self.path, exc) from exc
    return wrapper


class Database:
    """An open insole database (use as a context manager, or call close())."""

    def __init__(self, path: Union[str, os.PathLike, None] = None, create: bool = True,
                 timeout: float = DEFAULT_TIMEOUT_S):
        self.path = Path(path) if path is not None else default_path()
        if not self.path.exists():
            if not create:
                raise DatabaseMissing(f"no insole database at {self.path}: pull from an insole first, or give --db")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # A file without write permission is opened read-only, even by root.
        read_only = self.path.exists() and (not self.path.stat().st_mode & 0o222 or not os.access(self.path, os.W_OK))
        uri = self.path.resolve().as_uri() + ("?mode=ro" if read_only else "?mode=rwc")
        try:
            self.conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise _translate(self.path, exc) from exc
        try:
            self._migrate(read_only)
        except BaseException:
            self.conn.close()
            raise

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def pull_lock(self):
        """Held for a whole pull: a second pull into the same database is refused (PullRunning).
        An advisory lock on the database file (flock; SQLite's own locks are fcntl's, apart);
        where there is no flock (Windows) SQLite's transactions alone keep the database consistent."""
        try:
            import fcntl
        except ImportError:
            yield
            return
        with open(self.path, "rb") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PullRunning(f"another pull is writing to {self.path}: wait for it to finish, "
                                  f"then pull again") from None
            yield

    @staticmethod
    def remove_if_empty(path: Path) -> None:
        """Remove a database file that holds no device (one a failed first pull created)."""
        try:
            with Database(path, create=False) as db:
                empty = not db.devices()
        except DatabaseError:
            return
        if empty:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)

    @_sql
    def _migrate(self, read_only: bool) -> None:
        self.conn.execute("PRAGMA foreign_keys = ON")
        if not read_only:  # readers go on while a pull writes
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")  # see the module docstring: durability
        (version,) = self.conn.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise DatabaseError(f"{self.path} has schema v{version}, newer than this insole-host reads "
                                f"(v{SCHEMA_VERSION}): upgrade insole-host")
        if version < SCHEMA_VERSION and read_only:
            raise DatabaseReadOnly(f"database is read-only: {self.path} "
                                   f"(its schema v{version} needs upgrading to v{SCHEMA_VERSION})")
        for v in range(version, SCHEMA_VERSION):
            with self._transaction():
                MIGRATIONS[v](self.conn)
                self.conn.execute(f"PRAGMA user_version = {v + 1}")

    @contextlib.contextmanager
    def _transaction(self):
        """One write transaction: committed at the end, rolled back on any exception (Ctrl-C too)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @_sql
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    @_sql
    def devices(self) -> list[Device]:
        """Every known insole, by foot then id."""
        rows = self.conn.execute("SELECT id, foot, name, address, virtual_dataset, first_seen "
                                 "FROM devices ORDER BY foot, id")
        return [Device(*row) for row in rows]

    def device(self, device_id: str) -> Device:
        """The device with this id; UnknownDevice when there is none."""
        devices = self.devices()
        for d in devices:
            if d.id == device_id:
                return d
        known = ", ".join(d.id for d in devices) or "none yet"
        raise UnknownDevice(f"unknown device {device_id!r} (known: {known})")

    @_sql
    def last_seq(self, device_id: str) -> int:
        """The newest closed record's seq (0: none): a pull asks for the records after it."""
        row = self.conn.execute("SELECT MAX(seq) FROM records WHERE device_id = ? AND flags & ? = 0",
                                (device_id, record.FLAG_PARTIAL)).fetchone()
        return row[0] or 0

    @_sql
    def last_import(self, device_id: str) -> Optional[str]:
        """When records of this device were last stored (ISO UTC), or None."""
        return self.conn.execute("SELECT MAX(at) FROM imports WHERE device_id = ?", (device_id,)).fetchone()[0]

    def _register(self, device: Device) -> None:
        """Add the device, or update its name, address and dataset where given; its foot stays."""
        row = self.conn.execute("SELECT foot FROM devices WHERE id = ?", (device.id,)).fetchone()
        if row:
            check_foot(Device(device.id, row[0]), device.foot)
        self.conn.execute(
            "INSERT INTO devices (id, foot, name, address, virtual_dataset, first_seen) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET "
            "name = COALESCE(NULLIF(excluded.name, ''), name), "
            "address = COALESCE(NULLIF(excluded.address, ''), address), "
            "virtual_dataset = excluded.virtual_dataset",
            (device.id, device.foot, device.name, device.address, device.virtual_dataset, _now()))

    @_sql
    def register(self, device: Device) -> None:
        """Register the device at its first contact (FootConflict if it is known for the other foot)."""
        with self._transaction():
            self._register(device)

    @_sql
    def gaps(self, device_id: str) -> list[tuple[int, int]]:
        """(first, last) of each run of seqs missing below the newest stored one."""
        seqs = [r[0] for r in self.conn.execute("SELECT seq FROM records WHERE device_id = ? ORDER BY seq",
                                                (device_id,))]
        return [(a + 1, b - 1) for a, b in zip([0] + seqs, seqs) if b > a + 1]

    @_sql
    def store_records(self, device: Device, records: Union[bytes, bytearray, memoryview, Iterable[bytes]]
                      ) -> tuple[int, list[Rejected]]:
        """Store one pull's records of `device` (registered, or updated where its name and address are given).

        `records` is an iterable of record bytes, or one buffer of records back to
        back. Returns (records added, [Rejected]); see the module docstring.
        """
        if isinstance(records, (bytes, bytearray, memoryview)):
            buf = bytes(records)
            records = [buf[i:i + record.SIZE] for i in range(0, len(buf), record.SIZE)]
        decoded, errors = [], []
        for i, raw in enumerate(records):
            raw = bytes(raw)
            try:
                decoded.append((i, raw, record.decode(raw)))
            except record.RecordError as exc:
                errors.append(Rejected(i, str(exc)))
        return self._store(device, decoded, errors)

    @_sql
    def store_decoded(self, device: Device, records: Iterable[tuple[bytes, dict]]) -> tuple[int, list[Rejected]]:
        """`store_records` of records the codec has decoded already: (bytes, record.decode(bytes)) pairs."""
        return self._store(device, [(i, bytes(raw), fields) for i, (raw, fields) in enumerate(records)], [])

    def _store(self, device: Device, decoded: list, errors: list) -> tuple[int, list[Rejected]]:
        with self._transaction():
            self._register(device)
            stored = {}
            if decoded:
                seqs = [f["seq"] for _, _, f in decoded]
                stored = {seq: (raw, flags) for seq, raw, flags in self.conn.execute(
                    "SELECT seq, raw, flags FROM records WHERE device_id = ? AND seq BETWEEN ? AND ?",
                    (device.id, min(seqs), max(seqs)))}
            rows = {}
            for i, raw, fields in decoded:
                seq = fields["seq"]
                old = stored.get(seq)
                if old is not None and old[0] != raw and not old[1] & record.FLAG_PARTIAL:
                    errors.append(Rejected(i, f"seq {seq} is already stored with different contents; kept the "
                                              f"stored record (was the insole reset?)"))
                    continue
                if old is None or old[0] != raw:
                    stored[seq] = (raw, fields["flags"])
                    rows[seq] = (device.id, *_BEFORE_PEAKS(fields), *fields["peaks_dn"], *_AFTER_PEAKS(fields), raw)
            columns = ("device_id",) + RECORD_COLUMNS + ("raw",)
            self.conn.executemany(f"INSERT OR REPLACE INTO records ({', '.join(columns)}) "
                                  f"VALUES ({', '.join('?' * len(columns))})", rows.values())
            self.conn.execute("INSERT INTO imports (device_id, at, added, rejected) VALUES (?, ?, ?, ?)",
                              (device.id, _now(), len(rows), len(errors)))
        errors.sort()
        return len(rows), errors

    @_sql
    def records(self, device_ids: Optional[Iterable[str]] = None) -> list[dict]:
        """Stored records as the codec's field dicts plus `device_id`, by device then seq."""
        sql = f"SELECT device_id, {', '.join(RECORD_COLUMNS)} FROM records"
        args: tuple = ()
        if device_ids is not None:
            args = tuple(device_ids)
            sql += f" WHERE device_id IN ({', '.join('?' * len(args))})"
        out = []
        for row in self.conn.execute(sql + " ORDER BY device_id, seq", args):
            fields = dict(zip(("device_id",) + RECORD_COLUMNS, row))
            fields["peaks_dn"] = [fields.pop(c) for c in PEAK_COLUMNS]
            out.append(fields)
        return out

    @_sql
    def acknowledge(self, rows: Iterable[dict]) -> int:
        """Store acknowledged changes or resets (dicts with ACK_COLUMNS but `at`); returns how many."""
        at = _now()
        rows = [tuple(dict({"message": "", "note": ""}, **{k: v for k, v in r.items() if v is not None},
                           at=at).get(c) for c in ACK_COLUMNS) for r in rows]
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany(f"INSERT INTO acknowledged ({', '.join(ACK_COLUMNS)}) "
                                  f"VALUES ({', '.join('?' * len(ACK_COLUMNS))})", rows)
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        return len(rows)

    @_sql
    def acknowledged(self) -> list[dict]:
        """Every acknowledged change and reset, oldest first."""
        rows = self.conn.execute(f"SELECT {', '.join(ACK_COLUMNS)} FROM acknowledged ORDER BY rowid")
        return [dict(zip(ACK_COLUMNS, row)) for row in rows]
