"""Who owns the board at boot: CircuitPython's boot.py (against fake storage,
board and digitalio) and the safe boot that main.py checks first, under CPython
and, end to end, main.py itself under micropython."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "fakes"))

import board as pins  # noqa: E402  (the fakes)
import storage  # noqa: E402

import boards  # noqa: E402
import boot  # noqa: E402  (firmware/boot.py)
from insole_host.virtual import executable  # noqa: E402
from support import config  # noqa: E402


@pytest.fixture
def drive(tmp_path):
    """A CIRCUITPY drive at reset, boot.py about to run, with the XIAO's config."""
    pins.reset()
    storage.reset(in_boot_py=True)
    (tmp_path / "config.json").write_text(json.dumps(config("xiao_nrf52840")))
    return tmp_path


def boot_then_code(drive):
    """boot.py, then code.py's first check: (the firmware owns the drive, safe boot)."""
    given = boot.main(str(drive / "config.json"))
    storage.booting = False  # USB is up: code.py runs
    return given, boards.safe_boot(str(drive / boards.SAFE_BOOT_FLAG))


def test_the_xiao_config_names_a_free_safe_boot_pin():
    cfg = config("xiao_nrf52840")
    used = {cfg["mux"]["sig"], cfg["motor_pin"], *cfg["mux"]["select"]}
    assert cfg["safe_boot_pin"] == "D1" and cfg["safe_boot_pin"] not in used


def test_boot_gives_the_drive_to_the_firmware_and_the_insole_runs(drive):
    assert boot_then_code(drive) == (True, False)
    assert storage.remounts == [("/", False)] and not storage.getmount("/").readonly
    assert pins.D1.external is None and pins.D1.driven is None  # only read, never driven


def test_the_user_pin_held_at_reset_leaves_usb_the_drive_and_the_firmware_off(drive, capsys):
    pins.D1.external = 0  # a button to GND
    assert boot_then_code(drive) == (False, True)
    assert storage.remounts == [] and storage.getmount("/").readonly
    out = capsys.readouterr().out
    assert "D1 held" in out and "safe boot" in out


def test_the_pin_is_read_with_its_pull_up_and_released_for_code_py(drive, monkeypatch):
    made = []
    real = boot.digitalio.DigitalInOut

    def spy(pin):
        made.append(real(pin))
        return made[-1]

    monkeypatch.setattr(boot.digitalio, "DigitalInOut", spy)
    boot.main(str(drive / "config.json"))
    assert [(io.pin.name, io.pull, io.deinited) for io in made] == [("D1", "up", True)]


@pytest.mark.parametrize("text", [None, "", "{not json", "[1, 2]"])
def test_without_a_readable_config_usb_keeps_the_drive_for_a_new_deploy(drive, text, capsys):
    path = drive / "config.json"
    path.unlink()
    if text is not None:
        path.write_text(text)
    assert boot_then_code(drive) == (False, True)
    assert storage.remounts == []
    assert "stays writable over USB" in capsys.readouterr().out


def test_a_config_without_the_pin_gives_the_drive_to_the_firmware(drive):
    cfg = config("xiao_nrf52840")
    del cfg["safe_boot_pin"]
    (drive / "config.json").write_text(json.dumps(cfg))
    assert boot_then_code(drive) == (True, False)


def test_the_fake_refuses_a_remount_after_boot_py_as_circuitpython_does(drive):
    storage.booting = False
    with pytest.raises(RuntimeError, match="visible via USB"):
        storage.remount("/", readonly=False)


def test_the_flag_makes_one_safe_boot_on_a_drive_the_firmware_owns(drive):
    boot.main(str(drive / "config.json"))
    flag = drive / boards.SAFE_BOOT_FLAG
    flag.touch()
    assert boards.safe_boot(str(flag)) and not flag.exists()
    assert not boards.safe_boot(str(flag))  # the next reset runs the insole


def test_on_micropython_only_the_flag_makes_a_safe_boot(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "storage", None)  # no such module: MicroPython
    flag = tmp_path / boards.SAFE_BOOT_FLAG
    assert not boards.safe_boot(str(flag))
    flag.touch()
    assert boards.safe_boot(str(flag)) and not flag.exists()
    assert "safe_boot flag found" in capsys.readouterr().out
    assert not boards.safe_boot(str(flag))


def test_main_py_under_micropython_skips_the_firmware_once_for_the_flag(tmp_path):
    micropython = executable("micropython")
    if not micropython:
        pytest.skip("no micropython executable (make install)")

    def boot_main():
        return subprocess.run([micropython, str(ROOT / "firmware" / "main.py")], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    (tmp_path / boards.SAFE_BOOT_FLAG).touch()
    first = boot_main()
    assert first.returncode == 0 and "safe boot" in first.stdout, first.stderr
    assert not (tmp_path / boards.SAFE_BOOT_FLAG).exists()
    second = boot_main()  # no flag, no config.json: the firmware starts, and stops at the config
    assert "safe boot" not in second.stdout and "OSError" in second.stdout + second.stderr
