"""The device commands against a virtual insole (the firmware in micropython over stdio)."""
import json
import os

from click.testing import CliRunner

from insole_host.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args))


def setup(tmp_path):
    key = tmp_path / "key.hex"
    key.write_text(os.urandom(32).hex())
    return ["--device", "VIRT-1", "--via", f"virtual:{tmp_path / 'store'}", "--key-file", str(key)], key


def test_status_pain_and_schedule_reach_the_insole(tmp_path):
    dev, _ = setup(tmp_path)
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


def test_bad_values_and_unknown_devices_are_refused(tmp_path):
    dev, key = setup(tmp_path)
    out = run("schedule", "set", *dev, "--preset", "custom", "--cap", "-3")
    assert out.exit_code == 2 and "positive" in out.output
    out = run("pull", *dev, "--db", str(tmp_path / "x.db"))
    assert out.exit_code == 2 and "unknown device" in out.output
    out = run("status", "--device", "VIRT-1", "--via", f"virtual:{tmp_path / 'store'}", "--key-file", str(tmp_path / "none"))
    assert out.exit_code == 1 and "no key" in out.output


def test_a_wrong_key_is_refused_by_the_insole(tmp_path):
    dev, key = setup(tmp_path)
    assert run("status", *dev).exit_code == 0  # the insole is provisioned with this key
    wrong = tmp_path / "wrong.hex"
    wrong.write_text(os.urandom(32).hex())
    out = run("status", "--device", "VIRT-1", "--via", f"virtual:{tmp_path / 'store'}", "--key-file", str(wrong))
    assert out.exit_code == 1 and "AUTH_FAILED" in out.output


def test_scan_lists_the_insole_with_its_battery(tmp_path):
    dev, _ = setup(tmp_path)
    assert run("status", *dev).exit_code == 0
    out = run("scan", "--via", f"virtual:{tmp_path / 'store'}", "--timeout", "0.1")
    assert out.exit_code == 0
    header, row = out.output.splitlines()
    assert header.split("\t") == ["name", "id", "address", "signal", "battery"]
    assert row.split("\t")[1] == "VIRT-1" and row.endswith("\t100 %")  # the id the insole was provisioned with
