"""Break-in schedule: how long new insoles may be worn today.

A plan is a list of steps, each a daily wear limit in seconds; a limit of 0 is
a rest day (do not wear: the alerts fire on the first worn second). Past the
last step there is no limit, and `limit_s()` returns None. The schedule stands
on one step a day and moves only at the day's rollover (`end_day`) or on a
pain report (`report_pain`), by these rules:

| Today                                            | Effect                                        |
|--------------------------------------------------|-----------------------------------------------|
| within: worn <= 125 % of the limit               | next day one step up                          |
| well over: worn > 125 % of the limit             | next day on the same step                     |
| rest day (limit 0): not worn                     | within: next day one step up                  |
| rest day (limit 0): worn at all                  | well over: next day on the same step          |
| wear day, not worn, no pain report               | skipped: no step, no hold day, streak kept    |
| pain reported (1..10)                            | at once step 0 (start level) for the rest of  |
|                                                  | today and the next `pain_hold_days` (3) days  |
|                                                  | counted; the last of them may step up again   |
| pain reported on a day that began at step 0      | pain streak + 1 (pain at a higher step: 0)    |
| a counted day without pain                       | pain streak 0                                 |
| pain streak reaches `advisory_days` (3)          | sticky podiatrist advisory, until             |
|                                                  | `clear_advisory()`                            |
| no limit (past the last step)                    | stays there until a pain report               |

"Counted" days are days worn, rest days and pain days; a wear day nobody wore
does not count toward anything. The 25 % margin before a day is "well over"
absorbs the wear timer's bridged gaps and the walk home after the alert.

Presets (hours per step; 0 is a rest day; then no limit):

    standard  1 2 3 4 5 6 7 8 9 10
    gentle    1 2 0 3 5 0 7 9 0 10
    custom    start_s, start_s + step_s, ... up to cap_s (the last step is
              cap_s), with rest days at the step indices in `rest` or at
              every `rest_every`-th step (indices rest_every-1, 2*rest_every-1,
              ...). Step 0 is never a rest day; at most MAX_STEPS steps.
              Defaults: start_s=step_s=3600, cap_s=36000, no rest days.

Progress persists as `to_ints()`: VERSION, step, hold_days, pain_streak,
advisory, pain_today, each 0..255 so `bytes(s.to_ints())` stores it. The plan
(preset and parameters) is configuration, given again to `from_ints`.
"""

HOUR = 3600
DAY = 24 * HOUR
OVER_PCT = 125
MAX_STEPS = 255
MAX_PAIN = 10
VERSION = 1
STATE_LEN = 6

ROLLED_BACK = 1
ADVISED = 2

PRESETS = {
    "standard": tuple(h * HOUR for h in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)),
    "gentle": tuple(h * HOUR for h in (1, 2, 0, 3, 5, 0, 7, 9, 0, 10)),
}
CUSTOM_PARAMS = ("start_s", "step_s", "cap_s", "rest", "rest_every")


def custom_steps(start_s=HOUR, step_s=HOUR, cap_s=10 * HOUR, rest=(), rest_every=0):
    """The step limits of a custom plan; raises ValueError on a bad parameter."""
    if not 0 < start_s <= cap_s <= DAY:
        raise ValueError("custom plan: need 0 < start_s <= cap_s <= %d s" % DAY)
    if step_s <= 0:
        raise ValueError("custom plan: step_s must be > 0 s")
    if rest and rest_every:
        raise ValueError("custom plan: give rest or rest_every, not both")
    if rest_every < 0 or rest_every == 1:
        raise ValueError("custom plan: rest_every must be 0 (none) or >= 2")
    for i in rest:
        if i < 1:
            raise ValueError("custom plan: rest day index %d; step 0 must be a wear day" % i)
    steps = []
    level = start_s
    while True:
        i = len(steps)
        if i == MAX_STEPS:
            raise ValueError("custom plan: more than %d steps; raise step_s" % MAX_STEPS)
        if i in rest or (rest_every and (i + 1) % rest_every == 0):
            steps.append(0)
        else:
            steps.append(level)
            if level == cap_s:
                break
            level = min(level + step_s, cap_s)
    for i in rest:
        if i >= len(steps):
            raise ValueError("custom plan: rest day index %d past the last step %d" % (i, len(steps) - 1))
    return tuple(steps)


class Schedule:
    """One wearer's break-in plan and progress through it."""

    def __init__(self, preset="standard", pain_hold_days=3, advisory_days=3, **custom):
        if preset == "custom":
            for key in custom:
                if key not in CUSTOM_PARAMS:
                    raise ValueError("custom plan: unknown parameter %r (%s)" % (key, ", ".join(CUSTOM_PARAMS)))
            self.steps = custom_steps(**custom)
        elif preset not in PRESETS:
            raise ValueError("unknown preset %r: standard, gentle or custom" % preset)
        elif custom:
            raise ValueError("preset %s takes no plan parameters; use preset='custom'" % preset)
        else:
            self.steps = PRESETS[preset]
        if not 0 <= pain_hold_days <= 255:
            raise ValueError("pain_hold_days must be 0..255")
        if not 1 <= advisory_days <= 255:
            raise ValueError("advisory_days must be 1..255")
        self.preset = preset
        self.pain_hold_days = pain_hold_days
        self.advisory_days = advisory_days
        self.step = 0
        self.day_step = 0  # the step the day started on
        self.hold_days = 0
        self.pain_streak = 0
        self.advisory = False
        self.pain_today = 0

    def limit_s(self):
        """Today's wear limit in seconds (0: rest day), or None: no limit."""
        if self.step < len(self.steps):
            return self.steps[self.step]
        return None

    def planned_s(self):
        """Today's limit as planned at the day's start, before any pain rollback (0: rest
        day), or None: no limit."""
        if self.day_step < len(self.steps):
            return self.steps[self.day_step]
        return None

    def end_day(self, worn_s):
        """Day rollover: apply the rules to the day that just ended."""
        self._apply_rules(worn_s)
        self.day_step = self.step

    def _apply_rules(self, worn_s):
        if worn_s < 0:
            raise ValueError("worn_s must be >= 0")
        limit = self.limit_s()
        pain = self.pain_today
        self.pain_today = 0
        if pain or (worn_s == 0 and limit != 0):
            return
        self.pain_streak = 0
        if limit is None:
            return
        if self.hold_days:
            self.hold_days -= 1
            if self.hold_days:
                return
        if worn_s * 100 <= limit * OVER_PCT:
            self.step += 1

    def report_pain(self, severity):
        """Pain today (1..10): back to the start level and hold there.

        Returns a bit set: ROLLED_BACK when today's limit dropped, ADVISED when
        this report raised the podiatrist advisory.
        """
        if not 1 <= severity <= MAX_PAIN:
            raise ValueError("pain severity must be 1..%d" % MAX_PAIN)
        if not self.pain_today:
            self.pain_streak = min(self.pain_streak + 1, 255) if self.step == 0 else 0
        self.pain_today = max(self.pain_today, severity)
        self.hold_days = self.pain_hold_days
        result = ROLLED_BACK if self.step else 0
        self.step = 0
        if self.pain_streak >= self.advisory_days and not self.advisory:
            self.advisory = True
            result |= ADVISED
        return result

    def clear_advisory(self):
        """The explicit reset of the podiatrist advisory (and of the pain streak)."""
        self.advisory = False
        self.pain_streak = 0

    def describe(self, days=14):
        """[(day_index, limit_s)] for today (0) and the next days, if each is kept."""
        saved, day_step = self.to_ints(), self.day_step
        out = []
        for day in range(days):
            limit = self.limit_s()
            out.append((day, limit))
            self.end_day(1 if limit is None else limit)
        self._load(saved)
        self.day_step = day_step
        return out

    def to_ints(self):
        """Progress as STATE_LEN ints, each 0..255."""
        return (VERSION, self.step, self.hold_days, self.pain_streak, int(self.advisory), self.pain_today)

    @classmethod
    def from_ints(cls, ints, preset="standard", **params):
        """A schedule on the given plan with progress restored from `to_ints()`."""
        s = cls(preset, **params)
        s._load(ints)
        return s

    def _load(self, ints):
        if len(ints) != STATE_LEN:
            raise ValueError("schedule state: %d values, expected %d" % (len(ints), STATE_LEN))
        version, step, hold, streak, advisory, pain = ints
        if version != VERSION:
            raise ValueError("schedule state version %d; this firmware reads %d" % (version, VERSION))
        if not 0 <= step <= len(self.steps):
            raise ValueError("schedule state: step %d outside 0..%d of this plan" % (step, len(self.steps)))
        if not 0 <= hold <= 255 or (hold and step):
            raise ValueError("schedule state: hold_days %d (0..255, and only at step 0)" % hold)
        if not 0 <= streak <= 255:
            raise ValueError("schedule state: pain_streak %d outside 0..255" % streak)
        if advisory not in (0, 1):
            raise ValueError("schedule state: advisory %d is not 0 or 1" % advisory)
        if not 0 <= pain <= MAX_PAIN:
            raise ValueError("schedule state: pain_today %d outside 0..%d" % (pain, MAX_PAIN))
        self.step = step
        self.day_step = step
        self.hold_days = hold
        self.pain_streak = streak
        self.advisory = advisory == 1
        self.pain_today = pain
