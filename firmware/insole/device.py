"""One insole: the per-sample pipeline and, once a second, the break-in coach.

`sample(counts)` is the per-sample path and allocates nothing: it feeds the
pipeline, counts each finished step into the day's summary and, once a
second, ticks the clock and the alert engine against today's limit. Work
that allocates or touches flash is left to the main loop, which calls
`service()` whenever `due` is set: closing the day at the rollover (the
record, and the schedule's move to tomorrow) and the day's checkpoint every
`checkpoint_s`. The insole counts as off the foot once it has been unloaded
for ON_FOOT_S, so no alert fires on a shoe left on the shelf.
"""
from insole import record
from insole.alerts import ADVISORY, EVENT_LEN, PAIN_ROLLBACK, AlertEngine
from insole.clock import Clock
from insole.gait import RING, TOE_OFF
from insole.pipeline import Pipeline
from insole.schedule import ADVISED, ROLLED_BACK, Schedule

ON_FOOT_S = 60
CHECKPOINT_S = 300

DUE_CHECKPOINT = 1
DUE_ROLLOVER = 2


class Device:
    """Pipeline, schedule, alerts, clock and the day's summary of one insole.

    `buzz(kind)` plays an alert (the motor's `play`); `plan` is the schedule's
    preset and parameters, as a dict.
    """

    def __init__(self, cfg, plan=None, buzz=None, checkpoint_s=CHECKPOINT_S):
        self.pipeline = Pipeline(cfg)
        self.plan = dict(plan or {"preset": "standard"})
        self.schedule = Schedule(**self.plan)
        self.alerts = AlertEngine()
        self.clock = Clock()
        self.summary = record.DaySummary()
        self.buzz = buzz
        self.checkpoint_s = checkpoint_s
        self.since_checkpoint = 0
        self.seq = 1
        self.due = 0

    def sample(self, counts):
        """The per-sample path: one sample of 16-bit counts; returns the gait event."""
        pipe = self.pipeline
        event = pipe.feed(counts)
        if event == TOE_OFF and pipe.pronation:
            i = (pipe.pronation.steps - 1) % RING
            self.summary.add_step(pipe.pronation.mli[i], pipe.pronation.cpei[i])
        if not pipe.wear.sub:  # the wear timer just closed a second: the same clock for both
            self._second()
        return event

    def at_second(self):
        """True between two samples at a whole second (before the first one too)."""
        return not self.pipeline.wear.sub

    def on_foot(self):
        """Loaded within the last ON_FOOT_S seconds."""
        wear = self.pipeline.wear
        return wear.worn_today and wear.gap_s < ON_FOOT_S

    def _second(self):
        clock = self.clock
        if clock.tick():
            self.due |= DUE_ROLLOVER
        kind = self.alerts.tick(clock.second, self.pipeline.wear.worn_s, self.schedule.limit_s(), self.on_foot())
        if kind and self.buzz:
            self.buzz(kind)
        self.since_checkpoint += 1
        if self.since_checkpoint >= self.checkpoint_s:
            self.since_checkpoint = 0
            self.due |= DUE_CHECKPOINT

    def service(self, store=None):
        """Main loop: close the day and write the checkpoint that are due; returns
        the closed day's record bytes, or None."""
        closed = None
        if self.due & DUE_ROLLOVER:
            closed = self.close_day()
            if store:
                store.close_day(closed, self.checkpoint(), self.clock.second)
        elif self.due & DUE_CHECKPOINT and store:
            store.checkpoint(self.checkpoint(), self.clock.second)
        self.due = 0
        return closed

    def _fields(self):
        limit = self.schedule.limit_s()
        flags = 0
        if self.clock.unset:
            flags |= record.FLAG_CLOCK_UNSET
        if self.schedule.pain_today:
            flags |= record.FLAG_PAIN
        if self.schedule.advisory:
            flags |= record.FLAG_ADVISORY
        if limit == 0:
            flags |= record.FLAG_REST_DAY
        return {"limit_s": record.RECORD_NO_LIMIT if limit is None else limit, "alerts": self.alerts.fired_today,
                "cadence_x10": self.pipeline.gait.cadence_x10(), "pain": self.schedule.pain_today,
                "flags": flags, "health": self.pipeline.health}

    def checkpoint(self):
        """The open day as a PARTIAL record."""
        return self.summary.snapshot(self.seq, self.clock.day, self.pipeline.wear.worn_s, **self._fields())

    def close_day(self):
        """The rollover: the finished day's record bytes; the coach moves to the new day."""
        # the clock has already turned: the closed day is the one before
        fields = self._fields()
        closed = record.encode(self.summary.close(self.seq, self.clock.day - 1, self.pipeline.wear.worn_s, **fields))
        self.seq += 1
        self.schedule.end_day(self.pipeline.wear.worn_s)
        self.alerts.start_day()
        self.pipeline.start_day()
        self.summary.reset()
        self.since_checkpoint = 0
        return closed

    def report_pain(self, severity):
        """The wearer reports pain (1..10): roll the limit back, maybe raise the advisory."""
        result = self.schedule.report_pain(severity)
        wear_s = self.pipeline.wear.worn_s
        limit = self.schedule.limit_s()
        if result & ROLLED_BACK:
            self.alerts.notify(PAIN_ROLLBACK, self.clock.second, wear_s, limit)
        if result & ADVISED:
            self.alerts.notify(ADVISORY, self.clock.second, wear_s, limit)
            if self.buzz:
                self.buzz(ADVISORY)
        return result

    # -- what the BLE link asks (service.py); none of it runs in the per-sample path

    def set_schedule(self, preset, params):
        """A new break-in plan, from its first step; the pain hold and streak, today's
        pain and the advisory carry over (a plan change does not clear them)."""
        old = self.schedule
        new = Schedule(preset, **params)
        new.hold_days = old.hold_days
        new.pain_streak = old.pain_streak
        new.advisory = old.advisory
        new.pain_today = old.pain_today
        plan = {"preset": preset}
        plan.update(params)
        self.schedule = new
        self.plan = plan

    def zero_calibration(self):
        """Re-zero every channel (the foot unloaded) at the next sample, as at power-up."""
        self.pipeline.primed = False

    def factory_reset(self):
        """Forget the wearer: the standard plan from its first step, no pain or advisory,
        today's wear and steps, the queued alerts, the sensors' zero (taken again at the
        next sample). The clock and the record numbering go on."""
        self.plan = {"preset": "standard"}
        self.schedule = Schedule(**self.plan)
        scratch = [0] * EVENT_LEN
        while self.alerts.pop(scratch):
            pass
        self.alerts.start_day()
        self.pipeline.start_day()
        self.summary.reset()
        self.pipeline.primed = False

    def mli_today(self):
        """Today's median medial-lateral index so far, per-mille (0 before the first step)."""
        return self.summary.mli_median()

    def sensor_fault(self):
        """True while a channel is stuck high or without signal."""
        health = self.pipeline.health
        for ch in range(health.channels):
            if health.faulty(ch):
                return True
        return False
