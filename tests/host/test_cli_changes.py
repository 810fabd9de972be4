"""`insole ack` and `insole simulate`: acknowledging a change re-arms its detector; a new baseline."""
from click.testing import CliRunner

from host_records import LEFT, RIGHT, encoded, fields
from insole_host.cli import main
from insole_host.db import Database
from insole_host.report import Report


def shifted(device, at, size=-100, days=12):
    return [fields(i, mli_median=40 + (size if i >= at else 0) + (i % 3) * 5) for i in range(1, days + 1)]


def test_ack_closes_the_episode_and_the_new_level_is_the_new_baseline(tmp_path):
    path = tmp_path / "i.db"
    with Database(path) as database:
        database.store_records(LEFT, encoded(shifted(LEFT, at=5)))
        database.store_records(RIGHT, encoded(shifted(RIGHT, at=99)))
        assert [e["kind"] for e in Report(database).data["analysis"]["episodes"]] == ["over_correction"]
    result = CliRunner().invoke(main, ["ack", "--device", LEFT.id, "--note", "orthotic eased", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "acknowledged: left insole Anna (INS-L-0001): over-correction since 2026-11-29" in result.output
    with Database(path) as database:
        (row,) = database.acknowledged()
        assert (row["from_seq"], row["size"], row["note"]) == (5, -100, "orthotic eased")
        analysis = Report(database).data["analysis"]
    assert analysis["episodes"] == []  # nor asymmetry: the acknowledged shift re-armed it too
    assert analysis["devices"][LEFT.id]["pronation"]["baseline_permille"] == -55  # days 5.. only
    again = CliRunner().invoke(main, ["ack", "--device", LEFT.id, "--db", str(path)])
    assert again.exit_code == 1 and "nothing to acknowledge on INS-L-0001" in again.output


def test_a_new_baseline_restarts_every_detector_after_the_newest_record(tmp_path):
    path = tmp_path / "i.db"
    with Database(path) as database:
        database.store_records(LEFT, encoded([fields(i) for i in range(1, 8)]))
    result = CliRunner().invoke(main, ["ack", "--device", LEFT.id, "--new-baseline", "--db", str(path)])
    assert result.exit_code == 0 and "new baseline for INS-L-0001 from record 8 on" in result.output
    with Database(path) as database:
        database.store_records(LEFT, encoded([fields(i, mli_median=-200) for i in range(8, 12)]))
        report = Report(database)
    assert report.data["analysis"]["episodes"] == []
    assert "over-correction not judged yet: needs 6 worn days, 4 so far" in report.text()


def test_ack_of_an_unknown_device_is_a_usage_error(tmp_path):
    path = tmp_path / "i.db"
    with Database(path) as database:
        database.store_records(LEFT, encoded([fields(1)]))
    result = CliRunner().invoke(main, ["ack", "--device", "NOPE", "--db", str(path)])
    assert result.exit_code == 2 and "unknown device 'NOPE'" in result.output


def test_simulate_prints_a_row_per_scenario():
    from insole_host.simulate import SCENARIOS
    result = CliRunner().invoke(main, ["simulate", "--runs", "1", "--seed", "7"])
    lines = result.output.splitlines()
    assert result.exit_code == 0 and lines[0].startswith("scenario") and len(lines) == 1 + len(SCENARIOS)
    assert lines[1].startswith("supination shift 80 per mille") and "100 % <= 3" in lines[1]
    assert lines[-1].startswith("stable feet, twice the noise") and "/ year" in lines[-1]
