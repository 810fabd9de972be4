"""Seeed XIAO nRF52840 under CircuitPython: the board config's pins through
analogio, digitalio, pwmio and microcontroller (imported here, never in the core).

Pins are `board` names ("A0", "D6"). `AnalogIn.value` is 16-bit over about
0-3.3 V, so the whole divider range is usable. With 6 analog pins, 8 FSRs go
through a CD74HC4067 ("mux"). The battery is read on the board's own divider
(`board.VBATT`, 1 MOhm over 510 kOhm) with READ_BATT_ENABLE held low: Seeed
warns that driving it high with a battery connected can overvolt the pin.

CircuitPython has no timer callbacks: the sampler is an asyncio task that
keeps the cadence against adafruit_ticks, so start() must run inside the loop;
each sample sets the sampler's flag, which wakes the sampling task. Off the
foot the cadence slows to the power policy's rate; after an hour off the foot
the board deep-sleeps (System OFF) with the mux on the heel channel, and a
PinAlarm on SIG wakes it (a reset) when the heel's divider rises above the
pin's logic high.
"""
import alarm
import analogio
import asyncio
import board
import digitalio
import microcontroller
import pwmio
import rtc
import time
from adafruit_ticks import ticks_add, ticks_diff, ticks_ms
from watchdog import WatchDogMode

import boards
from edge.motor import CircuitPWM, sleep_ms

RESYNC_MS = 1000  # further behind than this (a long flash write), the cadence restarts from now


class AnalogU16:
    """An `AnalogIn` read as `machine.ADC` reads: `read_u16()`."""

    def __init__(self, name):
        self.pin = analogio.AnalogIn(getattr(board, name))

    def read_u16(self):
        return self.pin.value


class OutputPin:
    """A `DigitalInOut` output, low at first, set as `machine.Pin` is: `value(bit)`."""

    def __init__(self, name):
        self.pin = digitalio.DigitalInOut(getattr(board, name))
        self.pin.switch_to_output(value=False)

    def value(self, bit):
        self.pin.value = bit


class Sampler(boards.Sampler):
    """Samples from an asyncio task; `ticks_ms` and `sleep_ms` are injectable for tests."""

    def __init__(self, cfg):
        inputs, select = boards.wire(cfg, AnalogU16, OutputPin)
        super().__init__(len(cfg["sensors"]), inputs, select, fs=cfg["fs_hz"])
        self.ticks_ms = ticks_ms
        self.sleep_ms = sleep_ms
        self.task = None

    def start(self, notify=None):
        super().start(notify)
        self.task = asyncio.create_task(self._run())

    def stop(self):
        if self.task:
            self.task.cancel()
            self.task = None
        super().stop()

    async def _run(self):
        hz = self.hz
        start = self.ticks_ms()
        n = 0
        while True:
            self.sample()
            n += 1
            if n == hz:
                n = 0
                start = ticks_add(start, 1000)
            # the next sample is due at start + n / hz s
            wait = ticks_diff(ticks_add(start, n * 1000 // hz), self.ticks_ms())
            if wait < -RESYNC_MS or hz != self.hz:  # far behind, or a new rate: the cadence restarts from now
                if hz == self.hz:  # the samples due meanwhile are missed, and counted
                    self.missed += -wait * hz // 1000
                hz = self.hz
                start = self.ticks_ms()
                n = 1
                wait = 1000 // hz
            await self.sleep_ms(wait if wait > 0 else 0)


class Board(boards.Base):
    """One XIAO nRF52840 insole: sampler, motor PWM, battery sense, watchdog, power."""

    fs = None

    def __init__(self, cfg):
        self.sampler = Sampler(cfg)
        self.power_from(cfg)
        self.wake_pin = boards.wake_pin(cfg)  # the heel (channel 0): its pin, or the mux's SIG
        pwm = pwmio.PWMOut(getattr(board, cfg["motor_pin"]), frequency=cfg.get("motor_hz", 200), duty_cycle=0)
        self.motor_pwm = CircuitPWM(pwm)
        self.battery = analogio.AnalogIn(getattr(board, cfg["battery_pin"]))
        enable = cfg.get("battery_enable_pin")
        self.battery_enable = OutputPin(enable) if enable else None  # held low for good
        top, bottom = cfg["battery_divider_kohm"]
        self.divider = (top + bottom, bottom)
        self.reference_mv = int(self.battery.reference_voltage * 1000)
        # the divider's ~340 kOhm source is read in the SAADC's short acquisition and reads
        # low; the builder's meter reading over the board's sets this (hardware/BUILD.md)
        self.battery_permille = cfg.get("battery_scale_permille", 1000)
        self.watchdog_s = cfg.get("watchdog_ms", 8000) / 1000
        self.grace = boards.Grace(cfg.get("watchdog_grace_ms", boards.GRACE_MS), ticks_ms, ticks_diff)

    def battery_mv(self):
        total, bottom = self.divider
        return self.battery.value * self.reference_mv // 65535 * total // bottom * self.battery_permille // 1000

    def rtc_unix(self):
        """The RTC starts at 2000 after a power cut; it keeps its time through a reset."""
        now = time.time()
        return now if now >= boards.RTC_VALID_AFTER else None

    def set_rtc(self, unix_s):
        rtc.RTC().datetime = time.localtime(unix_s)

    def feed_watchdog(self):
        """Feeds the watchdog, armed (the nRF52 cannot stop it) once the grace period is over."""
        wdt = microcontroller.watchdog
        if wdt.mode is None:
            if not self.grace.over():
                return
            wdt.timeout = self.watchdog_s
            wdt.mode = WatchDogMode.RESET
        wdt.feed()

    async def idle_ms(self, ms):
        await sleep_ms(ms)

    def sleep(self):
        """System OFF until the heel is loaded: the mux on channel 0, SIG
        handed from the ADC to a PinAlarm; waking is a reset."""
        self.sampler.stop()
        self.motor_pwm.duty_u16(0)
        for pin in self.sampler.select or ():
            pin.value(0)
        self.sampler.inputs[0].pin.deinit()
        alarm.exit_and_deep_sleep_until_alarms(alarm.pin.PinAlarm(getattr(board, self.wake_pin), value=True))
