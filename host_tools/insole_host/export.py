"""Exports of the stored records, one row per insole and day: CSV, JSON or Parquet.

Columns: device_id, device_name, foot, date (ISO, or 'boot+N' while the
insole's clock was unset), then the record's fields in the codec's order with
peaks_dn as peak0_dn .. peak7_dn. JSON is a list of row objects. Parquet needs
pyarrow (`pip install 'insole-host[parquet]'`). The path `-` is standard output,
for every format (Parquet only when it is not a terminal: it is binary).
"""
from __future__ import annotations

import csv
import io
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Optional

from insole_host.analysis import day_label
from insole_host.db import PEAK_COLUMNS, RECORD_COLUMNS, Database

COLUMNS = ("device_id", "device_name", "foot", "date") + RECORD_COLUMNS
FORMATS = ("csv", "json", "parquet")


class ExportError(Exception):
    """The export cannot be written; the message says why."""


def rows(database: Database, device_ids: Optional[Iterable[str]] = None) -> list[dict]:
    """The export rows, by device then seq."""
    devices = [database.device(i) for i in dict.fromkeys(device_ids)] if device_ids else database.devices()
    by_id = {d.id: d for d in devices}
    out = []
    for r in database.records(list(by_id)):
        dev = by_id[r["device_id"]]
        flat = dict(r, device_name=dev.name, foot=dev.foot, date=day_label(r), **dict(zip(PEAK_COLUMNS, r["peaks_dn"])))
        out.append({c: flat[c] for c in COLUMNS})
    return out


STDOUT = "-"


@contextmanager
def _opened(path, binary: bool):
    """The file at `path` for writing, or standard output for `-` (left open)."""
    if str(path) != STDOUT:
        with open(path, "wb" if binary else "w", **({} if binary else {"newline": "", "encoding": "utf-8"})) as f:
            yield f
        return
    if binary and sys.stdout.isatty():
        raise ExportError("Parquet is binary: give a file name, or send standard output to a file or a pipe")
    out = sys.stdout.buffer if binary else sys.stdout
    yield out
    out.flush()


def write(table: list[dict], fmt: str, path) -> None:
    """Write the rows to `path` (`-`: standard output) as csv, json or parquet."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ExportError("--parquet needs pyarrow: pip install 'insole-host[parquet]'") from None
        string = ("device_id", "device_name", "foot", "date")
        schema = pa.schema([(c, pa.string() if c in string else pa.int64()) for c in COLUMNS])
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(table, schema=schema), buf)
        with _opened(path, binary=True) as f:
            f.write(buf.getvalue())
        return
    with _opened(path, binary=False) as f:
        if fmt == "csv":
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(table)
        else:
            json.dump(table, f, indent=1)
            f.write("\n")
