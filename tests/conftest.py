"""pytest: the firmware tree and the core test helpers on the path."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT / "firmware", ROOT / "tests" / "core", ROOT / "host_tools"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
