"""What the insole cannot judge on its own: trends over weeks, and both feet together.

Each check reads one insole's whole history in seq order, using its *worn days*:
closed records (no PARTIAL flag) with wear_s > 0 and steps > 0. Medians are the
lower median, so they are always one of the records' own integer values.

Pronation trend and over-correction. The baseline is the median mli_median of
the first 3 worn days; the trend is each worn day's mli_median minus it. With
at least 6 worn days (so the windows do not overlap), *over-correction* is
flagged when the foot shifted from pronated or neutral into supinated:

    baseline >= -150 per-mille  and  median mli_median of the last 3 worn days < -150,
    or the supinated share of steps (sum of supinated / sum of all three counts)
    at most 50 % over the first 3 worn days and above 50 % over the last 3.

(-150 per-mille is the record's working threshold for a supinated step.)

Insole wear, per channel, from peaks_dn (the stance-peak average the insole keeps):

    flagged  the newest worn day's flagged_channels has the channel's bit
             (the insole saw it stuck high, or without signal)
    flat     loaded in the first week (median >= 50 dN, the insole's own no-signal
             threshold) but under 50 dN on each of the last 14 worn days
             (needs 7 + 14 worn days)
    drop     the median of the last 3 worn days is more than 30 % below the median
             of the first 7 worn days (first-week median >= 50 dN; needs 7 + 3 worn days)

Any of them advises inspecting the insole at that sensor for compression or
cracks. A drop on every channel at once more likely means lighter loading
(slower walking, another shoe) than a worn insole; the message says so.

Pain advisory: the newest record carries the ADVISORY flag (pain on 3
consecutive days at the start level; sticky until cleared on the insole) ->
"stop and see a podiatrist".

Left/right asymmetry, when both feet have records: over the dated days (clock
set) with a closed record of each foot (a foot with several insoles: that day's
most worn), flagged when the wear or the step totals differ by more than 10 %
of their mean, or the median of the daily L - R mli_median differences (days
both worn) is beyond +-100 per-mille.
"""
from __future__ import annotations

import datetime as _dt
from statistics import median_low as median
from typing import Iterable, Optional

from insole_host.db import Device
from insole_host.firmware import SENSOR_NAMES, health, record

BASELINE_DAYS = 3
RECENT_DAYS = 3
SUPINATED_BELOW = record.SUPINATED_BELOW
FIRST_WEEK_DAYS = 7
PEAK_DROP_PCT = 30
FLAT_DN = health.QUIET_DN
FLAT_DAYS = 14
ASYMMETRY_PCT = 10
ASYMMETRY_MLI = 100
EPOCH = _dt.date(2000, 1, 1)
SEVERITIES = ("stop", "warn", "info")  # a flag's severity, most serious first

ADVISORY_TEXT = ("STOP wearing the insoles and see a podiatrist: pain was reported day after day, "
                 "even at the start level of the break-in plan.")


def day_label(fields: dict) -> str:
    """The record's date (ISO), or 'boot+N' when its clock was not set."""
    if fields["flags"] & record.FLAG_CLOCK_UNSET:
        return f"boot+{fields['day']}"
    return (EPOCH + _dt.timedelta(days=fields["day"])).isoformat()


def is_worn(fields: dict) -> bool:
    """A closed record of a day with wear and steps."""
    return not fields["flags"] & record.FLAG_PARTIAL and fields["wear_s"] > 0 and fields["steps"] > 0


def worn_days(records: Iterable[dict]) -> list[dict]:
    """The worn days among the records, in the given (seq) order."""
    return [r for r in records if is_worn(r)]


def _supinated_pct(days: list[dict]) -> float:
    total = sum(r["supinated"] + r["neutral"] + r["pronated"] for r in days)
    return 100.0 * sum(r["supinated"] for r in days) / total if total else 0.0


def pronation(records: list[dict]) -> dict:
    """Baseline, recent median, supinated shares, per-day trend and the over-correction verdict."""
    worn = worn_days(records)
    out = {"baseline_permille": None, "recent_permille": None, "baseline_supinated_pct": None,
           "recent_supinated_pct": None, "over_correction": False, "trend": []}
    if len(worn) < BASELINE_DAYS:
        return out
    first = worn[:BASELINE_DAYS]
    baseline = median(r["mli_median"] for r in first)
    out["baseline_permille"] = baseline
    out["baseline_supinated_pct"] = round(_supinated_pct(first), 1)
    out["trend"] = [{"seq": r["seq"], "date": day_label(r), "mli_median": r["mli_median"],
                     "delta_permille": r["mli_median"] - baseline} for r in worn]
    if len(worn) < BASELINE_DAYS + RECENT_DAYS:
        return out
    last = worn[-RECENT_DAYS:]
    recent = median(r["mli_median"] for r in last)
    out["recent_permille"] = recent
    out["recent_supinated_pct"] = round(_supinated_pct(last), 1)
    by_median = baseline >= SUPINATED_BELOW and recent < SUPINATED_BELOW
    by_share = _supinated_pct(first) <= 50 and _supinated_pct(last) > 50
    out["over_correction"] = by_median or by_share
    return out


def insole_wear(records: list[dict]) -> list[dict]:
    """Per channel: first-week and recent peak medians (dN), change and status (ok/flagged/flat/drop)."""
    worn = worn_days(records)
    out = []
    for ch in range(record.CHANNELS):
        peaks = [r["peaks_dn"][ch] for r in worn]
        base = median(peaks[:FIRST_WEEK_DAYS]) if len(peaks) >= FIRST_WEEK_DAYS else None
        recent = median(peaks[-RECENT_DAYS:]) if len(peaks) >= FIRST_WEEK_DAYS + RECENT_DAYS else None
        status = "ok"
        if worn and worn[-1]["flagged_channels"] >> ch & 1:
            status = "flagged"
        elif base is not None and base >= FLAT_DN:
            if len(peaks) >= FIRST_WEEK_DAYS + FLAT_DAYS and max(peaks[-FLAT_DAYS:]) < FLAT_DN:
                status = "flat"
            elif recent is not None and recent * 100 < base * (100 - PEAK_DROP_PCT):
                status = "drop"
        change = round(100.0 * (recent - base) / base, 1) if base and recent is not None else None
        out.append({"channel": ch, "name": SENSOR_NAMES[ch] if ch < len(SENSOR_NAMES) else f"channel {ch}",
                    "first_week_median_dn": base, "recent_median_dn": recent, "change_pct": change,
                    "status": status})
    return out


def advisory(records: list[dict]) -> dict:
    """Whether the podiatrist advisory stands (newest record), since when, and the pain days."""
    active = bool(records) and bool(records[-1]["flags"] & record.FLAG_ADVISORY)
    since = None
    if active:
        i = len(records) - 1
        while i > 0 and records[i - 1]["flags"] & record.FLAG_ADVISORY:
            i -= 1
        since = day_label(records[i])
    return {"active": active, "since": since, "text": ADVISORY_TEXT if active else None,
            "pain_days": [day_label(r) for r in records if r["pain"]]}


def _foot_days(records: list[dict]) -> dict:
    days = {}
    for r in records:
        if r["flags"] & (record.FLAG_CLOCK_UNSET | record.FLAG_PARTIAL):
            continue
        if r["day"] not in days or r["wear_s"] > days[r["day"]]["wear_s"]:
            days[r["day"]] = r
    return days


def _symmetry_pct(left: float, right: float) -> Optional[float]:
    mean = (left + right) / 2
    return round(100.0 * abs(left - right) / mean, 1) if mean else None


def asymmetry(left: list[dict], right: list[dict]) -> Optional[dict]:
    """L/R totals and differences over the common dated days; None without a common day."""
    lefts, rights = _foot_days(left), _foot_days(right)
    common = sorted(set(lefts) & set(rights))
    if not common:
        return None
    wear = [sum(feet[d]["wear_s"] for d in common) for feet in (lefts, rights)]
    steps = [sum(feet[d]["steps"] for d in common) for feet in (lefts, rights)]
    both_worn = [d for d in common if is_worn(lefts[d]) and is_worn(rights[d])]
    mli_diff = median(lefts[d]["mli_median"] - rights[d]["mli_median"] for d in both_worn) if both_worn else None
    out = {"common_days": len(common), "wear_s": {"L": wear[0], "R": wear[1]},
           "steps": {"L": steps[0], "R": steps[1]}, "wear_asymmetry_pct": _symmetry_pct(*wear),
           "steps_asymmetry_pct": _symmetry_pct(*steps), "mli_median_diff_permille": mli_diff}
    out["flagged"] = [what for what, bad in (
        ("wear", (out["wear_asymmetry_pct"] or 0) > ASYMMETRY_PCT),
        ("steps", (out["steps_asymmetry_pct"] or 0) > ASYMMETRY_PCT),
        ("pronation", mli_diff is not None and abs(mli_diff) > ASYMMETRY_MLI)) if bad]
    return out


def _wear_message(dev: Device, channels: list[dict]) -> Iterable[str]:
    loaded = [c for c in channels if (c["first_week_median_dn"] or 0) >= FLAT_DN]
    drops = [c for c in channels if c["status"] == "drop"]
    everywhere = len(drops) > 1 and len(drops) == len(loaded)
    for c in channels:
        if c["status"] == "ok":
            continue
        where = f"{dev.label}, channel {c['channel']} ({c['name']})"
        if c["status"] == "flagged":
            why = "the insole flagged the sensor (stuck high or no signal)"
        elif c["status"] == "flat":
            why = (f"peak force went flat (under {FLAT_DN} dN for {FLAT_DAYS} worn days; "
                   f"first week {c['first_week_median_dn']} dN)")
        else:
            why = (f"peak force {-c['change_pct']:.0f} % below its first-week median "
                   f"({c['first_week_median_dn']} -> {c['recent_median_dn']} dN)")
        hint = " (every channel dropped: lighter loading is likelier than wear)" if everywhere else ""
        yield f"{where}: {why}; inspect the insole there for compression or cracks{hint}"


def analyse(devices: list[Device], records: list[dict]) -> dict:
    """Every check for every insole, both feet together, and the flags to show (most serious first)."""
    by_device = {d.id: [r for r in records if r["device_id"] == d.id] for d in devices}
    out = {"devices": {}, "asymmetry": None, "flags": []}
    flags = []
    for dev in devices:
        recs = by_device[dev.id]
        result = {"pronation": pronation(recs), "channels": insole_wear(recs), "advisory": advisory(recs)}
        out["devices"][dev.id] = result
        if result["advisory"]["active"]:
            flags.append({"kind": "advisory", "severity": "stop", "device_id": dev.id,
                          "message": f"{dev.label}: {ADVISORY_TEXT} (since {result['advisory']['since']})"})
        p = result["pronation"]
        if p["over_correction"]:
            flags.append({"kind": "over_correction", "severity": "warn", "device_id": dev.id, "message": (
                f"{dev.label}: possible over-correction: the pronation index moved from {p['baseline_permille']:+d} "
                f"per mille (first {BASELINE_DAYS} worn days) to {p['recent_permille']:+d} (last {RECENT_DAYS}), "
                f"supinated steps {p['baseline_supinated_pct']:.0f} % -> {p['recent_supinated_pct']:.0f} %; "
                f"have the insole's correction checked")})
        for message in _wear_message(dev, result["channels"]):
            flags.append({"kind": "insole_wear", "severity": "warn", "device_id": dev.id, "message": message})
    left = [r for d in devices if d.foot == "L" for r in by_device[d.id]]
    right = [r for d in devices if d.foot == "R" for r in by_device[d.id]]
    if left and right:
        asym = asymmetry(left, right)
        out["asymmetry"] = asym
        if asym and asym["flagged"]:
            parts = []
            if "wear" in asym["flagged"]:
                parts.append(f"wear differs by {asym['wear_asymmetry_pct']:.0f} %")
            if "steps" in asym["flagged"]:
                parts.append(f"steps differ by {asym['steps_asymmetry_pct']:.0f} %")
            if "pronation" in asym["flagged"]:
                parts.append(f"pronation index L - R {asym['mli_median_diff_permille']:+d} per mille")
            flags.append({"kind": "asymmetry", "severity": "info", "device_id": None, "message": (
                f"left/right asymmetry over {asym['common_days']} common days: {'; '.join(parts)}")})
    out["flags"] = sorted(flags, key=lambda f: SEVERITIES.index(f["severity"]))
    return out
