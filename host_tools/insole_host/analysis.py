"""What the insole cannot judge on its own: changes over weeks, and both feet together.

`analyse(devices, records, acks)` takes the database's records (any order; each
insole's are read in seq order) and its acknowledged changes (`Database.acknowledged()`;
none by default) and returns, per insole, the pronation summary, the sensors and
the advisory, the episodes of the change detectors (`changes.py`: over-correction,
insole wear per channel, left/right asymmetry) with what each judged, and the
flags to show. A demo or simulator only has to produce records.

Worn days: closed records (no PARTIAL flag) with wear_s > 0 and steps > 0. A
detector reads the worn days after its latest acknowledgement (or reset) of that
insole, kind and channel. An over-correction moves force from the medial sensors to
the lateral ones: while one is open, insole wear is not judged on that insole's medial
and lateral channels, nor asymmetry; its acknowledgement re-arms them both. Medians are
the lower median (one of the records' values).

Also reported, not as episodes:
- the insole's own verdict: a channel flagged (stuck high, without signal or saturating) on the
  newest worn day;
- the pain advisory: the newest record carries the ADVISORY flag (pain on 3
  consecutive days at the start level; sticky until cleared on the insole);
- wear and steps of the last USAGE_DAYS dated days with a record of each foot, when
  one foot's total is more than USAGE_PCT below the other's (an insole not worn,
  or not charged).
"""
from __future__ import annotations

import datetime as _dt
import math
from statistics import median_low as median
from typing import Iterable, Optional

from insole_host import changes
from insole_host.changes import ASYMMETRY, INSOLE_WEAR, MIN_DAYS, OVER_CORRECTION
from insole_host.db import Device
from insole_host.firmware import record, sensor_names, sided_channels

SUPINATED_BELOW = record.SUPINATED_BELOW
USAGE_DAYS = 7
USAGE_PCT = 10
EPOCH = _dt.date(2000, 1, 1)
SEVERITIES = ("stop", "warn", "info")  # a flag's severity, most serious first
WHILE_OPEN = "not judged while an over-correction is open"  # a detector an open over-correction blocks

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


def channel_name(channel: int) -> str:
    names = sensor_names()
    return names[channel] if channel < len(names) else f"channel {channel}"


def _supinated_pct(days: list[dict]) -> Optional[float]:
    """The median of the days' shares of supinated steps (one long day does not outweigh the rest)."""
    shares = [100.0 * r["supinated"] / total for r in days
              if (total := r["supinated"] + r["neutral"] + r["pronated"])]
    return round(median(shares), 1) if shares else None


def armed_at(acks: Iterable[dict], device_id: str, kind: str, channel: Optional[int] = None) -> int:
    """The seq a detector of this insole reads from: its latest acknowledgement or reset (0: none)."""
    return max((a["from_seq"] for a in acks if a["device_id"] == device_id and a["kind"] in (kind, "*")
                and a["channel"] in (None, channel)), default=0)


def _since(records: list[dict], seq: int) -> list[dict]:
    return [r for r in records if r["seq"] >= seq]


def _span(days: list[dict]) -> str:
    return f"{day_label(days[0])}..{day_label(days[-1])}" if len(days) > 1 else day_label(days[0])


def _episode(kind: str, days: list[dict], values: list, change: changes.Change, **more) -> dict:
    """An episode's common part: when it started, the baseline's days, the medians before and after."""
    base = days[:change.baseline_days]
    start = days[change.start]
    return dict({"kind": kind, "start": day_label(start), "start_seq": start["seq"],
                 "start_day": None if start["flags"] & record.FLAG_CLOCK_UNSET else start["day"],
                 "detected": day_label(days[change.detected]), "baseline": _span(base),
                 "baseline_days": len(base), "days_since_start": len(days) - change.start,
                 "before": median(values[:change.baseline_days]), "after": median(values[change.start:])}, **more)


def pronation(worn: list[dict]) -> dict:
    """Baseline (as the detector takes it), the last RECENT worn days, supinated shares, the daily trend."""
    n_base = min(changes.BASELINE_MAX, max(changes.BASELINE_MIN, len(worn) - changes.RECENT))
    out = {"baseline_permille": None, "baseline": None, "recent_permille": None,
           "baseline_supinated_pct": None, "recent_supinated_pct": None, "trend": []}
    if len(worn) < changes.BASELINE_MIN:
        return out
    base, last = worn[:n_base], worn[-changes.RECENT:]
    baseline = median(r["mli_median"] for r in base)
    out.update(baseline_permille=baseline, baseline=_span(base), baseline_supinated_pct=_supinated_pct(base),
               trend=[{"seq": r["seq"], "date": day_label(r), "mli_median": r["mli_median"],
                       "delta_permille": r["mli_median"] - baseline} for r in worn])
    if len(worn) >= MIN_DAYS:
        out.update(recent_permille=median(r["mli_median"] for r in last), recent_supinated_pct=_supinated_pct(last))
    return out


def over_correction(dev: Device, records: list[dict], acks: Iterable[dict] = ()) -> dict:
    """The over-correction detector on this insole's worn days since it was armed."""
    worn = worn_days(_since(records, armed_at(acks, dev.id, OVER_CORRECTION.kind)))
    out = {"kind": OVER_CORRECTION.kind, "device_id": dev.id, "worn_days": len(worn),
           "since": day_label(worn[0]) if worn else None, "episode": None}
    values = [r["mli_median"] for r in worn]
    change = changes.first_change(values, OVER_CORRECTION)
    if change:
        ep = _episode(OVER_CORRECTION.kind, worn, values, change, device_id=dev.id, foot=dev.foot, channel=None)
        ep.update(size=ep["after"] - ep["before"], supinated_pct_before=_supinated_pct(worn[:change.baseline_days]),
                  supinated_pct_after=_supinated_pct(worn[change.start:]))
        out["episode"] = ep
    return out


def insole_wear(dev: Device, records: list[dict], acks: Iterable[dict] = (),
                open_over_correction: Iterable[dict] = ()) -> list[dict]:
    """Per channel: the wear detector on its peak relative to the foot's other channels, since armed;
    a medial or lateral channel is blocked by this insole's open over-correction, re-armed by its ack."""
    blocked = [ep["device_id"] for ep in open_over_correction]
    sided = sided_channels()
    out = []
    for ch in range(record.CHANNELS):
        armed = armed_at(acks, dev.id, INSOLE_WEAR.kind, ch)
        if ch in sided:
            armed = max(armed, armed_at(acks, dev.id, OVER_CORRECTION.kind))
        worn = worn_days(_since(records, armed))
        peaks = [r["peaks_dn"][ch] for r in worn]
        loaded = median(peaks[:changes.BASELINE_MIN]) if len(worn) >= changes.BASELINE_MIN else None
        res = {"kind": INSOLE_WEAR.kind, "device_id": dev.id, "channel": ch, "name": channel_name(ch),
               "worn_days": len(worn), "since": day_label(worn[0]) if worn else None, "first_days_dn": loaded,
               "recent_dn": median(peaks[-changes.RECENT:]) if worn else None,
               "unloaded": loaded is not None and loaded < changes.LOADED_DN,
               "flagged": bool(worn) and bool(worn[-1]["flagged_channels"] >> ch & 1),
               "blocked_by": blocked if ch in sided else [], "episode": None}
        values = [changes.peak_share(r["peaks_dn"], ch) for r in worn]
        change = None if res["unloaded"] or res["blocked_by"] else changes.first_change(values, INSOLE_WEAR)
        if change:
            ep = _episode(INSOLE_WEAR.kind, worn, values, change, device_id=dev.id, foot=dev.foot, channel=ch)
            ep.update(name=res["name"], size=round(100 * (math.exp(ep["after"] - ep["before"]) - 1)),
                      before_dn=median(peaks[:change.baseline_days]), after_dn=median(peaks[change.start:]),
                      now_dn=res["recent_dn"])
            ep.update(before=round(ep["before"], 4), after=round(ep["after"], 4))
            res["episode"] = ep
        out.append(res)
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


def _foot_days(records: list[dict], from_day: int = -1) -> dict:
    """The dated closed records of one foot by day (a foot with several insoles: that day's most worn)."""
    days = {}
    for r in records:
        if r["flags"] & (record.FLAG_CLOCK_UNSET | record.FLAG_PARTIAL) or r["day"] < from_day:
            continue
        if r["day"] not in days or r["wear_s"] > days[r["day"]]["wear_s"]:
            days[r["day"]] = r
    return days


def asymmetry(left: list[dict], right: list[dict], acks: Iterable[dict] = (),
              open_over_correction: Iterable[dict] = ()) -> dict:
    """The asymmetry detector on the daily L - R mli_median difference, and the recent wear and step totals."""
    from_day = max((a["from_day"] for a in acks if a["from_day"] is not None
                    and a["kind"] in (ASYMMETRY.kind, OVER_CORRECTION.kind, "*")), default=-1)
    lefts, rights = _foot_days(left, from_day), _foot_days(right, from_day)
    both = [d for d in sorted(set(lefts) & set(rights)) if is_worn(lefts[d]) and is_worn(rights[d])]
    blocked = list(open_over_correction)
    out = {"kind": ASYMMETRY.kind, "worn_days": len(both), "since": day_label(lefts[both[0]]) if both else None,
           "blocked_by": [ep["device_id"] for ep in blocked], "episode": None,
           "usage": _usage(_foot_days(left), _foot_days(right))}
    if blocked:
        return out
    feet = {"L": [lefts[d]["mli_median"] for d in both], "R": [rights[d]["mli_median"] for d in both]}
    values = [a - b for a, b in zip(feet["L"], feet["R"])]

    def centre(lo: int, hi: int) -> float:
        return median(feet["L"][lo:hi]) - median(feet["R"][lo:hi])

    change = changes.first_change(values, ASYMMETRY, centre)
    if change:
        ep = _episode(ASYMMETRY.kind, [lefts[d] for d in both], values, change, device_id=None, foot=None,
                      channel=None)
        for foot in "LR":
            ep[f"{foot}_before"] = median(feet[foot][:change.baseline_days])
            ep[f"{foot}_after"] = median(feet[foot][change.start:])
        ep.update(before=ep["L_before"] - ep["R_before"], after=ep["L_after"] - ep["R_after"])
        ep["size"] = ep["after"] - ep["before"]
        out["episode"] = ep
    return out


def _usage(lefts: dict, rights: dict) -> Optional[dict]:
    """Wear and steps of the last USAGE_DAYS days with a record of each foot; the lower foot's shortfall."""
    common = sorted(set(lefts) & set(rights))[-USAGE_DAYS:]
    if not common:
        return None
    out = {"days": len(common), "from": day_label(lefts[common[0]]), "to": day_label(lefts[common[-1]]),
           "flagged": []}
    for what in ("wear_s", "steps"):
        totals = {"L": sum(lefts[d][what] for d in common), "R": sum(rights[d][what] for d in common)}
        low, high = sorted(totals, key=totals.get)
        short = round(100.0 * (totals[high] - totals[low]) / totals[high], 1) if totals[high] else 0.0
        out[what] = dict(totals, lower=low, short_pct=short)
        if short > USAGE_PCT:
            out["flagged"].append(what)
    return out


def _foot(foot: str) -> str:
    return "left" if foot == "L" else "right"


def _needs(n: int) -> str:
    return f"needs {MIN_DAYS} worn days, {n} so far"


def _over_correction_message(dev: Device, ep: dict) -> str:
    band = f"; now in the supinated band (below {SUPINATED_BELOW})" if ep["after"] < SUPINATED_BELOW else ""
    shares = ""
    if ep["supinated_pct_before"] is not None and ep["supinated_pct_after"] is not None:
        shares = f", supinated steps {ep['supinated_pct_before']:.0f} % -> {ep['supinated_pct_after']:.0f} %"
    return (f"{dev.label}: over-correction since {ep['start']}: the pronation index moved {ep['size']:+d} per mille "
            f"toward supination, {ep['before']:+d} (median of {ep['baseline']}) -> {ep['after']:+d} (median of "
            f"{ep['days_since_start']} worn days since {ep['start']}){shares}{band}. Have the insole's correction "
            f"checked; `insole ack --device {dev.id}` once handled (a new orthotic starts a new baseline).")


def _wear_message(dev: Device, ep: dict) -> str:
    return (f"{dev.label}, channel {ep['channel']} ({ep['name']}): peak force {ep['size']:+d} % relative to the "
            f"foot's other sensors since {ep['start']}: {ep['before_dn']} dN (median of {ep['baseline']}) -> "
            f"{ep['after_dn']} dN (median of {ep['days_since_start']} worn days since {ep['start']}; last 3: "
            f"{ep['now_dn']} dN); inspect the insole there for compression or cracks.")


def _asymmetry_message(ep: dict) -> str:
    return (f"left/right pronation difference appeared since {ep['start']}: L - R {ep['before']:+d} per mille "
            f"(median of {ep['baseline']}) -> {ep['after']:+d} ({ep['days_since_start']} days since); left foot "
            f"{ep['L_before']:+d} -> {ep['L_after']:+d}, right foot {ep['R_before']:+d} -> {ep['R_after']:+d}.")


def _usage_message(usage: dict) -> str:
    parts = []
    for what, noun in (("wear_s", "wear time"), ("steps", "steps")):
        if what in usage["flagged"]:
            u = usage[what]
            low, high = u["lower"], "R" if u["lower"] == "L" else "L"
            amount = (lambda v: f"{v // 3600}:{v % 3600 // 60:02d} h") if what == "wear_s" else str
            parts.append(f"the {_foot(low)} insole recorded {u['short_pct']:.0f} % less {noun} than the "
                         f"{_foot(high)} ({amount(u[low])} vs {amount(u[high])})")
    return (f"{'; '.join(parts)} over the {usage['days']} days {usage['from']}..{usage['to']}: check that insole "
            f"is worn and charged.")


def judged(dev: Device, result: dict) -> list[str]:
    """What each detector of this insole judged, in words (for 'nothing found' only where judged)."""
    oc = result["over_correction"]
    lines = []
    if oc["worn_days"] < MIN_DAYS:
        lines.append(f"{dev.label}: over-correction not judged yet: {_needs(oc['worn_days'])}")
    elif not oc["episode"]:
        lines.append(f"{dev.label}: no over-correction (a move of {OVER_CORRECTION.min_effect} per mille or more "
                     f"toward supination) over {oc['worn_days']} worn days since {oc['since']}")
    blocked = [str(c["channel"]) for c in result["channels"] if c["blocked_by"]]
    chans = [c for c in result["channels"] if not c["blocked_by"]]
    short = [c for c in chans if c["worn_days"] < MIN_DAYS]
    unloaded = [str(c["channel"]) for c in chans if c["unloaded"]]
    quiet = [c for c in chans if c not in short and not c["unloaded"] and not c["episode"]]
    if short:
        lines.append(f"{dev.label}: insole wear not judged yet on {len(short)} channels: "
                     f"{_needs(min(c['worn_days'] for c in short))}")
    if quiet:
        lines.append(f"{dev.label}: no insole wear (a fall of {changes.WEAR_MIN_PCT} % or more in a sensor's share "
                     f"of the foot's peak force) on channels {', '.join(str(c['channel']) for c in quiet)}")
    if unloaded:
        lines.append(f"{dev.label}: channels {', '.join(unloaded)} not judged: unloaded "
                     f"(median peak under {changes.LOADED_DN} dN in the first worn days)")
    if blocked:
        lines.append(f"{dev.label}: insole wear on the medial and lateral channels {', '.join(blocked)} {WHILE_OPEN} "
                     f"(its shift of force between them is reported there)")
    return lines


def _asymmetry_judged(asym: Optional[dict], feet: set) -> str:
    if asym is None:
        missing = "right" if "L" in feet else "left"
        return f"left/right asymmetry not judged: no {missing} insole records"
    if asym["blocked_by"]:
        return f"left/right asymmetry {WHILE_OPEN} (a one-sided shift is reported there)"
    if asym["worn_days"] < MIN_DAYS:
        return (f"left/right asymmetry not judged yet: needs {MIN_DAYS} dated days worn on both feet, "
                f"{asym['worn_days']} so far")
    return (f"no new left/right pronation difference ({ASYMMETRY.min_effect} per mille or more) over "
            f"{asym['worn_days']} days worn on both feet since {asym['since']}")


def analyse(devices: list[Device], records: list[dict], acks: Iterable[dict] = ()) -> dict:
    """Every check for every insole, both feet together, the episodes, what was judged, the flags to show."""
    acks = list(acks)
    by_device = {d.id: sorted((r for r in records if r["device_id"] == d.id), key=lambda r: r["seq"])
                 for d in devices}
    out = {"devices": {}, "asymmetry": None, "episodes": [], "judged": [], "flags": []}
    flags = []
    for dev in devices:
        recs = by_device[dev.id]
        oc = over_correction(dev, recs, acks)
        open_oc = [oc["episode"]] if oc["episode"] else []
        result = {"pronation": pronation(worn_days(_since(recs, armed_at(acks, dev.id, OVER_CORRECTION.kind)))),
                  "over_correction": oc, "channels": insole_wear(dev, recs, acks, open_oc),
                  "advisory": advisory(recs)}
        out["devices"][dev.id] = result
        out["judged"] += judged(dev, result)
        if result["advisory"]["active"]:
            flags.append({"kind": "advisory", "severity": "stop", "device_id": dev.id,
                          "message": f"{dev.label}: {ADVISORY_TEXT} (since {result['advisory']['since']})"})
        ep = result["over_correction"]["episode"]
        if ep:
            out["episodes"].append(ep)
            flags.append({"kind": OVER_CORRECTION.kind, "severity": "warn", "device_id": dev.id, "episode": ep,
                          "message": _over_correction_message(dev, ep)})
        for c in result["channels"]:
            if c["flagged"]:
                flags.append({"kind": "sensor_flagged", "severity": "warn", "device_id": dev.id, "message": (
                    f"{dev.label}, channel {c['channel']} ({c['name']}): the insole flagged the sensor (stuck high, "
                    f"no signal or saturating); inspect the insole and its connector there")})
            if c["episode"]:
                out["episodes"].append(c["episode"])
                flags.append({"kind": INSOLE_WEAR.kind, "severity": "warn", "device_id": dev.id,
                              "episode": c["episode"], "message": _wear_message(dev, c["episode"])})
    left = [r for d in devices if d.foot == "L" for r in by_device[d.id]]
    right = [r for d in devices if d.foot == "R" for r in by_device[d.id]]
    asym = None
    if left and right:
        open_oc = [e for e in out["episodes"] if e["kind"] == OVER_CORRECTION.kind]
        asym = asymmetry(left, right, acks, open_oc)
        if asym["episode"]:
            out["episodes"].append(asym["episode"])
            flags.append({"kind": ASYMMETRY.kind, "severity": "warn", "device_id": None,
                          "episode": asym["episode"], "message": _asymmetry_message(asym["episode"])})
        if asym["usage"] and asym["usage"]["flagged"]:
            flags.append({"kind": "usage", "severity": "info", "device_id": None,
                          "message": _usage_message(asym["usage"])})
    if left or right:
        out["judged"].append(_asymmetry_judged(asym, {"L" if left else "R"}))
    out["asymmetry"] = asym
    out["flags"] = sorted(flags, key=lambda f: SEVERITIES.index(f["severity"]))
    return out
