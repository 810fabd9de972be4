"""Boards: the hardware of one board family behind one small interface.

    board = Board(cfg)          cfg: the board config (firmware/config/*.json;
                                config.json on a board)
    board.sampler.start(notify=None)
                                sample every channel at cfg["fs_hz"]; after each
                                sample call notify(), or notify.set() when it is
                                an asyncio Event/ThreadSafeFlag
    board.sampler.stop()
    board.sampler.rate(hz)      sample at hz from now on: cfg["fs_hz"], or REST_HZ
                                while the insole is off the foot
    board.sampler.ready()       True while a sample waits
    board.sampler.take()        the oldest sample: an array("H") of 16-bit counts,
                                one per channel, valid until the next take();
                                None when none waits. Allocates nothing.
    board.sampler.dropped       samples lost to a full ring
    board.sampler.missed        timer ticks that never ran (counted against the
                                port's ticks_ms clock)
    board.sampler.newly_lost()  samples lost (dropped or missed) since the last call:
                                the main loop passes them to Device.skip
    board.motor_pwm             the vibration motor: an object with duty_u16(v)
    board.battery_mv()          the battery's voltage in mV
    board.rtc_unix()            the real-time clock in unix seconds, or None when it
                                holds no time (never set, or lost with the power)
    board.set_rtc(unix_s)       set it (the host's time sync)
    board.fs                    the flash for the store: None, the port's own through os
    board.feed_watchdog()       feeds the watchdog, which arms once the firmware has
                                fed it for a grace period of clean running
    await board.idle_ms(ms)     lets the other tasks run, and the CPU idle, for ms

Modules: esp32 (MicroPython: ESP32-S3, ESP32-C3), nrf52840_cp (CircuitPython:
XIAO nRF52840), sim (the unix port: recorded counts in virtual time).
`load(cfg)` builds the Board of the module a config names in "board_module";
`safe_boot()`, asked by main.py before it starts the firmware, says whether to
leave the board to the tools this boot.
"""
import os

from insole.compat import zeros

RING = 8
MUX_SELECT = 4  # a CD74HC4067: S0..S3 pick one of 16 inputs
REST_HZ = 1     # off the foot: one sample a second, until a load appears
RTC_VALID_AFTER = 1704067200  # 2024-01-01: an RTC before that holds no time
GRACE_MS = 60000  # clean running before the watchdog arms (config "watchdog_grace_ms")
SAFE_BOOT_FLAG = "safe_boot"  # tools/deploy.py --safe-boot writes it before a reset


def _nothing():
    pass


def wire(cfg, analog, output):
    """(inputs, select) of a config: one input per channel in "adc_pins", or a
    "mux" {"sig": pin, "select": [S0, S1, S2, S3]} and select outputs.

    `analog(pin)` makes the board's 16-bit input, `output(pin)` a select pin.
    """
    n = len(cfg["sensors"])
    mux = cfg.get("mux")
    if mux:
        if len(mux["select"]) != MUX_SELECT or n > 1 << MUX_SELECT:
            raise ValueError("config: a mux has %d select pins and up to %d channels" % (MUX_SELECT, 1 << MUX_SELECT))
        return [analog(mux["sig"])], [output(p) for p in mux["select"]]
    pins = cfg["adc_pins"]
    if len(pins) != n:
        raise ValueError("config: %d sensors but %d adc_pins (more channels than pins need a mux)" % (n, len(pins)))
    return [analog(p) for p in pins], None


class Sampler:
    """The ring of preallocated samples every board shares, and the read of one sample.

    The producer (a timer callback or a task) calls `sample()`, the consumer
    `ready()` and `take()`. Each side writes only its own index, so a callback
    that runs between two bytecodes of the consumer is safe. The ring holds
    `size` - 1 waiting samples and the one taken last, which stays untouched
    until the next take(); a sample due while the ring is full is dropped.

    `inputs` read 16-bit counts (`read_u16()`): one per channel, or with
    `select` (objects with `value(bit)` on a CD74HC4067's S0..S3) the one SIG
    input that channel n is switched to.
    """

    def __init__(self, channels, inputs, select=None, size=RING):
        self.channels = channels
        self.inputs = inputs
        self.select = select
        self.slots = [zeros("H", channels) for _ in range(size)]
        self.size = size
        self.hz = 0
        self.dropped = 0
        self.missed = 0
        self._reported = 0
        self.running = False
        self._w = 0
        self._r = 0
        self._notify = _nothing

    def start(self, notify=None):
        self._notify = getattr(notify, "set", notify) or _nothing
        self.running = True

    def rate(self, hz):
        """Sample at `hz` from now on (a board applies it to its timer)."""
        self.hz = hz

    def stop(self):
        self.running = False

    def sample(self, _source=None):
        """Read one sample into the next free slot; a timer passes itself as `_source`."""
        w = self._w + 1
        if w == self.size:
            w = 0
        if w == self._r:
            self.dropped += 1
            return
        self.read(self.slots[self._w])
        self._w = w
        self._notify()

    def read(self, buf):
        """Fill `buf` with one reading of every channel."""
        inputs = self.inputs
        if self.select is None:
            for ch in range(self.channels):
                buf[ch] = inputs[ch].read_u16()
            return
        sig = inputs[0]
        s0, s1, s2, s3 = self.select
        for ch in range(self.channels):
            s0.value(ch & 1)
            s1.value(ch >> 1 & 1)
            s2.value(ch >> 2 & 1)
            s3.value(ch >> 3)
            sig.read_u16()  # thrown away: the first reading after a switch has not settled
            buf[ch] = sig.read_u16()

    def ready(self):
        return self._w != self._r

    def newly_lost(self):
        """Samples lost since the last call (consumer side): due, but dropped by a
        full ring or never sampled because their timer tick did not run."""
        lost = self.dropped + self.missed
        new = lost - self._reported
        self._reported = lost
        return new

    def take(self):
        r = self._r
        if r == self._w:
            return None
        self._r = r + 1 if r + 1 < self.size else 0
        return self.slots[r]


class Grace:
    """The watchdog's grace period: `over()` turns True once `ms` have passed since
    its first call. Until then a crash at boot, or the Ctrl-C of mpremote, leaves
    the board at its REPL instead of resetting it into the same fault."""

    def __init__(self, ms, ticks_ms, ticks_diff):
        self.ms = ms
        self.ticks_ms = ticks_ms
        self.ticks_diff = ticks_diff
        self.start = None

    def over(self):
        now = self.ticks_ms()
        if self.start is None:
            self.start = now
        return self.ticks_diff(now, self.start) >= self.ms


def safe_boot(flag=SAFE_BOOT_FLAG):
    """True when main.py must not start the firmware this boot, so mpremote finds
    the board at its REPL with no watchdog armed: the flag file the tools write
    before a reset (removed here, so it holds for one boot), or, on CircuitPython,
    a filesystem boot.py left writable to USB (the user pin was held at reset)."""
    try:
        os.stat(flag)
    except OSError:
        if _usb_owns_drive():
            print("safe boot: boot.py left CIRCUITPY writable over USB; reset to run the insole")
            return True
        return False
    try:
        os.remove(flag)
    except OSError:
        pass  # read-only to the firmware: the flag stays, and so does the safe boot
    print("safe boot: %s flag found; the insole does not run until the next reset" % flag)
    return True


def _usb_owns_drive():
    try:
        import storage  # CircuitPython
    except ImportError:
        return False  # MicroPython: the firmware always owns its filesystem
    return storage.getmount("/").readonly


def load(cfg):
    """The Board of a config, from the module its "board_module" names."""
    return __import__("boards." + cfg["board_module"], None, None, ("Board",)).Board(cfg)
