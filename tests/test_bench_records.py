"""`make bench`'s record part runs on the store and device as they are: how many days a
64 KB store keeps (records of 55 bytes, segments dropped whole, oldest first)."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_records_part_of_the_bench_runs_and_keeps_over_three_years_in_64_kb():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "records"], capture_output=True, text=True,
                         check=True).stdout
    kept, fit = (int(x) for x in re.search(r"(\d+) days kept .*at most (\d+) records fit", out).groups())
    assert fit == 64 * 1024 // 55 and 3 * 365 < kept <= fit, out
