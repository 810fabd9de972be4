"""`insole replay` on bad input: one clear line from the firmware, shown as is, and an exit status.

The table in README.md ("Bad recordings") lists the same cases.
"""
import pytest
from click.testing import CliRunner

from insole_host.cli import main


def run(*args):
    return CliRunner().invoke(main, ["replay", *[str(a) for a in args]], prog_name="insole")


def bad_cases(tmp_path):
    binary = tmp_path / "walk.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("0.0 caf\xe9\n".encode("latin-1"))
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    words = tmp_path / "words.txt"
    words.write_text("this is\nnot a walk\n")
    folder = tmp_path / "walks"
    folder.mkdir()
    missing = tmp_path / "nowhere" / "walk.txt"
    missing_hea = tmp_path / "rec9.hea"
    return [
        (binary, f"error: replay: {binary}: not a text recording (byte 0x00 at offset 0)", 3),
        (latin1, f"error: replay: {latin1}: not a text recording (byte 0xe9 at offset 7)", 3),
        (empty, f"error: replay: {empty}: no samples (0 lines skipped)", 3),
        (words, f"error: replay: {words}: no samples (2 lines skipped)", 3),
        (missing, f"error: replay: {missing}: no such file", 3),
        (folder, f"error: replay: {folder}: is a directory, not a recording", 3),
        (missing_hea, f"error: replay: {tmp_path / 'rec9.let'}: no such file", 3),
    ]


@pytest.mark.parametrize("case", range(7))
def test_a_bad_recording_gets_one_line_and_its_exit_status(tmp_path, case):
    path, message, status = bad_cases(tmp_path)[case]
    result = run(path, "--foot", "L")
    assert result.exit_code == status, result.output
    assert result.output.strip() == message


def test_a_bad_argument_is_exit_status_2(tmp_path):
    walk = tmp_path / "walk.txt"
    walk.write_text("")
    result = run(walk, "--foot", "L", "--fault", "9:melt")
    assert result.exit_code == 2
    assert result.output.strip() == "error: replay: --fault is CH:KIND with KIND one of open, short, saturate, not '9:melt'"
    result = run(walk, "--foot", "L", "--fault", "9:open")
    assert result.exit_code == 3 and result.output.strip() == "error: replay: fault on channel 9: channels are 0..7"
    result = run(tmp_path / "rec.hea", "--foot", "L", "--format", "gaitpdb")
    assert result.exit_code == 2
    assert result.output.strip() == f"error: replay: {tmp_path / 'rec.hea'} is a gaitndd file: use --format gaitndd"
    result = run(tmp_path / "rec.hea", "--foot", "L", "--fault", "0:short")
    assert result.exit_code == 2
    assert result.output.strip() == ("error: replay: --fault breaks a modelled sensor of a gaitpdb walk; "
                                     "a gaitndd record is its own counts")
