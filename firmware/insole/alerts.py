"""Wear alerts: today's wear against today's limit, once a second.

    PRE_WARNING    wear reaches `pre_permille` of the limit (default 90 %)
    LIMIT_REACHED  wear reaches the limit (a rest day's limit 0: the first worn second)
    REPEAT         every `repeat_s` of further wear (default 15 min), at most
                   `max_repeats` (default 4) times a limit
    ADVISORY       the podiatrist advisory was raised (queued by `notify`)
    PAIN_ROLLBACK  a pain report dropped the limit (queued by `notify`; silent)

Nothing fires while the insole is off the foot (the caller's `on_foot`:
loaded within the last 60 s) or snoozed (`snooze`: `snooze_s` of wall
clock, default 30 min); an alert that fell due meanwhile fires when both end,
the most urgent one only. `ack` silences the repeats for the rest of the day.
A new limit (a pain rollback) gets its own pre-warning, limit and repeats.
With no limit (None) nothing fires.

Every alert is queued for the BLE link in a preallocated ring of
(seq, kind, day_second, wear_s, limit_s), limit_s RING_NO_LIMIT (-1) for none (on
the air the Status says STATUS_NO_LIMIT, an alert ALERT_NO_LIMIT, a record RECORD_NO_LIMIT).
seq rises by one per event and survives the day's rollover, so a gap in it
shows the ring overflowed (the oldest event is dropped). `tick` allocates
nothing.
"""
from array import array

NONE = 0
PRE_WARNING = 1
LIMIT_REACHED = 2
REPEAT = 3
ADVISORY = 4
PAIN_ROLLBACK = 5

EVENT_LEN = 5
RING_NO_LIMIT = -1


class AlertEngine:
    """Decides the alerts of one insole; the caller plays them and sends the events."""

    def __init__(self, pre_permille=900, repeat_s=15 * 60, max_repeats=4, snooze_s=30 * 60, ring=16):
        if not 0 < pre_permille < 1000:
            raise ValueError("pre_permille must be 1..999")
        if repeat_s <= 0 or snooze_s <= 0:
            raise ValueError("repeat_s and snooze_s must be > 0")
        if max_repeats < 0 or ring < 1:
            raise ValueError("max_repeats must be >= 0 and ring >= 1")
        self.pre_permille = pre_permille
        self.repeat_s = repeat_s
        self.max_repeats = max_repeats
        self.snooze_s = snooze_s
        self.events = array("i", [0] * (ring * EVENT_LEN))
        self.size = ring
        self.head = 0
        self.count = 0
        self.seq = 0
        self.start_day()

    def to_ints(self):
        """Today's alert state as ints: what fired, the acknowledgement, the snooze, the
        event numbering. The queued events are not kept: the link sends them at once."""
        return (self.fired_today, int(self.acked), self.snoozed_until, self.limit, int(self.pre_fired),
                int(self.limit_fired), self.repeats, self.repeat_at, self.seq)

    def load(self, ints):
        """Continue from `to_ints()` (after a reset)."""
        if len(ints) != 9:
            raise ValueError("alert state: %d values, expected 9" % len(ints))
        fired_today, acked, snoozed_until, limit, pre, fired, repeats, repeat_at, seq = ints
        self._new_limit(None if limit == RING_NO_LIMIT else limit)
        self.fired_today = fired_today
        self.acked = acked == 1
        self.snoozed_until = snoozed_until
        self.pre_fired = pre == 1
        self.limit_fired = fired == 1
        self.repeats = repeats
        self.repeat_at = repeat_at
        self.seq = seq

    def start_day(self):
        """Day rollover: forget today's alerts, acknowledgement and snooze."""
        self.fired_today = 0
        self.acked = False
        self.snoozed_until = 0
        self._new_limit(None)

    def _new_limit(self, limit_s):
        self.limit = RING_NO_LIMIT if limit_s is None else limit_s
        self.limit_at = max(self.limit, 1)
        self.pre_at = max(self.limit * self.pre_permille // 1000, 1)
        self.pre_fired = False
        self.limit_fired = False
        self.repeats = 0
        self.repeat_at = 0

    def tick(self, day_second, wear_s, limit_s, on_foot):
        """One second: returns the alert kind fired now, or NONE."""
        if limit_s is None:
            if self.limit != RING_NO_LIMIT:
                self._new_limit(None)
            return NONE
        if limit_s != self.limit:
            self._new_limit(limit_s)
        if not on_foot or day_second < self.snoozed_until:
            return NONE
        if wear_s >= self.limit_at:
            if not self.limit_fired:
                self.limit_fired = True
                self.pre_fired = True
                kind = LIMIT_REACHED
            elif self.acked or self.repeats >= self.max_repeats or wear_s < self.repeat_at:
                return NONE
            else:
                self.repeats += 1
                kind = REPEAT
            self.repeat_at = wear_s + self.repeat_s
        elif wear_s >= self.pre_at and not self.pre_fired:
            self.pre_fired = True
            kind = PRE_WARNING
        else:
            return NONE
        self.fired_today += 1
        self._queue(kind, day_second, wear_s, limit_s)
        return kind

    def ack(self):
        """The wearer acknowledged: no more repeats today."""
        self.acked = True

    def snooze(self, day_second):
        """The wearer snoozed: nothing fires for `snooze_s` from now."""
        self.snoozed_until = day_second + self.snooze_s

    def notify(self, kind, day_second, wear_s, limit_s):
        """Queue an ADVISORY or PAIN_ROLLBACK event (not counted in `fired_today`)."""
        if kind != ADVISORY and kind != PAIN_ROLLBACK:
            raise ValueError("notify takes ADVISORY or PAIN_ROLLBACK, not %d" % kind)
        self._queue(kind, day_second, wear_s, RING_NO_LIMIT if limit_s is None else limit_s)

    def _queue(self, kind, day_second, wear_s, limit_s):
        if self.count == self.size:
            self.head = (self.head + 1) % self.size
            self.count -= 1
        self.seq += 1
        i = (self.head + self.count) % self.size * EVENT_LEN
        events = self.events
        events[i] = self.seq
        events[i + 1] = kind
        events[i + 2] = day_second
        events[i + 3] = wear_s
        events[i + 4] = limit_s
        self.count += 1

    def pop(self, out):
        """Move the oldest event into `out` (EVENT_LEN ints); False when none is queued."""
        if not self.count:
            return False
        i = self.head * EVENT_LEN
        for j in range(EVENT_LEN):
            out[j] = self.events[i + j]
        self.head = (self.head + 1) % self.size
        self.count -= 1
        return True
