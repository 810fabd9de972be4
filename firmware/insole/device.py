"""One insole: the per-sample pipeline and, once a second, the break-in coach.

`sample(counts)` is the per-sample path and allocates nothing: it feeds the
pipeline, counts each finished step into the day's summary and, once a
second, ticks the clock and the alert engine against today's limit. Work
that allocates or touches flash is left to the main loop, which calls
`service()` whenever `due` is set: closing the day at the rollover (the
record, and the schedule's move to tomorrow) and the day's checkpoint every
`checkpoint_s` (the board config's "checkpoint_s"), skipped when nothing but
the time changed, and at once after anything the wearer or the host changes.
The insole counts as off the foot once it has been unloaded for ON_FOOT_S, so
no alert fires on a shoe left on the shelf, and the board samples slowly (the
power policy asks `resting`, the same rule).

Two states let a board sample once a second (`slow_second`, each sample
standing for its whole second): off the foot (`resting`), and on the foot
but not stepping (`still`: standing or seated, no gait event for the power
policy's `still_after_s`) until the load moves by more than a quarter or
lifts. A step taken in the second that wakes it is not counted.

Everything the coach knows goes into each checkpoint beside the open day's
record, as `state()`: the plan and the position on it, the pain hold and
streak, the advisory, the clock and UTC offset, today's alerts,
acknowledgement and snooze, the calibration zeros; the store keeps the
numbering (the checkpoint's record, the log and its floor).
`restore(store)` brings all of it back after a reset or a power cut.
"""
import json

from insole import record
from insole.alerts import ADVISORY, EVENT_LEN, PAIN_ROLLBACK, AlertEngine
from insole.clock import Clock
from insole.gait import RING, TOE_OFF
from insole.pipeline import Pipeline
from insole.schedule import ADVISED, ROLLED_BACK, Schedule
from insole.clock import DAY_S

ON_FOOT_S = 60
STILL_CAP_S = 1 << 24  # quiet_s stops here: a small int on every board
CHECKPOINT_S = 300
LOST_MAX = (1 << 30) - 1  # samples_lost saturates here: a small int on a 32-bit board
STATE_VERSION = 1

DUE_CHECKPOINT = 1
DUE_ROLLOVER = 2


class Device:
    """Pipeline, schedule, alerts, clock and the day's summary of one insole.

    `buzz(kind)` plays an alert (the motor's `play`); `set_rtc(unix_s)` keeps
    the board's real-time clock with the time the host sets; `plan` is the
    schedule's preset and parameters, as a dict.
    """

    def __init__(self, cfg, plan=None, buzz=None, set_rtc=None):
        self.pipeline = Pipeline(cfg)
        if self.pipeline.channels > record.CHANNELS:
            raise ValueError("config: %d sensors, but the daily record carries the peaks and flags of %d"
                             % (self.pipeline.channels, record.CHANNELS))
        self.plan = dict(plan or {"preset": "standard"})
        self.schedule = Schedule(**self.plan)
        self.alerts = AlertEngine()
        self.clock = Clock()
        self.summary = record.DaySummary()
        self.buzz = buzz
        self.set_rtc = set_rtc
        self.checkpoint_s = cfg.get("checkpoint_s", CHECKPOINT_S)
        self.since_checkpoint = 0
        self.seq = 1
        self.due = 0
        self._written = None
        self.samples_lost = 0  # since power-up: samples the board never delivered (Device.skip), up to LOST_MAX
        self.quiet_s = 0  # loaded seconds in a row with no gait event
        self.still_dn = 0  # the load while `still` (0: not still)

    def sample(self, counts):
        """The per-sample path: one sample of 16-bit counts; returns the gait event."""
        pipe = self.pipeline
        event = pipe.feed(counts)
        if event:
            self.quiet_s = 0
            if event == TOE_OFF and pipe.pronation:
                i = (pipe.pronation.steps - 1) % RING
                self.summary.add_step(pipe.pronation.mli[i], pipe.pronation.cpei[i])
        if not pipe.wear.sub:  # the wear timer just closed a second: the same clock for both
            self._second()
        return event

    def skip(self, n):
        """`n` samples the board lost (a timer tick that never ran, a full ring): the
        wear timer and the clock go on through them as unloaded samples, so lost
        samples are not lost seconds (a short gap between loaded seconds is worn)."""
        self.samples_lost = LOST_MAX if n > LOST_MAX - self.samples_lost else self.samples_lost + n
        wear = self.pipeline.wear
        while n > 0:
            wear.update(0)
            if not wear.sub:
                self._second()
            n -= 1

    def at_second(self):
        """True between two samples at a whole second (before the first one too)."""
        return not self.pipeline.wear.sub

    def on_foot(self):
        """Loaded today, and within the last ON_FOOT_S seconds."""
        wear = self.pipeline.wear
        return wear.worn_today and wear.idle_s < ON_FOOT_S

    def seconds_to_midnight(self):
        """Seconds until the day closes (at local midnight, or at boot + 24 h unset)."""
        return DAY_S - self.clock.second

    def resting(self):
        """Off the foot, unloaded for ON_FOOT_S seconds (since boot or across a
        midnight too) and in this second: the board may sample once a second
        (`slow_second`) until a load appears (the part of a second sampled at
        fs_hz before is its start)."""
        pipe = self.pipeline
        wear = pipe.wear
        return pipe.primed and not wear.loaded and wear.idle_s >= ON_FOOT_S and not pipe.gait.stance

    def still(self, after_s):
        """On the foot but not stepping for `after_s` (standing or seated: loaded,
        no gait event, none pending): the board may sample once a second (`slow_second`)
        until the load moves; the load now is the one it must stay near."""
        if not self.still_dn:
            pipe = self.pipeline
            gait = pipe.gait
            if (not after_s or self.quiet_s < after_s or gait.onset >= 0 or gait.valid or not pipe.primed
                    or pipe.raw_total < pipe.wear.loaded_dn):
                return False
            self.still_dn = pipe.raw_total
        return True

    def slow_second(self, counts):
        """One sample standing for a whole second, while `resting()` or `still()`.
        A load off the foot, or a still load that moved by more than a quarter or
        lifted, ends both (so does a zero to take): the board goes back to `fs_hz`."""
        pipe = self.pipeline
        if not pipe.primed:
            return
        total = pipe.total(counts)
        loaded = total >= pipe.wear.loaded_dn
        pipe.wear.rest_second(loaded)
        self._second()
        still = self.still_dn
        if still:
            stay = loaded and -(still >> 2) <= total - still <= still >> 2
        else:
            stay = not loaded
        if not stay:
            self.still_dn = 0
            self.quiet_s = 0  # the load appeared or moved: stepping, for all the board knows

    def _second(self):
        clock = self.clock
        if clock.tick():
            self.due |= DUE_ROLLOVER
        kind = self.alerts.tick(clock.second, self.pipeline.wear.worn_s, self.schedule.limit_s(), self.on_foot())
        if kind and self.buzz:
            self.buzz(kind)
        if self.pipeline.wear.idle_s:
            self.quiet_s = 0
        elif self.quiet_s < STILL_CAP_S:
            self.quiet_s += 1
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
                self._written = None
                opening = self.checkpoint()
                store.close_day(closed, opening, self._state_bytes(opening))
        elif self.due & DUE_CHECKPOINT and store:
            data = self.checkpoint()
            state = self._state_bytes(data)
            if state is not None:
                store.checkpoint(data, state)
        self.due = 0
        return closed

    def changed(self):
        """Something the wearer or the host changed: written at the next `service()`."""
        self.due |= DUE_CHECKPOINT

    def state(self):
        """Everything the coach knows beyond the open day's record, as a dict of ints and lists."""
        return {"v": STATE_VERSION, "plan": self.plan, "schedule": list(self.schedule.to_ints()),
                "clock": list(self.clock.to_ints()), "alerts": list(self.alerts.to_ints()),
                "zeros": list(self.pipeline.calibration.zero_q4) if self.pipeline.settled else None}

    def _state_bytes(self, checkpoint):
        """The state to write beside `checkpoint`; None when neither changed but for the time."""
        state = self.state()
        data = json.dumps(state).encode()
        state["clock"][2] = 0  # the time and the zeros' slow drift alone are no reason to write
        state["zeros"] = state["zeros"] is not None
        key = bytes(checkpoint[:-4]) + json.dumps(state).encode()
        if key == self._written:
            return None
        self._written = key
        return data

    def restore(self, store, rtc_unix=None):
        """Come back after a reset or a power cut from what the store kept: the open
        day's record and the state beside it. `rtc_unix` is the board's real-time
        clock (None: it has none, or lost its time); a clock that was set takes it."""
        checkpoint = store.recover()
        self.seq = store.open_seq
        if store.state:
            self._load_state(json.loads(store.state))
        if checkpoint:
            fields = self.summary.restore(checkpoint)
            self.pipeline.wear.worn_s = fields["wear_s"]
        clock = self.clock
        if rtc_unix is not None and not clock.unset:
            if clock.local_day(rtc_unix) == clock.day:
                clock.set(rtc_unix, clock.utc_offset_min)
            elif clock.local_day(rtc_unix) > clock.day:
                clock.second = DAY_S - 1  # the board was off over midnight: the open day closes now
        self._written = None

    def _load_state(self, state):
        if state.get("v") != STATE_VERSION:
            raise ValueError("device state version %r; this firmware reads %d" % (state.get("v"), STATE_VERSION))
        self.plan = state["plan"]
        self.schedule = Schedule.from_ints(state["schedule"], **self.plan)
        self.clock.load(state["clock"])
        self.alerts.load(state["alerts"])
        zeros = state["zeros"]
        if zeros:
            self.pipeline.calibration.load_zero(zeros)
            self.pipeline.primed = self.pipeline.settled = True

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
        return {"limit_s": record.RECORD_NO_LIMIT if limit is None else limit,
                "planned_s": self.schedule.planned_s() or 0, "alerts": self.alerts.fired_today,
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
        self.changed()
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
        self.changed()

    def set_time(self, unix_s, utc_offset_min):
        """The host's time: the clock, and the board's RTC so a reset keeps it."""
        self.clock.set(unix_s, utc_offset_min)
        if self.set_rtc:
            self.set_rtc(unix_s)
        self.changed()

    def ack_alert(self):
        self.alerts.ack()
        self.changed()

    def snooze(self):
        self.alerts.snooze(self.clock.second)
        self.changed()

    def zero_calibration(self):
        """Re-zero every channel (the foot unloaded) at the next sample, as at power-up."""
        self.pipeline.primed = False
        self.changed()

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
        self.changed()

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
