"""Daily records for the host tests, encoded with the firmware's own codec.

`fortnight()` follows tests/test_two_weeks.py: the standard plan, pain on days 5 to 8
(limit back to 1 h, the podiatrist advisory from day 8), 10 % over on day 3 and 30 %
over on day 10.
"""
from insole_host.db import Device
from insole_host.firmware import record

H = 3600
DAY0 = 9825  # 2026-11-25
LIMITS_H = [1, 2, 3, 4, 5, 1, 1, 1, 1, 1, 1, 2, 3, 4]
PAIN_DAYS = {5, 6, 7, 8}
OVER = {3: 1.1, 10: 1.3}
PEAKS = [4000, 900, 1300, 600, 300, 1500, 1800, 700]

LEFT = Device("INS-L-0001", "L", "Anna", "AA:BB:CC:00:00:01")
RIGHT = Device("INS-R-0002", "R", "Anna", "AA:BB:CC:00:00:02")


def fields(seq, day=None, **more):
    """A plausible worn day's record fields; keyword arguments override."""
    out = {"flags": 0, "seq": seq, "day": DAY0 + seq - 1 if day is None else day, "wear_s": 2 * H,
           "limit_s": 2 * H, "steps": 3000, "cadence_x10": 1052, "mli_median": 40, "cpei_median": 25,
           "supinated": 300, "neutral": 2100, "pronated": 600, "peaks_dn": list(PEAKS),
           "flagged_channels": 0, "alerts": 1, "pain": 0}
    out.update(more)
    return out


def fortnight(mli=40):
    """The fourteen days' record fields (one insole)."""
    days = []
    for d, hours in enumerate(LIMITS_H, start=1):
        wear = int(hours * H * OVER.get(d, 1.0))
        steps = wear * 1000 // H
        flags = (record.FLAG_PAIN if d in PAIN_DAYS else 0) | (record.FLAG_ADVISORY if d >= 8 else 0)
        days.append(fields(d, wear_s=wear, limit_s=hours * H, steps=steps, flags=flags,
                           pain=6 if d in PAIN_DAYS else 0, mli_median=mli + (d % 3) * 10 - 10,
                           cadence_x10=1000 + d, supinated=steps // 10, neutral=steps * 7 // 10,
                           pronated=steps - steps // 10 - steps * 7 // 10, alerts=2 + (d == 10) * 2))
    return days


def encoded(days):
    return [record.encode(f) for f in days]
