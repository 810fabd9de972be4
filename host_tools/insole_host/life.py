"""Days lived on a deployed virtual insole: a wearer walking a real recording
through its sensors, on its own virtual clock, with pain reported over the link.

Each day is one `L` day script (sim/day.py kinds) through the sim board's
sampler, the wearer's pain (if any) reported through the authenticated
control point, then `M`: the insole lies unloaded until midnight, when its
day closes into a record on its flash.
"""
from __future__ import annotations

from pathlib import Path

from insole_host.transport.virtual import VirtualInsole

H = 3600
MORNING_S = 7 * H + 1800  # asleep till 7:30
PATTERN = (("walk", 1200), ("stand", 600), ("sit", 2400), ("gap", 300), ("walk", 900), ("off", 1800))


def wear_script(worn_s: int) -> list[tuple[str, int]]:
    """A morning off the foot, then walking, standing and seated work (with short
    unloaded gaps and shoes-off breaks) until `worn_s` of it is on the foot."""
    script, worn, i = [("off", MORNING_S)], 0, 0
    while worn < worn_s:
        kind, seconds = PATTERN[i % len(PATTERN)]
        if kind not in ("off", "gap"):
            seconds = min(seconds, worn_s - worn)
            worn += seconds
        script.append((kind, seconds))
        i += 1
    return script


async def live_days(insole: VirtualInsole, key: bytes, walk: Path, foot: str, wear_s: list[int],
                    pain: dict[int, int] | None = None, start_unix: int | None = None,
                    after_day=None) -> None:
    """The wearer lives one day per entry of `wear_s` (seconds worn that day; day 1
    first); `pain` {day: severity} reports pain once that day's wear is over;
    `start_unix` sets the insole's clock first (a local midnight, UTC offset 0).
    `after_day(day)` is called as each day closes."""
    pain = pain or {}
    if start_unix is not None or pain:
        await insole.connect(None)
        await insole.authenticate(key, insole.device_id.encode())
        if start_unix is not None:
            await insole.set_time(start_unix, 0)
    for day, worn in enumerate(wear_s, 1):
        await insole.live(walk, foot, wear_script(worn))
        if day in pain:
            await insole.report_pain(pain[day])
        await insole.midnight()
        if after_day:
            after_day(day)
    if insole.connected:
        await insole.disconnect()
