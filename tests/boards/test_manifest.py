"""firmware/manifest.py freezes what `make deploy` copies to a MicroPython board.

The manifest is run here with the manifest functions as MicroPython's docs
define them (docs/reference/manifest.rst): package(path, files=None) takes
every .py under path, or the listed files, as path/file; module(path) one
file; include() and require() name what comes from outside this repository.
"""
import json
from pathlib import Path

from insole_host import deploy

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
MANIFEST = FIRMWARE / "manifest.py"


def run_manifest():
    """(frozen paths, includes, requires) of the manifest, paths as the image names them."""
    frozen, includes, requires = [], [], []

    def package(package_path, files=None, base_path=".", opt=None):
        root = FIRMWARE / base_path / package_path
        assert root.is_dir(), package_path
        names = files if files is not None else [p.relative_to(root).as_posix() for p in root.rglob("*.py")]
        for name in names:
            assert (root / name).is_file(), (package_path, name)
            frozen.append(package_path + "/" + name)

    def module(module_path, base_path=".", opt=None):
        assert module_path.endswith(".py") and (FIRMWARE / base_path / module_path).is_file(), module_path
        frozen.append(module_path)

    def include(manifest_path, **options):
        includes.append(manifest_path)

    def require(name, **options):
        requires.append(name)

    exec(MANIFEST.read_text(), {"package": package, "module": module, "include": include, "require": require})
    return frozen, includes, requires


def micropython_configs():
    configs = [json.loads(p.read_text()) for p in sorted((FIRMWARE / "config").glob("*.json"))]
    return [c for c in configs if c.get("runtime") == "micropython"]


def test_the_manifest_freezes_every_module_deploy_copies_and_nothing_else():
    frozen, _, _ = run_manifest()
    assert len(frozen) == len(set(frozen))
    configs = micropython_configs()
    assert {c["board"] for c in configs} >= {"xiao_esp32s3"} and len(configs) >= 2
    for cfg in configs:
        copied = sorted(rel for _, rel in deploy.sources(cfg))
        assert sorted(frozen) == copied, cfg["board"]


def test_main_py_is_frozen_and_config_json_is_not():
    frozen, _, _ = run_manifest()
    assert "main.py" in frozen  # a frozen main.py runs at boot in place of the filesystem's
    assert not any(f.endswith(".json") for f in frozen) and "boot.py" not in frozen


def test_the_port_s_own_modules_and_the_aioble_parts_the_link_imports():
    _, includes, requires = run_manifest()
    assert includes == ["$(PORT_DIR)/boards/manifest.py"]  # _boot.py mounts the filesystem
    assert requires == ["aioble-peripheral", "aioble-server", "aioble-security"]
    link = (FIRMWARE / "edge" / "ble_aioble.py").read_text()
    assert "import aioble.security" in link and "aioble.Service" in link and "aioble.advertise" in link
