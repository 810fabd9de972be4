"""`insole report`, `insole export`, `insole schedule show`: exit codes and clear messages."""
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

from host_records import LEFT, RIGHT, encoded, fortnight
from insole_host.cli import main
from insole_host.db import Database


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "i.db"
    with Database(path) as database:
        database.store_records(LEFT, encoded(fortnight(mli=40)))
        database.store_records(RIGHT, encoded(fortnight(mli=-20)))
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="insole")


@pytest.mark.parametrize("command", [[], ["report"], ["export"], ["schedule"], ["schedule", "show"]])
def test_help_everywhere(command):
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Usage: insole" in result.output


def test_report_table_json_png_html(db_path, tmp_path):
    result = run("report", "--db", db_path, "--days", 3, "--png", tmp_path / "r.png", "--html", tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("!!! left insole Anna (INS-L-0001): STOP wearing the insoles")
    assert "\x1b[" not in result.output  # piped: no colours
    assert (tmp_path / "r.png").stat().st_size > 10_000 and "2026-12-08" in (tmp_path / "r.html").read_text()
    data = json.loads(run("report", "--db", db_path, "--json", "--days", 0).output)
    assert len(data["days"]) == 28 and data["days"][-1]["steps"] == fortnight()[-1]["steps"]
    one = json.loads(run("report", "--db", db_path, "--json", "--device", RIGHT.id).output)
    assert {d["id"] for d in one["devices"]} == {RIGHT.id}


def test_unknown_device_is_a_usage_error(db_path, tmp_path):
    result = run("report", "--db", db_path, "--device", "XYZ")
    assert result.exit_code == 2
    assert "Invalid value for '--device': unknown device 'XYZ' (known: INS-L-0001, INS-R-0002)" in result.output
    result = run("export", "--db", db_path, "--csv", tmp_path / "o.csv", "--device", "XYZ")
    assert result.exit_code == 2 and "unknown device 'XYZ'" in result.output
    assert not (tmp_path / "o.csv").exists()


def test_missing_busy_and_read_only_databases(db_path, tmp_path):
    result = run("report", "--db", tmp_path / "none.db")
    assert result.exit_code == 1 and "Error: no insole database at" in result.output
    assert not (tmp_path / "none.db").exists()
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        result = run("report", "--db", db_path)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 0 and "Traceback" not in result.output  # WAL: a report reads while a pull writes
    os.chmod(db_path, 0o444)
    try:
        assert run("report", "--db", db_path).exit_code == 0  # reading a read-only database is fine
    finally:
        os.chmod(db_path, 0o644)


def test_export_formats(db_path, tmp_path):
    result = run("export", "--json", tmp_path / "o.json", "--db", db_path)
    assert result.exit_code == 0 and "exported 28 rows" in result.output
    assert len(json.loads((tmp_path / "o.json").read_text())) == 28
    assert run("export", tmp_path / "o.csv", "--db", db_path).exit_code == 2
    result = run("export", "--csv", "--json", tmp_path / "o.csv", "--db", db_path)
    assert result.exit_code == 2 and "exactly one of --csv, --json or --parquet" in result.output
    result = run("export", "--csv", tmp_path / "no" / "such" / "dir.csv", "--db", db_path)
    assert result.exit_code == 1 and "No such file or directory" in result.output


def test_schedule_show_presets():
    result = run("schedule", "show", "--preset", "gentle")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "gentle plan, the next 14 days if each day's limit is kept:" and len(lines) == 15
    assert [line.split("  ")[-1].strip() for line in lines[1:]] == [
        "1:00 h", "2:00 h", "rest day: do not wear", "3:00 h", "5:00 h", "rest day: do not wear", "7:00 h",
        "9:00 h", "rest day: do not wear", "10:00 h", "no limit", "no limit", "no limit", "no limit"]
    assert "(today)" in lines[1]
    custom = run("schedule", "show", "--preset", "custom", "--start", 0.5, "--step", 0.25, "--cap", 1, "--days", 4)
    assert custom.exit_code == 0
    assert [line.split()[-2] for line in custom.output.splitlines()[1:]] == ["0:30", "0:45", "1:00", "no"]


@pytest.mark.parametrize("args, message", [
    (["--preset", "fast"], "Invalid value for '--preset'"),
    (["--start", "2"], "go with --preset custom"),
    (["--preset", "custom", "--cap", "30"], "need 0 < --start <= --cap <= 24 h"),  # in the options' words
    (["--preset", "custom", "--start", "-1"], "Invalid value for '--start'"),
    (["--preset", "custom", "--step", "nan"], "Invalid value for '--step'"),
    (["--preset", "custom", "--rest", "0"], "step 0 must be a wear day"),
    (["--preset", "custom", "--rest-every", "1"], "--rest-every must be 0 (none) or >= 2"),
    (["--preset", "custom", "--rest", "2", "--rest-every", "3"], "give --rest or --rest-every, not both"),
    (["--days", "0"], "Invalid value for '--days'"),
])
def test_invalid_schedule_values_exit_2(args, message):
    result = run("schedule", "show", *args)
    assert result.exit_code == 2 and message in result.output, result.output


def test_without_the_firmware_help_works_and_commands_say_what_to_do(tmp_path):
    env = dict(os.environ, INSOLE_FIRMWARE=str(tmp_path / "nowhere"))
    code = "from insole_host.cli import main; main()"

    def insole(*args):
        return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)

    assert insole("--help").returncode == 0
    assert insole("schedule", "show").returncode == 0  # the core is an installed package: no image needed
    for args in (["replay", "GaCo01_01.txt", "--foot", "L"], ["demo", "--dir", str(tmp_path / "demo")]):
        result = insole(*args)
        assert result.returncode in (1, 2) and "rror: firmware not found at" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["--csv", "--json", "--parquet"])
def test_export_to_standard_output(db_path, tmp_path, fmt):
    result = CliRunner().invoke(main, ["export", fmt, "-", "--db", str(db_path)])
    assert result.exit_code == 0 and not (tmp_path / "-").exists()
    out = result.stdout_bytes
    if fmt == "--csv":
        rows = list(csv.DictReader(io.StringIO(out.decode())))
    elif fmt == "--json":
        rows = json.loads(out)
    else:
        pq = pytest.importorskip("pyarrow.parquet")
        rows = pq.read_table(io.BytesIO(out)).to_pylist()
    assert len(rows) == 28 and {(r["device_id"], r["foot"]) for r in rows} == {("INS-L-0001", "L"), ("INS-R-0002", "R")}
    assert "exported 28 rows to standard output" in result.stderr
