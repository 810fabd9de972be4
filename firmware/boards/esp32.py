"""ESP32-S3 and ESP32-C3 under MicroPython: the board config's pins through `machine`.

FSRs on ADC1 pins only (ADC2 is shared with the radio), each read directly or
through a CD74HC4067 ("mux": the C3 has 5 ADC1 pins; a spare mux input can
carry a 3V3/2 reference, which makes the readings ratiometric, see
boards.Sampler). Attenuation 11 dB: full
scale is about 3.1 V on the S3 and 2.5 V on the C3, not 3.3 V
(hardware/divider.md); `read_u16()` scales the 12-bit reading to 16 bits.

The sampler is a hardware `machine.Timer` at fs_hz (a virtual one, id -1,
would tick with the RTOS, every 10 ms). On the ESP32 port its callback is soft:
the interrupt schedules it as `micropython.schedule` would, so it may read
the ADC. It allocates nothing: the bound method was made once, when the
timer was set up, and each call fills the next preallocated slot, then sets
the sampler's ThreadSafeFlag, which wakes the sampling task.

A soft callback is lost when the scheduler's queue is full (a long flash
write holds the interpreter): the port drops it without a trace. So the
callbacks that ran are counted and compared with the ticks due by `ticks_ms`
(the same crystal); a tick more than SLACK behind is counted as missed.

The CPU runs at cfg["cpu_mhz"] (80 by default: the sampling path needs a few
per cent of it, and the idle current falls with the clock). Off the foot the
timer slows to the power policy's rate; after an hour off the foot the board
deep-sleeps, woken (a reset) by a load on the heel FSR, whose ADC pin is an
RTC GPIO on direct wiring. Through a mux (the C3) the heel has no pin of its
own to wake on, so such a config must set power.sleep_after_s to 0: it only
samples slowly off the foot.
"""
import asyncio
import time

import esp32
import machine
from machine import ADC, PWM, RTC, WDT, Pin, Timer

import boards
from edge.clock import ticks_add, ticks_diff, ticks_ms

SLACK = 2  # ticks: the timer's phase against ticks_ms, and one callback pending
TICK_MASK = (1 << 24) - 1  # the callback count wraps here, a small int on every port
TICK_HALF = 1 << 23


_EPOCH = 946684800 if time.gmtime(0)[0] == 2000 else 0  # unix seconds at the port's epoch


def _adc(pin):
    return ADC(Pin(pin), atten=ADC.ATTN_11DB)


def _select(pin):
    return Pin(pin, Pin.OUT, value=0)


class Sampler(boards.Sampler):
    """Samples on hardware timer cfg["timer"] (default 0)."""

    def __init__(self, cfg):
        inputs, select = boards.wire(cfg, _adc, _select)
        super().__init__(len(cfg["sensors"]), inputs, select, fs=cfg["fs_hz"], reference=boards.reference(cfg))
        self.timer = Timer(cfg.get("timer", 0))
        self.ticks_ms = ticks_ms
        self.fired = 0  # producer: callbacks run, modulo TICK_MASK + 1
        self._t0 = 0  # consumer: the window's start (ms), and the callbacks due by then
        self._f0 = 0

    def start(self, notify=None):
        super().start(notify)
        self.count_from_now()
        self.timer.init(mode=Timer.PERIODIC, freq=self.hz, callback=self.sample)

    def rate(self, hz):
        super().rate(hz)
        if self.running:
            self.count_from_now()
            self.timer.init(mode=Timer.PERIODIC, freq=hz, callback=self.sample)

    def count_from_now(self):
        """Start counting missed ticks afresh: at start(), and whenever fs changes."""
        self._t0 = self.ticks_ms()
        self._f0 = self.fired

    def sample(self, _source=None):
        """The timer's callback: counted, then one sample into the ring."""
        self.fired = (self.fired + 1) & TICK_MASK
        boards.Sampler.sample(self)

    def newly_lost(self):
        self._count_missed()
        return super().newly_lost()

    def _count_missed(self):
        """Ticks due by ticks_ms that never called back, since start(). The window
        moves on by whole seconds (fs ticks each), so the numbers stay small."""
        if not self.running:
            return
        elapsed = ticks_diff(self.ticks_ms(), self._t0)
        ran = ((self.fired - self._f0 + TICK_HALF) & TICK_MASK) - TICK_HALF
        behind = elapsed * self.hz // 1000 - ran
        if behind > SLACK:
            self.missed += behind - SLACK
            self._f0 = (self._f0 - (behind - SLACK)) & TICK_MASK  # counted once
        if elapsed >= 1000:
            seconds = elapsed // 1000
            self._t0 = ticks_add(self._t0, seconds * 1000)
            self._f0 = (self._f0 + seconds * self.hz) & TICK_MASK

    def stop(self):
        self.timer.deinit()
        super().stop()


class Board(boards.Base):
    """One ESP32 insole: sampler, motor PWM, battery sense, watchdog, power."""

    fs = None

    def __init__(self, cfg):
        self.cpu_hz = cfg.get("cpu_mhz", 80) * 1000000
        machine.freq(self.cpu_hz)
        self.sampler = Sampler(cfg)
        self.power_from(cfg)
        self.wake_pin = boards.wake_pin(cfg)  # the heel's ADC pin; none through a mux
        self.motor_pwm = PWM(Pin(cfg["motor_pin"]), freq=cfg.get("motor_hz", 200), duty_u16=0)
        self.battery = _adc(cfg["battery_pin"])
        top, bottom = cfg["battery_divider_kohm"]
        self.divider = (top + bottom, bottom)
        self.watchdog_ms = cfg.get("watchdog_ms", 8000)
        self.grace = boards.Grace(cfg.get("watchdog_grace_ms", boards.GRACE_MS), ticks_ms, ticks_diff)
        self.wdt = None

    def battery_mv(self):
        """Through the divider; read_uv() is calibrated against the chip's eFuse reference."""
        total, bottom = self.divider
        return self.battery.read_uv() * total // (bottom * 1000)

    def rtc_unix(self):
        """The RTC keeps counting through a reset (not through a power cut)."""
        now = time.time() + _EPOCH
        return now if now >= boards.RTC_VALID_AFTER else None

    def set_rtc(self, unix_s):
        y, mo, d, h, mi, s, wd, _ = time.gmtime(unix_s - _EPOCH)
        RTC().datetime((y, mo, d, wd, h, mi, s, 0))

    def feed_watchdog(self):
        """Feeds the watchdog, armed (it cannot be stopped) once the grace period is over."""
        if self.wdt is None:
            if not self.grace.over():
                return
            self.wdt = WDT(timeout=self.watchdog_ms)
        self.wdt.feed()

    async def idle_ms(self, ms):
        # Never machine.lightsleep() here: on the ESP32 it drops BLE connections
        # (micropython issue #6396). While every task waits, asyncio blocks in
        # the RTOS, which idles the CPU and keeps the radio up.
        await asyncio.sleep_ms(ms)

    def sleep(self):
        """Deep sleep until the heel is loaded (its divider above the pin's
        logic high); waking is a reset."""
        self.sampler.stop()
        self.motor_pwm.duty_u16(0)
        esp32.wake_on_ext1(pins=(Pin(self.wake_pin),), level=esp32.WAKEUP_ANY_HIGH)
        machine.deepsleep()
