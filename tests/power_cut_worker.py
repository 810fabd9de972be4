"""Power-cut worker: the store through scripted days under micropython, cut at one write.

    micropython power_cut_worker.py DIR run CUT
    micropython power_cut_worker.py DIR resume DAY TICK CUT

`run` starts on an empty DIR at day 1, minute 0. `resume` recovers DIR and goes
on from the clock's DAY and TICK (the minute the cut happened at: the minutes
in between are lost, as on a device that was off). CUT numbers this process's
mutating filesystem operations from 1 (0: none); that one lands only in part,
and the worker prints

    KILLPOINT op=N day=D tick=T logged=L config=V

(L: the last seq whose close had returned; V: the last config version saved)
and blocks until it is killed. A process that is not cut prints one JSON line:
what recover() found, the records it closed, then the final log, configuration
and counters.

A day is TICKS virtual minutes of STEPS_PER_TICK steps; the configuration is
saved at minute CONFIG_TICK and after each close (versions 2d-1 and 2d). On a
restart the worker does what the firmware's main loop must: close a recovered
day the clock has left, and save again a configuration that a cut between a
close and its save left behind.
"""
import json
import sys
import time

_here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
for _p in (_here + "/core", _here + "/../firmware"):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from fsfaults import TearingFs  # noqa: E402

from edge.store import Store  # noqa: E402
from insole.record import FLAG_ADVISORY, FLAG_PAIN, FLAG_REST_DAY, SIZE, DaySummary, decode, encode  # noqa: E402

DAYS = 7
TICKS = 60
TICK_S = 60
STEPS_PER_TICK = 20
CONFIG_TICK = 23
CHECKPOINT_S = 300
SEGMENT_RECORDS = 2
BUDGET = 2 * SEGMENT_RECORDS * SIZE
DAY0 = 9000


def config_text(version):
    return "cfg v=%d preset=gentle schedule_day=%d %s" % (version, (version + 1) // 2, "." * 60)


def config_version(text):
    return int(text.split()[1][2:]) if text else 0


def limit_s(day):
    return 1800 + 600 * (day % 3)


def day_flags(day):
    return (FLAG_ADVISORY if day == 2 else 0) | (FLAG_PAIN if day == 3 else 0) | (FLAG_REST_DAY if day == 5 else 0)


def step_indices(day, tick, i):
    n = day * 7919 + tick * 104729 + i * 1299709
    return n % 1201 - 600, n % 977 - 488


class Scenario:
    """One insole's days against the store, with the clock at (day, tick)."""

    def __init__(self, path, cut_at):
        self.fs = TearingFs(cut_at, self.cut)
        self.store = Store(path, fs=self.fs, segment_records=SEGMENT_RECORDS,
                           budget_bytes=BUDGET, checkpoint_s=CHECKPOINT_S)
        self.summary = DaySummary()
        self.day = 1
        self.tick = 0
        self.wear_s = 0
        self.alerts = 0
        self.config = 0
        self.recovered = None
        self.closed = []

    def cut(self):
        print("KILLPOINT op=%d day=%d tick=%d logged=%d config=%d" % (
            self.fs.ops, self.day, self.tick, self.store.open_seq - 1, self.config))
        sys.stdout.flush()
        while True:
            time.sleep(60)

    def start(self, day, tick):
        """Recover the store and pick the open day up at the clock's (day, tick)."""
        self.day = day
        self.tick = tick
        current = self.store.recover()
        config = self.store.load_config()
        self.config = config_version(config)
        self.recovered = {
            "ops": self.fs.ops, "corrupt": self.store.corrupt, "dropped": self.store.dropped,
            "records": list(self.store.records_after(0)),
            "config": config.decode() if config else None,
            "current": None,
        }
        if current is not None:
            fields = self.summary.restore(current)
            self.recovered["current"] = {"seq": fields["seq"], "day": fields["day"], "wear_s": fields["wear_s"]}
            self.wear_s = fields["wear_s"]
            self.alerts = fields["alerts"]
            if fields["day"] - DAY0 < day:
                self.close(fields["day"] - DAY0)
        due = 2 * (self.day - 1) + (self.tick >= CONFIG_TICK)
        if self.config < due:  # the cut came between a day's close and its config save
            self.save_config(due)

    def play(self):
        while self.day <= DAYS:
            while self.tick < TICKS:
                self.tick += 1
                self.minute()
            self.close(self.day)

    def now(self):
        return ((self.day - 1) * TICKS + self.tick) * TICK_S

    def minute(self):
        d = self.day
        self.wear_s += TICK_S
        if self.wear_s == limit_s(d):
            self.alerts += 1
        for i in range(STEPS_PER_TICK):
            mli, cpei = step_indices(d, self.tick, i)
            self.summary.add_step(mli, cpei)
        if self.tick == CONFIG_TICK:
            self.save_config(2 * d - 1)
        if self.store.due(self.now()):
            self.store.checkpoint(self.summary.snapshot(self.store.open_seq, DAY0 + d, self.wear_s,
                                                        **self.day_fields(d)), self.now())

    def close(self, day):
        self.day = day + 1
        self.tick = 0
        seq = self.store.open_seq
        closed = encode(self.summary.close(seq, DAY0 + day, self.wear_s, **self.day_fields(day)))
        self.summary.reset()
        self.wear_s = 0
        self.alerts = 0
        opening = self.summary.snapshot(seq + 1, DAY0 + day + 1, 0, **self.day_fields(day + 1))
        self.store.close_day(closed, opening, self.now())
        self.closed.append(decode(closed))
        self.save_config(2 * day)

    def day_fields(self, day):
        flags = day_flags(day)
        return {"limit_s": limit_s(day), "alerts": self.alerts, "cadence_x10": 1000 + day,
                "pain": 3 if flags & FLAG_PAIN else 0, "flags": flags}

    def save_config(self, version):
        self.store.save_config(config_text(version).encode())
        self.config = version

    def report(self):
        config = self.store.load_config()
        return {
            "recovered": self.recovered, "ops": self.fs.ops, "closed": self.closed,
            "records": list(self.store.records_after(0)),
            "config": config.decode() if config else None,
            "corrupt": self.store.corrupt, "dropped": self.store.dropped, "open_seq": self.store.open_seq,
        }


def main(argv):
    path, mode = argv[1], argv[2]
    if mode == "run":
        day, tick, cut_at = 1, 0, int(argv[3])
    else:
        day, tick, cut_at = int(argv[3]), int(argv[4]), int(argv[5])
    scenario = Scenario(path, cut_at)
    scenario.start(day, tick)
    scenario.play()
    print(json.dumps(scenario.report()))


if __name__ == "__main__":
    main(sys.argv)
