"""Vibration motor: one distinct buzz pattern per alert kind, played by an asyncio task.

The motor hangs on a transistor driven by PWM; the PWM object is injected:
anything with `duty_u16(value)` (ESP32: `machine.PWM(Pin(n), freq=200)`;
CircuitPython: `CircuitPWM(pwmio.PWMOut(board.Dn, frequency=200))`).

`play(kind)` queues a pattern and returns at once; `run()` is the one task
that plays the queue. Every duty is scaled by `max_permille` (the board
config's "motor_max_permille"): a 3 V motor fed from BAT+ (4.2 V full) runs at
700, so it never sees more than its rating on average. At most QUEUE patterns wait; a further one drops the
oldest. Nothing here sleeps synchronously, so sampling never waits on it.
"""
import asyncio

from insole.alerts import ADVISORY, LIMIT_REACHED, PRE_WARNING, REPEAT

try:
    sleep_ms = asyncio.sleep_ms
except AttributeError:
    def sleep_ms(ms):
        """CPython's asyncio has no sleep_ms."""
        return asyncio.sleep(ms / 1000)

QUEUE = 4
GAP_MS = 600

_DOT = (1000, 150)
_DASH = (1000, 450)
_SPACE = (0, 150)
_LETTER = (0, 450)

# (duty_permille, ms) steps per alert kind; the motor is off after each pattern for GAP_MS.
PATTERNS = {
    PRE_WARNING: ((500, 150), (0, 150), (500, 150)),
    LIMIT_REACHED: ((1000, 600), (0, 300), (1000, 600), (0, 300), (1000, 600)),
    REPEAT: ((1000, 1000),),
    ADVISORY: (_DOT, _SPACE, _DOT, _SPACE, _DOT, _LETTER,
               _DASH, _SPACE, _DASH, _SPACE, _DASH, _LETTER,
               _DOT, _SPACE, _DOT, _SPACE, _DOT),
}


def duty_u16(permille):
    """Per-mille duty as the 0..65535 of `duty_u16`."""
    return permille * 65535 // 1000


class CircuitPWM:
    """CircuitPython: a `pwmio.PWMOut` seen through machine.PWM's `duty_u16`."""

    def __init__(self, pwm_out):
        self.pwm_out = pwm_out

    def duty_u16(self, value):
        self.pwm_out.duty_cycle = value


class Motor:
    """The buzz queue and its player; `sleep` is injectable for tests."""

    def __init__(self, pwm, sleep=sleep_ms, max_permille=1000):
        if not 0 < max_permille <= 1000:
            raise ValueError("config: motor_max_permille: %r; allowed 1..1000" % (max_permille,))
        self.pwm = pwm
        self.sleep = sleep
        self.max_permille = max_permille
        self.queue = bytearray(QUEUE)
        self.head = 0
        self.count = 0
        self.playing = False
        self.abort = False
        self.wake = asyncio.Event()
        pwm.duty_u16(0)

    def play(self, kind):
        """Queue the pattern of `kind`; False (nothing queued) for a silent kind."""
        if kind not in PATTERNS:
            return False
        if self.count == QUEUE:
            self.head = (self.head + 1) % QUEUE
            self.count -= 1
        self.queue[(self.head + self.count) % QUEUE] = kind
        self.count += 1
        self.wake.set()
        return True

    def stop(self):
        """Motor off now; drop the queue and the pattern playing."""
        self.count = 0
        self.abort = True
        self.pwm.duty_u16(0)

    def idle(self):
        """True when nothing plays or waits."""
        return not self.playing and not self.count

    async def run(self):
        """The player task: runs for ever."""
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.count:
                kind = self.queue[self.head]
                self.head = (self.head + 1) % QUEUE
                self.count -= 1
                self.playing = True
                self.abort = False
                await self._pattern(PATTERNS[kind])
                self.playing = False

    async def _pattern(self, steps):
        for permille, ms in steps:
            self.pwm.duty_u16(duty_u16(permille * self.max_permille // 1000))
            await self.sleep(ms)
            if self.abort:
                return
        self.pwm.duty_u16(0)
        await self.sleep(GAP_MS)
