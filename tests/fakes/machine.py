"""A fake `machine` for the board tests (never on a board's path).

ADC, Pin, PWM, Timer and WDT remember what the board module did to them; a
test sets what the ADCs read and fires the timer. `read_u16`, `Pin.value` and
`Timer.fire` allocate nothing, so the sampling path can be measured.
"""


class Pin:
    IN = 1
    OUT = 3

    def __init__(self, id, mode=-1, value=None):
        self.id = id
        self.mode = mode
        self.v = value

    def value(self, v=None):
        if v is None:
            return self.v
        self.v = v


class ADC:
    """Reads `level`, or `source()` when a test sets one; `uv` for read_uv()."""

    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3

    def __init__(self, pin, atten=ATTN_0DB):
        self.pin = pin
        self.atten = atten
        self.level = 0
        self.uv = 0
        self.source = None
        self.reads = 0

    def read_u16(self):
        self.reads += 1
        if self.source is None:
            return self.level
        return self.source()

    def read_uv(self):
        return self.uv


class PWM:
    """`duties` lists every duty_u16 set after construction."""

    def __init__(self, pin, freq=None, duty_u16=None):
        self.pin = pin
        self.freq = freq
        self.duty = duty_u16
        self.duties = []

    def duty_u16(self, value=None):
        if value is None:
            return self.duty
        self.duty = value
        self.duties.append(value)


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id):
        self.id = id
        self.mode = None
        self.freq = None
        self.callback = None

    def init(self, mode=1, freq=None, period=None, callback=None):
        self.mode = mode
        self.freq = freq
        self.callback = callback

    def deinit(self):
        self.callback = None

    def fire(self, n=1):
        """The timer's period elapsing n times."""
        i = 0
        while i < n:
            self.callback(self)
            i += 1


class WDT:
    """`WDT.made` lists every watchdog started."""

    made = []

    def __init__(self, id=0, timeout=5000):
        self.timeout = timeout
        self.feeds = 0
        WDT.made.append(self)

    def feed(self):
        self.feeds += 1


class RTC:
    """The real-time clock: `RTC.now` is what `datetime()` was last set to (one clock per board)."""

    now = None

    def datetime(self, value=None):
        if value is None:
            return RTC.now
        RTC.now = tuple(value)


def lightsleep(ms=None):
    raise AssertionError("machine.lightsleep drops BLE connections on the ESP32 (micropython issue #6396)")


class _Power:
    """What the board asked of the chip's clock and sleep."""

    hz = 160000000
    slept = []


def freq(hz=None):
    if hz is None:
        return _Power.hz
    _Power.hz = hz


def deepsleep(ms=None):
    """A real board resets on waking; the fake records the call and returns."""
    _Power.slept.append(ms)
