"""Boards: the hardware of one board family behind one small interface.

    board = Board(cfg)          cfg: the board config (firmware/config/*.json;
                                config.json on a board)
    board.sampler.start(notify=None)
                                sample every channel at cfg["fs_hz"]; after each
                                sample call notify(), or notify.set() when it is
                                an asyncio Event/ThreadSafeFlag
    board.sampler.stop()
    board.sampler.rate(hz)      sample at hz from now on: cfg["fs_hz"], or SLOW_HZ
                                while the insole is off the foot or still on it
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
    await board.wait_sample()   lets the other tasks run, and the CPU idle, until
                                the sampler has a sample (woken by its flag, not
                                polled)
    board.pace(device, store)   applies the power policy (insole/power.py) after
                                a drain: slow sampling off the foot or standing
                                still on it, deep sleep after an hour off it

Modules: esp32 (MicroPython: ESP32-S3, ESP32-C3), nrf52840_cp (CircuitPython:
XIAO nRF52840), sim (the unix port: recorded counts in virtual time).
`load(cfg)` builds the Board of the module a config names in "board_module";
`safe_boot()`, asked by main.py before it starts the firmware, says whether to
leave the board to the tools this boot.
"""
import asyncio
import os

from insole import power
from insole.compat import zeros

RING = 8
REF_SHIFT = 13  # the reference correction in Q13: within +-12.5 %, a count times it stays under 2**30
REF_MIN = 7168
REF_MAX = 9216
BATCH_HZ = 50  # the consumer is woken this often at full rate (two samples at 100 Hz), at most RING // 2 samples a wake
MUX_SELECT = 4  # a CD74HC4067: S0..S3 pick one of 16 inputs
RTC_VALID_AFTER = 1704067200  # 2024-01-01: an RTC before that holds no time
GRACE_MS = 60000  # clean running before the watchdog arms (config "watchdog_grace_ms")
SAFE_BOOT_FLAG = "safe_boot"  # insole_host/deploy.py --safe-boot writes it before a reset
WAKE_THROUGH_MUX = ("nrf52840_cp",)  # board modules whose deep sleep leaves the mux on the heel, woken by SIG


def _nothing():
    pass


try:
    Flag = asyncio.ThreadSafeFlag  # MicroPython: set() is safe from a timer callback
except AttributeError:
    class Flag(asyncio.Event):
        """CPython and CircuitPython: an Event that clears when a wait ends, as ThreadSafeFlag does."""

        async def wait(self):
            await super().wait()
            self.clear()


def wire(cfg, analog, output):
    """(inputs, select) of a config: one input per channel in "adc_pins", or a
    "mux" {"sig": pin, "select": [S0, S1, S2, S3]} and select outputs.

    `analog(pin)` makes the board's 16-bit input, `output(pin)` a select pin.
    """
    n = len(cfg["sensors"])
    mux = cfg.get("mux")
    if mux:
        if len(mux["select"]) != MUX_SELECT or n > 1 << MUX_SELECT:
            raise ValueError("config: mux: a mux has %d select pins and up to %d channels"
                             % (MUX_SELECT, 1 << MUX_SELECT))
        return [analog(mux["sig"])], [output(p) for p in mux["select"]]
    pins = cfg["adc_pins"]
    if len(pins) != n:
        raise ValueError("config: adc_pins: %d sensors but %d pins (more channels than pins need a mux)"
                         % (n, len(pins)))
    return [analog(p) for p in pins], None


def reference(cfg):
    """(mux input, counts) of the config's reference channel, or None: a mux's
    "reference": {"input": n, "counts": c}, a 3V3/2 divider on a spare input
    that reads c counts when the rail is at its nominal voltage."""
    mux = cfg.get("mux") or {}
    ref = mux.get("reference")
    if ref is None:
        return None
    n = len(cfg["sensors"])
    if not n <= ref["input"] < 1 << MUX_SELECT or not 0 < ref["counts"] < 65536:
        raise ValueError("config: mux.reference: needs a spare input %d..%d and counts 1..65535"
                         % (n, (1 << MUX_SELECT) - 1))
    return ref["input"], ref["counts"]


def wake_pin(cfg):
    """The pin a load on the heel (channel 0) wakes the board from deep sleep on:
    channel 0's own ADC pin, or a mux's SIG on a board that leaves the mux on the
    heel to sleep (WAKE_THROUGH_MUX); None when there is none, and then the
    config must not deep-sleep (power.sleep_after_s 0)."""
    mux = cfg.get("mux")
    if mux:
        pin = mux["sig"] if cfg["board_module"] in WAKE_THROUGH_MUX else None
    else:
        pin = (cfg.get("adc_pins") or [None])[0]
    sleep_s = power.Policy(cfg).sleep_after_s
    if pin is None and sleep_s:
        raise ValueError("config: power.sleep_after_s: %r, but this board has no heel pin to wake on%s; allowed 0"
                         % (sleep_s, " through a mux" if mux else ""))
    return pin


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

    `rate(hz)` slows the sampling to `hz` off the foot (the power policy's
    slow rate, one a second): each such sample stands for a whole second
    (Device.slow_second), so the core does one second's work per sample. With `reference` (mux input, nominal counts) every scan also
    reads that input and scales each channel by nominal / reading, so the
    counts follow the FSR rail's ratio, not the ADC's own reference (ESP32;
    corrections beyond +-12.5 % are clamped: a fault, not a sag). The producer
    notifies the consumer (sets `wake`, a Flag, unless
    start() is given a notify) once `batch` samples wait: about BATCH_HZ
    times a second at full rate, every sample at a slow one. A wake costs the
    scheduler as much as the core's work on a sample, so fewer wakes are a
    smaller CPU duty cycle.
    """

    def __init__(self, channels, inputs, select=None, size=RING, fs=100, reference=None):
        self.channels = channels
        self.reference = reference
        self.fs = fs
        self.hz = fs
        self.full_batch = max(1, min(fs // BATCH_HZ, size // 2))
        self.batch = self.full_batch
        self.wake = Flag()
        self.inputs = inputs
        self.select = select
        self.slots = [zeros("H", channels) for _ in range(size)]
        self.size = size
        self.dropped = 0
        self.missed = 0
        self._reported = 0
        self.running = False
        self._w = 0
        self._r = 0
        self._notify = _nothing

    def start(self, notify=None):
        notify = notify or self.wake
        self._notify = getattr(notify, "set", notify)
        self.running = True

    def rate(self, hz):
        """Sample at hz from now on (a board re-times its source: override, then call
        this). Slowed, each sample stands for a whole second (Device.slow_second)."""
        self.hz = hz
        self.batch = self.full_batch if hz == self.fs else 1

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
        waiting = w - self._r
        if waiting < 0:
            waiting += self.size
        if waiting >= self.batch:
            self._notify()

    def read(self, buf):
        """Fill `buf` with one reading of every channel."""
        inputs = self.inputs
        if self.select is None:
            for ch in range(self.channels):
                buf[ch] = inputs[ch].read_u16()
            return
        for ch in range(self.channels):
            buf[ch] = self.read_input(ch)
        if self.reference is not None:
            ref, counts = self.reference
            q = (counts << REF_SHIFT) // max(1, self.read_input(ref))
            q = REF_MIN if q < REF_MIN else REF_MAX if q > REF_MAX else q
            for ch in range(self.channels):
                c = buf[ch] * q >> REF_SHIFT
                buf[ch] = c if c < 65535 else 65535

    def read_input(self, n):
        """Mux input n's reading: switched to, settled, read."""
        s0, s1, s2, s3 = self.select
        s0.value(n & 1)
        s1.value(n >> 1 & 1)
        s2.value(n >> 2 & 1)
        s3.value(n >> 3)
        sig = self.inputs[0]
        sig.read_u16()  # thrown away: the first reading after a switch has not settled
        return sig.read_u16()

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


class Base:
    """What every board shares: the wait for a sample and the power policy.

    A board sets `sampler` and `policy` (insole.power.Policy of its config,
    through power_from), and, if its config lets it deep-sleep, defines
    `sleep()`: deep sleep until a load wakes it.
    """

    def power_from(self, cfg):
        self.policy = power.Policy(cfg)

    async def wait_sample(self):
        if not self.sampler.ready():
            await self.sampler.wake.wait()

    def pace(self, device, store):
        """After a drain: the sample rate of the policy's mode for the device;
        before deep sleep, the day's checkpoint (what the store keeps is all a
        reboot has)."""
        mode = self.policy.mode(device)
        if mode == power.SLEEP:
            device.changed()
            device.service(store)
            self.sleep()
            mode = power.FAST  # a board that wakes in place samples at full rate again
        hz = self.policy.hz(mode)
        if hz != self.sampler.hz:
            self.sampler.rate(hz)


def load(cfg):
    """The Board of a config, from the module its "board_module" names."""
    return __import__("boards." + cfg["board_module"], None, None, ("Board",)).Board(cfg)
