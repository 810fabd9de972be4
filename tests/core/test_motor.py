"""Vibration motor: patterns per alert kind, the queue, stop, never blocking, CircuitPython PWM."""
import asyncio
import time

from edge.motor import GAP_MS, PATTERNS, QUEUE, CircuitPWM, Motor, duty_u16, sleep_ms
from insole.alerts import ADVISORY, LIMIT_REACHED, PAIN_ROLLBACK, PRE_WARNING, REPEAT
from sim.motor import RecordingPWM

FULL = 65535


class VirtualClock:
    """Milliseconds that pass only when the motor sleeps; each sleep still yields."""

    def __init__(self):
        self.ms = 0

    def __call__(self):
        return self.ms

    async def sleep(self, ms):
        self.ms += ms
        await asyncio.sleep(0)


def now_ms():
    """A real millisecond clock on either interpreter."""
    if hasattr(time, "ticks_ms"):
        return time.ticks_ms()
    return time.monotonic_ns() // 1000000


def with_motor(body, pwm=None, clock=None, before_run=None):
    """Run `body(motor)` beside the motor's player task on the virtual clock."""
    clock = clock or VirtualClock()
    pwm = pwm or RecordingPWM(clock)
    motor = Motor(pwm, sleep=clock.sleep)
    if before_run:
        before_run(motor)

    async def main():
        player = asyncio.create_task(motor.run())
        try:
            await body(motor)
        finally:
            player.cancel()
            await asyncio.sleep(0)

    asyncio.run(main())
    return pwm


async def until_idle(motor):
    await asyncio.sleep(0)
    while not motor.idle():
        await asyncio.sleep(0)


def pulses(changes):
    """[(duty, on_ms)] of the motor-on stretches of a recording."""
    out = []
    for i in range(len(changes) - 1):
        t, duty = changes[i]
        if duty:
            out.append((duty, changes[i + 1][0] - t))
    return out


def played(*kinds):
    async def body(motor):
        for kind in kinds:
            motor.play(kind)
        await until_idle(motor)
    return with_motor(body).changes


def test_pre_warning_is_two_short_soft_pulses():
    half = duty_u16(500)
    assert played(PRE_WARNING) == [(0, half), (150, 0), (300, half), (450, 0)]


def test_each_kind_has_its_own_pattern():
    dot, dash = (FULL, 150), (FULL, 450)
    assert pulses(played(LIMIT_REACHED)) == [(FULL, 600)] * 3
    assert pulses(played(REPEAT)) == [(FULL, 1000)]
    assert pulses(played(ADVISORY)) == [dot] * 3 + [dash] * 3 + [dot] * 3
    shapes = [pulses(played(kind)) for kind in PATTERNS]
    for i in range(len(shapes)):
        for j in range(i):
            assert shapes[i] != shapes[j]


def test_the_board_cap_scales_every_duty_and_keeps_the_timing():
    clock = VirtualClock()
    pwm = RecordingPWM(clock)

    async def body(motor):
        for kind in (LIMIT_REACHED, PRE_WARNING):
            motor.play(kind)
        await until_idle(motor)

    async def run():
        motor = Motor(pwm, sleep=clock.sleep, max_permille=700)
        player = asyncio.create_task(motor.run())
        await body(motor)
        player.cancel()
        await asyncio.sleep(0)

    asyncio.run(run())
    on = pulses(pwm.changes)
    assert on == [(duty_u16(700), 600)] * 3 + [(duty_u16(350), 150)] * 2
    assert max(d for _, d in pwm.changes) == duty_u16(700) < FULL
    for bad in (0, 1001):
        try:
            Motor(RecordingPWM(clock), max_permille=bad)
        except ValueError as e:
            assert "motor_max_permille" in str(e)
        else:
            raise AssertionError("accepted %d" % bad)


def test_patterns_follow_each_other_after_a_gap():
    changes = played(REPEAT, PRE_WARNING)
    assert changes[1] == (1000, 0)
    assert changes[2] == (1000 + GAP_MS, duty_u16(500))


def test_a_pain_rollback_is_silent():
    clock = VirtualClock()
    motor = Motor(RecordingPWM(clock), sleep=clock.sleep)
    assert not motor.play(PAIN_ROLLBACK)
    assert motor.idle() and motor.pwm.changes == []


def test_a_full_queue_drops_the_oldest():
    kinds = (PRE_WARNING, LIMIT_REACHED, REPEAT, ADVISORY, PRE_WARNING, REPEAT)

    def queue_all(motor):
        for kind in kinds:
            motor.play(kind)

    async def body(motor):
        await until_idle(motor)

    changes = with_motor(body, before_run=queue_all).changes
    expected = []
    for kind in kinds[-QUEUE:]:
        expected += [(duty_u16(p), ms) for p, ms in PATTERNS[kind] if p]
    assert pulses(changes) == expected


def test_stop_turns_the_motor_off_and_drops_the_queue():
    clock = VirtualClock()

    async def body(motor):
        motor.play(ADVISORY)
        motor.play(LIMIT_REACHED)
        while clock.ms < 1300:  # inside the advisory's first dash (1200..1650 ms)
            await asyncio.sleep(0)
        assert motor.pwm.duty == FULL
        motor.stop()
        assert motor.pwm.duty == 0
        await until_idle(motor)
        for _ in range(20):
            await asyncio.sleep(0)

    pwm = with_motor(body, clock=clock)
    assert pwm.duty == 0
    assert len(pulses(pwm.changes)) == 4  # three dots and the cut dash, no limit pattern
    assert pwm.changes[-1] == (1650, 0)


def test_play_returns_at_once_and_a_concurrent_task_keeps_ticking():
    async def body():
        pwm = RecordingPWM(now_ms)
        motor = Motor(pwm)
        player = asyncio.create_task(motor.run())
        start = now_ms()
        motor.play(REPEAT)  # a one-second pulse
        assert pwm.duty == 0  # queued, not played inside play()
        ticks = 0
        while ticks < 20:  # 200 ms of 10 ms ticks while the pulse plays
            await sleep_ms(10)
            ticks += 1
        on = pwm.duty
        elapsed = now_ms() - start
        motor.stop()
        player.cancel()
        await asyncio.sleep(0)
        return on, elapsed, pwm.changes

    on, elapsed, changes = asyncio.run(body())
    assert on == FULL
    assert elapsed < 1000
    assert [duty for _, duty in changes] == [FULL, 0]
    assert changes[1][0] - changes[0][0] < 1000  # stop() cut the pulse short


class FakePWMOut:
    """pwmio.PWMOut's duty_cycle property, remembering each value set."""

    def __init__(self):
        self.values = []

    @property
    def duty_cycle(self):
        return self.values[-1] if self.values else 0

    @duty_cycle.setter
    def duty_cycle(self, value):
        self.values.append(value)


def test_circuitpython_adapter_drives_duty_cycle():
    out = FakePWMOut()

    async def body(motor):
        motor.play(PRE_WARNING)
        await until_idle(motor)

    with_motor(body, pwm=CircuitPWM(out))
    half = duty_u16(500)
    assert out.values == [0, half, 0, half, 0]
    assert out.duty_cycle == 0
