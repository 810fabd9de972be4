"""package.json (mip) lists every firmware file of the core, the edge and the
boards, each at its place on the board, and nothing that does not exist."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "run: python -m insole_host.deploy --package-json"


def test_every_firmware_file_is_listed_and_every_listed_file_exists():
    package = json.loads((ROOT / "package.json").read_text())
    listed = {src: dest for dest, src in package["urls"]}
    firmware = {p.relative_to(ROOT).as_posix() for d in ("insole", "edge", "boards")
                for p in (ROOT / "firmware" / d).glob("*.py")}
    assert not firmware - set(listed), f"missing from package.json: {sorted(firmware - set(listed))}; {REGENERATE}"
    gone = sorted(src for src in listed if not (ROOT / src).is_file())
    assert not gone, f"listed but gone: {gone}; {REGENERATE}"
    assert all(dest == src.removeprefix("firmware/") for src, dest in listed.items())


def test_aioble_and_a_version():
    package = json.loads((ROOT / "package.json").read_text())
    assert package["deps"] == [["aioble", "latest"]]
    assert package["version"]
