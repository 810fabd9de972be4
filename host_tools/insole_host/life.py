"""Days lived on a deployed virtual insole: a wearer walking a real recording
through its sensors, on its own virtual clock, with pain reported over the link.

Each day is one `L` day script (sim/day.py kinds) through the sim board's
sampler, the wearer's pain (if any) reported through the authenticated
control point, then `M`: the insole lies unloaded until midnight, when its
day closes into a record on its flash.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from insole_host.transport.virtual import VirtualInsole

H = 3600
MORNING_S = 7 * H + 1800  # asleep till 7:30
NO_LIMIT_WEAR_S = 9 * H  # a working day in the shoes, once the plan sets no limit
# Seated office work: a short walk, a minute standing, an hour and a half seated, a walk
# back, then the shoes off for a break (over the wear timer's 15-minute bridge).
PATTERN = (("walk", 150), ("stand", 60), ("sit", 5100), ("walk", 90), ("off", 1200))


@dataclass
class Day:
    """One day of the wearer's: `worn_s` on the foot, or with `share` that share of
    the limit the insole states that morning (no limit: NO_LIMIT_WEAR_S); `pain`
    (1-10) reported once the wear is over, 0 none; `fit`, how the insole sits
    under the foot (sim/fit.py: {"lateral": P, "gainN": P})."""
    worn_s: Optional[int] = None
    share: float = 1.0
    pain: int = 0
    fit: dict = field(default_factory=dict)


def wear_script(worn_s: int) -> list[tuple[str, int]]:
    """A morning off the foot, then the PATTERN's walks, standing and seated work
    (with shoes-off breaks) until `worn_s` of it is on the foot."""
    script, worn, i = [("off", MORNING_S)], 0, 0
    while worn < worn_s:
        kind, seconds = PATTERN[i % len(PATTERN)]
        if kind not in ("off", "gap"):
            seconds = min(seconds, worn_s - worn)
            worn += seconds
        script.append((kind, seconds))
        i += 1
    return script


async def live_days(insole: VirtualInsole, key: bytes, walk: Path, foot: str, days: list[Day],
                    start_unix: int | None = None, after_day=None) -> None:
    """The wearer lives `days` (day 1 first); `start_unix` sets the insole's clock
    first (a local midnight, UTC offset 0). `after_day(day)` is called as each
    day closes."""
    session = start_unix is not None or any(d.pain or d.worn_s is None for d in days)
    if session:
        await insole.connect(None)
        await insole.authenticate(key, insole.device_id.encode())
        if start_unix is not None:
            await insole.set_time(start_unix, 0)
    for number, day in enumerate(days, 1):
        worn = day.worn_s
        if worn is None:
            limit = (await insole.read_status())["limit_s"]
            worn = NO_LIMIT_WEAR_S if limit is None else int(limit * day.share)
        await insole.live(walk, foot, wear_script(worn), day.fit)
        if day.pain:
            await insole.report_pain(day.pain)
        await insole.midnight()
        if after_day:
            after_day(number)
    if insole.connected:
        await insole.disconnect()
