"""The device commands against a deployed virtual insole (its main.py in micropython,
the link over stdio): right after `make deploy`, with the key it provisioned."""
import json
import os

from click.testing import CliRunner

from insole_host.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args))


def setup(deployed):
    folder, cfg = deployed()
    return ["--device", cfg["device_id"], "--via", f"virtual:{folder}"], folder


def test_status_pain_and_schedule_reach_the_insole(deployed):
    dev, _ = setup(deployed)
    out = run("schedule", "set", *dev, "--preset", "standard")
    assert out.exit_code == 0, out.output
    out = run("status", *dev, "--json")
    assert out.exit_code == 0 and json.loads(out.output)["limit_s"] == 3600
    out = run("schedule", "set", *dev, "--preset", "custom", "--start", "2", "--step", "1", "--cap", "4")
    assert out.exit_code == 0 and "custom plan set; worn 0:00 h of 2:00 h, 0 steps, no pronation yet" in out.output
    out = run("pain", *dev, "--severity", "6")
    assert out.exit_code == 0 and "pain logged" in out.output and "of 2:00 h" in out.output  # the start level
    assert run("time", "sync", *dev).exit_code == 0
    assert run("calibrate", *dev, "--yes").exit_code == 0


def test_bad_values_and_unknown_devices_are_refused(deployed, tmp_path):
    dev, folder = setup(deployed)
    out = run("schedule", "set", *dev, "--preset", "custom", "--cap", "-3")
    assert out.exit_code == 2 and "positive" in out.output
    out = run("pull", *dev, "--db", str(tmp_path / "x.db"))
    assert out.exit_code == 2 and "unknown device" in out.output
    out = run("status", "--device", "OTHER-1", "--via", f"virtual:{folder}")
    assert out.exit_code == 1 and "no key for OTHER-1" in out.output and "make deploy" in out.output


def test_a_wrong_key_is_refused_by_the_insole(deployed, tmp_path):
    dev, folder = setup(deployed)
    assert run("status", *dev).exit_code == 0  # the key deploy provisioned
    wrong = tmp_path / "wrong.hex"
    wrong.write_text(os.urandom(32).hex())
    out = run("status", *dev, "--key-file", str(wrong))
    assert out.exit_code == 1 and "AUTH_FAILED" in out.output


def test_a_pain_report_outlives_the_power_up_that_took_it(deployed, tmp_path):
    dev, folder = setup(deployed)
    out = run("virtual", "live", str(folder), "--days", "1", "--wear", "0.5")  # within the plan: a step up
    assert out.exit_code == 0, out.output
    assert json.loads(run("status", *dev, "--json").output)["limit_s"] == 7200
    out = run("pain", *dev, "--severity", "6")
    assert out.exit_code == 0 and "of 1:00 h" in out.output
    # each command is a power-up: the rollback is still in force, and held for the next days
    assert json.loads(run("status", *dev, "--json").output)["limit_s"] == 3600
    assert run("virtual", "live", str(folder), "--days", "1", "--wear", "0.5").exit_code == 0
    assert json.loads(run("status", *dev, "--json").output)["limit_s"] == 3600


def test_scan_lists_the_insole_with_its_battery(deployed):
    dev, folder = setup(deployed)
    out = run("scan", "--via", f"virtual:{folder}", "--timeout", "0.1")
    assert out.exit_code == 0
    header, row = out.output.splitlines()
    assert header.split("\t") == ["name", "id", "address", "signal", "battery"]
    assert row.split("\t")[1] == dev[1] and row.endswith("\t66 %")  # the id deploy provisioned


def test_the_status_line_names_lost_samples_only_when_there_are_some():
    import click
    from insole_host.cli_device import _status_line
    s = {"wear_s": 5400, "limit_s": 7200, "steps": 4321, "samples_lost": 0, "pronation_permille": -87,
         "battery_pct": 77, "flags": 0, "record_seq": 41}
    assert "lost" not in _status_line(s)
    line = click.unstyle(_status_line(dict(s, samples_lost=87)))
    assert line == "worn 1:30 h of 2:00 h, 4321 steps, pronation -87 per mille, battery 77 %, " \
                   "87 samples lost since power-up"
    assert "16777215 or more samples lost" in _status_line(dict(s, samples_lost=0xFFFFFF))
