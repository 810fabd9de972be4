"""Simulated record histories, and how the change detectors fare on them.

A history is both feet's daily records (the codec's field dicts plus device_id,
as `Database.records()` returns them) of one wearer: the standard break-in plan
(1..10 h, then about 8 h a day), 5 % of days not worn, and the stated noise:

    daily mli_median   the foot's level + normal noise, sd NOISE_MLI (15 per mille)
    channel peaks      PEAKS_DN x (1 + normal noise, sd NOISE_PEAK (3 %)) each
    steps              about 1000 per worn hour; shares of supinated, neutral and
                       pronated steps from per-step MLI ~ normal(median, 90)
    one-day outliers   on each foot about once a fortnight (never within 5 days of
                       another): the median +-250 per mille, 3x the steps, every peak
                       x 1.3 and one channel x 0.6

Scenarios add a shift of one foot's level, a channel's linear decay, or a drop of
every channel. `run()` reports, per scenario, on every day prefix (as if the
report ran each evening, `analysis.analyse()` on the records so far): how many runs
raised the expected episode naming the right foot and channel, its delay (worn days
of the new level, or days of the decay, up to the report that first shows it) and
the runs with any other episode. Year-long stable histories are judged once per
alarm instead of on each prefix (the detectors are causal and an episode stays
open, so the first report showing it is its detection day); each alarm is
acknowledged from the next day on, as a clinician dismissing it would, and the
scan goes on.
"""
from __future__ import annotations

import math
import random
from statistics import median_low
from typing import Callable, NamedTuple, Optional

from insole_host import analysis
from insole_host.db import Device

NOISE_MLI = 15
NOISE_PEAK = 0.03
PER_STEP_MLI_SD = 90
PEAKS_DN = (4000, 900, 1300, 600, 300, 1500, 1800, 700)
DAY0 = 9825  # 2026-11-25
STANDARD_H = tuple(range(1, 11))
UNWORN = 0.05
OUTLIER_EVERY = 14
OUTLIER_MLI = 250
FEET = (Device("SIM-L", "L", "simulated"), Device("SIM-R", "R", "simulated"))


class Foot(NamedTuple):
    """One foot's course: a level, a shift of it from a day on, a channel decaying, every channel scaled."""
    level: int = 40
    shift: int = 0
    shift_day: int = 0  # 1-based; 0: no shift
    decay_channel: Optional[int] = None
    decay_pct: int = 30
    decay_day: int = 0
    decay_days: int = 20
    all_channels_pct: int = 0  # from shift_day


def _shares(steps: int, mli: int) -> tuple[int, int, int]:
    def below(x):
        return 0.5 * (1 + math.erf((x - mli) / (PER_STEP_MLI_SD * math.sqrt(2))))
    supinated = round(steps * below(analysis.SUPINATED_BELOW))
    pronated = round(steps * (1 - below(analysis.record.PRONATED_ABOVE)))
    return supinated, steps - supinated - pronated, pronated


def _outlier_days(rng: random.Random, days: int) -> set[int]:
    out, last = set(), -99
    for day in range(1, days + 1):
        if day - last > 5 and rng.random() < 1 / OUTLIER_EVERY:
            out.add(day)
            last = day
    return out


def foot_records(rng: random.Random, foot: Foot, device: Device, days: int, worn: list[bool],
                 noise_mli: float = NOISE_MLI, noise_peak: float = NOISE_PEAK) -> list[dict]:
    """One foot's daily records for `days` days (day 1 first)."""
    outliers = _outlier_days(rng, days)
    out = []
    for day in range(1, days + 1):
        limit = STANDARD_H[day - 1] * 3600 if day <= len(STANDARD_H) else 0
        wear = int((limit or 8 * 3600) * rng.uniform(0.7, 1.1)) if worn[day - 1] else 0
        steps = int(wear / 3600 * 1000 * rng.uniform(0.8, 1.2))
        shifted = foot.shift_day and day >= foot.shift_day
        mli = foot.level + (foot.shift if shifted else 0) + rng.gauss(0, noise_mli)
        peaks = [p * (1 + rng.gauss(0, noise_peak)) for p in PEAKS_DN]
        if shifted and foot.all_channels_pct:
            peaks = [p * (1 + foot.all_channels_pct / 100) for p in peaks]
        if foot.decay_channel is not None and day >= foot.decay_day:
            done = min(1.0, (day - foot.decay_day + 1) / foot.decay_days)
            peaks[foot.decay_channel] *= 1 - foot.decay_pct / 100 * done
        if day in outliers:
            mli += rng.choice((-OUTLIER_MLI, OUTLIER_MLI))
            steps *= 3
            peaks = [p * 1.3 for p in peaks]
            peaks[rng.randrange(len(peaks))] *= 0.6
        mli = max(-1000, min(1000, round(mli)))
        supinated, neutral, pronated = _shares(steps, mli) if steps else (0, 0, 0)
        out.append({"device_id": device.id, "version": 1, "flags": 0, "seq": day, "day": DAY0 + day - 1,
                    "wear_s": wear, "limit_s": limit, "steps": steps, "cadence_x10": 1050, "mli_median": mli,
                    "cpei_median": mli // 2, "supinated": supinated, "neutral": neutral, "pronated": pronated,
                    "peaks_dn": [max(0, round(p)) for p in peaks], "flagged_channels": 0, "alerts": 0, "pain": 0})
    return out


def history(seed: int, days: int, left: Foot, right: Foot, **noise) -> list[dict]:
    """Both feet's records (left first), worn on the same days."""
    rng = random.Random(seed)
    worn = [day <= 3 or rng.random() >= UNWORN for day in range(1, days + 1)]
    return (foot_records(rng, left, FEET[0], days, worn, **noise)
            + foot_records(rng, right, FEET[1], days, worn, **noise))


class Scenario(NamedTuple):
    """A named course of both feet drawn per run; `expect` the episode kind it should raise (None: nothing)."""
    name: str
    days: int
    feet: Callable[[random.Random], tuple[Foot, Foot]]
    expect: Optional[str] = None
    within: int = 0  # the expected episode counts as detected when its delay is at most this
    noise: dict = {}


def _level(rng: random.Random) -> int:
    return rng.randint(-200, 200)


def _shift(size: int, first: int = 4, last: int = 30):
    def feet(rng):
        moved = Foot(_level(rng), shift=size, shift_day=rng.randint(first, last))
        other = Foot(_level(rng))
        return (moved, other) if rng.random() < 0.5 else (other, moved)
    return feet


def _decay(pct: int, days: int = 20):
    def feet(rng):
        decaying = Foot(_level(rng), decay_channel=rng.randrange(len(PEAKS_DN)), decay_pct=pct,
                        decay_day=rng.randint(8, 20), decay_days=days)
        return (decaying, Foot(_level(rng))) if rng.random() < 0.5 else (Foot(_level(rng)), decaying)
    return feet


def _stable(rng):
    return Foot(_level(rng)), Foot(_level(rng))


SCENARIOS = (
    Scenario("supination shift 80 per mille, day 4..30, any level", 40, _shift(-80), "over_correction", 3),
    Scenario("orthotic change: supination shift 120, day 4..30", 40, _shift(-120), "over_correction", 3),
    Scenario("supination shift 50 (the minimum effect)", 40, _shift(-50), "over_correction", 10),
    Scenario("one foot moves 100 toward pronation", 40, _shift(100), "asymmetry", 3),
    Scenario("a channel decays 30 % over 20 days", 40, _decay(30), "insole_wear", 20),
    Scenario("a channel loses 15 % at once (the minimum effect)", 40, _decay(15, days=1), "insole_wear", 10),
    Scenario("every channel 30 % lower from day 4..30 (lighter loading)", 40,
             lambda rng: (Foot(_level(rng), shift_day=rng.randint(4, 30), all_channels_pct=-30), Foot(_level(rng)))),
    Scenario("stable feet, -200..+200 each, one year", 365, _stable),
    Scenario("stable feet, twice the noise (MLI sd 30, peaks 6 %), one year", 365, _stable,
             noise={"noise_mli": 2 * NOISE_MLI, "noise_peak": 2 * NOISE_PEAK}),
)


def _names(ep: dict) -> tuple:
    return ep["kind"], ep["foot"], ep["channel"]


def _target(feet: tuple[Foot, Foot], kind: Optional[str]) -> Optional[tuple]:
    """The episode (kind, foot, channel) a scenario should raise, and the day its change began."""
    for foot, f in zip("LR", feet):
        if kind in ("over_correction", "asymmetry") and f.shift_day:
            return (kind, foot if kind == "over_correction" else None, None), f.shift_day
        if kind == "insole_wear" and f.decay_channel is not None:
            return (kind, foot, f.decay_channel), f.decay_day
    return None


def _delay(records: list[dict], kind: str, began: int, detected_day: int) -> int:
    """Worn days of the new level up to detection (a decay: its days, worn or not)."""
    if kind == "insole_wear":
        return detected_day - began + 1
    return sum(1 for r in records if r["device_id"] == FEET[0].id and began <= r["seq"] <= detected_day
               and analysis.is_worn(r))


def run_prefixes(scenario: Scenario, seed: int) -> dict:
    """One run, the report on every day: the expected episode's delay (None: never), the other episodes."""
    rng = random.Random(seed)
    feet = scenario.feet(rng)
    records = history(seed, scenario.days, *feet, **scenario.noise)
    target = _target(feet, scenario.expect)
    delay, others = None, set()
    for day in range(1, scenario.days + 1):
        episodes = analysis.analyse(list(FEET), [r for r in records if r["seq"] <= day])["episodes"]
        for ep in episodes:
            if target and _names(ep) == target[0]:
                if delay is None:
                    delay = _delay(records, ep["kind"], target[1], day)
            else:
                others.add(_names(ep))
    return {"delay": delay, "others": sorted(others, key=str)}


def false_alarms(scenario: Scenario, seed: int) -> list[dict]:
    """Every episode over a stable history, each acknowledged from the day after it was first shown."""
    rng = random.Random(seed)
    records = history(seed, scenario.days, *scenario.feet(rng), **scenario.noise)
    acks, alarms = [], []
    while True:
        episodes = analysis.analyse(list(FEET), records, acks)["episodes"]
        if not episodes:
            return alarms
        for ep in episodes:
            alarms.append(ep)
            detected = next(r for r in records if analysis.day_label(r) == ep["detected"])
            for dev in FEET:
                if ep["device_id"] in (None, dev.id):
                    acks.append({"device_id": dev.id, "kind": ep["kind"], "channel": ep["channel"],
                                 "from_seq": detected["seq"] + 1, "from_day": detected["day"] + 1})


def evaluate(scenario: Scenario, seeds: range) -> dict:
    """A scenario's figures over these seeds."""
    if scenario.expect is None:
        alarms = [false_alarms(scenario, s) for s in seeds]
        years = len(seeds) * scenario.days / 365
        kinds = sorted({ep["kind"] for a in alarms for ep in a})
        return {"runs": len(seeds), "years": years, "alarms": sum(map(len, alarms)),
                "per_year": sum(map(len, alarms)) / years, "kinds": kinds}
    results = [run_prefixes(scenario, s) for s in seeds]
    delays = [r["delay"] for r in results if r["delay"] is not None]
    return {"runs": len(seeds), "detected": sum(d <= scenario.within for d in delays),
            "ever": len(delays), "median_delay": median_low(delays) if delays else None,
            "max_delay": max(delays) if delays else None,
            "other_runs": sum(bool(r["others"]) for r in results),
            "others": sorted({o[0] for r in results for o in r["others"]})}


def table(runs: int = 100, seed: int = 1, echo: Callable[[str], None] = print) -> list[dict]:
    """Print (and return) every scenario's figures: `runs` histories each (stable: runs // 5 years)."""
    echo(f"{'scenario':<62} {'runs':>5} {'found':>12} {'delay med/max':>13} {'other episodes':>16}")
    out = []
    for i, sc in enumerate(SCENARIOS):
        n = runs if sc.expect else max(1, runs // 5)
        res = evaluate(sc, range(seed + 1000 * i, seed + 1000 * i + n))
        out.append(dict(res, name=sc.name))
        if sc.expect is None:
            found = f"{res['alarms']} alarms"
            echo(f"{sc.name:<62} {n:>5} {found:>12} {'':>13} {res['per_year']:>8.2f} / year {', '.join(res['kinds'])}")
            continue
        pct = 100 * res["detected"] / n
        found = f"{pct:.0f} % <= {sc.within}"
        delay = f"{res['median_delay']}/{res['max_delay']}" if res["ever"] else "-"
        echo(f"{sc.name:<62} {n:>5} {found:>12} {delay:>13} {res['other_runs']:>11} runs {', '.join(res['others'])}")
    return out
