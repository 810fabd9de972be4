"""The insole's firmware image: the folder a deploy lays out on a board and the virtual
insole boots (main.py, boot.py, boards/, edge/, insole/, sim/, config/ ...)."""
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def image() -> Path:
    """The firmware folder: installed beside this module, or in an editable install the
    checkout's firmware/ itself."""
    installed = _HERE / "image"
    return installed if installed.is_dir() else _HERE.parents[1] / "firmware"
