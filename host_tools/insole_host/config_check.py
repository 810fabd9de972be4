"""A board config (firmware/config/BOARD.json) checked before `make deploy` touches the board.

`check_file(path, shown)` reads one config and returns it with its problems, one
line each: `SHOWN: KEY: what is wrong, what is allowed`; `problems(cfg)` gives
the (key, text) of a config already read. Nothing here touches a board or a
file but the one read.

The firmware's own constructors judge what they already check, built here
under CPython: the sensor map (sides, positions, the heel-toe line), fs_hz,
the FSR model, the gait thresholds, the channels the daily record carries
(Device), the motor's duty cap, the store's options, the mux and ADC wiring,
the pin that wakes a sleeping board and the BLE name. The rules here are the
ones the firmware takes on trust: the JSON's shape and types, the ranges of the
settings it reads unchecked, the keys it reads at all, each board family's
runtime, link, compiler target and pins, and the roles the analyses need from
the sensor map (medial and lateral sensors; the heel on channel 0 where a
load there wakes the board).
"""
from __future__ import annotations

import difflib
import importlib.util
import inspect
import json

from insole_host.virtual import firmware_dir

from insole import calibration, gatt, power, sensormap
from insole.clock import DAY_S
from insole.device import Device
from insole.pipeline import Pipeline


def _image(path):
    """A module of the firmware image the deploy lays out, loaded from its file under a
    private name: boards/ and edge/ are the board's, never the host's packages, and
    they import nothing but the core."""
    spec = importlib.util.spec_from_file_location("_image." + path.replace("/", "."), firmware_dir() / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


boards = _image("boards/__init__.py")
Motor = _image("edge/motor.py").Motor
Store = _image("edge/store.py").Store

# Settings the firmware reads without checking them: (low, high), integers.
RANGES = {
    "checkpoint_s": (1, DAY_S),            # Device: the day's checkpoint, every so many seconds
    "adc_bits": (8, 16),                   # the sim board's ADC model
    "power.sleep_after_s": (0, DAY_S),     # power.Policy; 0: never
    "power.still_after_s": (0, 3600),      # power.Policy; 0: never slows on the foot
    "motor_hz": (10, 40000),               # the motor's PWM
    "watchdog_ms": (1000, 60000),
    "watchdog_grace_ms": (0, 3600000),
    "adc_full_scale_mv": (1000, 3600),     # selftest's mV at the pin
    "battery_scale_permille": (500, 2000),
}
# Integers whose range a firmware constructor checks.
INTEGERS = ("fs_hz", "motor_max_permille")
PROVISIONED = ("device_id", "auth_key", "passkey")  # written by the deploy itself
CORE_KEYS = ("board", "board_module", "runtime", "link", "mpy_arch", "packages", "name", "fs_hz", "adc_bits", "fsr",
             "tables", "sensors", "heel", "toe", "gait", "checkpoint_s", "power", "store",
             "motor_max_permille", "ble") + PROVISIONED
SUBKEYS = {"power": ("sleep_after_s", "still_after_s"), "ble": ("adv_fast_ms", "adv_fast_s", "adv_slow_ms"), "fsr": ("model", "f_half_n", "f_max_n"),
           "mux": ("sig", "select", "reference"), "sensor": ("name", "x_mm", "y_mm", "side")}
# Where each pin goes: analog inputs (ADC) or digital pins.
ANALOG_PINS = ("adc_pins", "mux.sig", "battery_pin")
DIGITAL_PINS = ("mux.select", "motor_pin", "battery_enable_pin", "safe_boot_pin")


def _span(pins):
    """1-18, 20, 21, 38-48: a set of GPIO numbers, short."""
    out, run = [], []
    for p in sorted(pins):
        if run and p != run[-1] + 1:
            out.append(run)
            run = []
        run.append(p)
    out += [run] if run else []
    return ", ".join("%d-%d" % (r[0], r[-1]) if len(r) > 2 else ", ".join(map(str, r)) for r in out)


class Chip:
    """The pins of one board family: `gpio` every pin name, `analog` those an ADC
    reads, `reserved` {pin: what it already does}, `alias` {name: the pin it is}."""

    def __init__(self, name, gpio, analog, reserved=None, alias=None, cpu_mhz=None, timers=0):
        self.name = name
        self.gpio = set(gpio)
        self.analog = set(analog)
        self.reserved = reserved or {}
        self.alias = alias or {}
        self.cpu_mhz = cpu_mhz
        self.timers = timers
        self.numbered = all(isinstance(p, int) for p in self.gpio)

    def allowed(self, analog):
        free = (self.analog if analog else self.gpio) - set(self.reserved)
        if self.numbered:
            return "%s GPIO %s" % ("an ADC1 pin:" if analog else "a free", _span(free))
        names = free | {a for a, p in self.alias.items() if p in free}
        return "one of " + ", ".join(sorted(names, key=lambda n: (n.rstrip("0123456789"), len(n), n)))


# ESP32 datasheets: ADC1 only (ADC2 is the radio's); the USB pins the deploy runs over,
# the module's flash (and the S3's octal PSRAM), the strapping pins (hardware/wiring.md).
ESP32_S3 = Chip("ESP32-S3", list(range(0, 22)) + list(range(26, 49)), range(1, 11),
                dict([(19, "USB D-"), (20, "USB D+"), (0, "a strapping pin (BOOT)"), (45, "a strapping pin"),
                      (46, "a strapping pin")] + [(p, "the module's flash and PSRAM") for p in range(26, 38)]),
                cpu_mhz=(80, 160, 240), timers=4)
ESP32_C3 = Chip("ESP32-C3", range(0, 22), range(0, 5),
                dict([(18, "USB D-"), (19, "USB D+"), (2, "a strapping pin"), (8, "a strapping pin"),
                      (9, "a strapping pin (BOOT)")] + [(p, "the module's flash") for p in range(11, 18)]),
                cpu_mhz=(80, 160), timers=2)
# CircuitPython's `board` names on the XIAO nRF52840: A0-A5 are D0-D5.
XIAO_NRF52840 = Chip("XIAO nRF52840", ["D%d" % i for i in range(11)] + ["VBATT", "READ_BATT_ENABLE"],
                     ["D%d" % i for i in range(6)] + ["VBATT"], alias={"A%d" % i: "D%d" % i for i in range(6)})

HARDWARE = ("adc_pins", "mux", "motor_pin", "motor_hz", "battery_pin", "battery_divider_kohm", "watchdog_ms",
            "watchdog_grace_ms", "adc_full_scale_mv")
BOARD_NEEDS = {"motor_pin": "the vibration motor's PWM pin", "battery_pin": "the battery's ADC pin",
               "battery_divider_kohm": "[top, bottom] of the battery divider in kOhm"}
# Each board module: its runtime, link, compiler targets (each a chip), the keys its board reads,
# and the keys it cannot do without.
FAMILIES = {
    "esp32": {"runtime": "micropython", "link": "aioble", "mpy_arch": {"xtensawin": ESP32_S3, "rv32imc": ESP32_C3},
              "keys": HARDWARE + ("timer", "cpu_mhz"), "needs": BOARD_NEEDS},
    "nrf52840_cp": {"runtime": "circuitpython", "link": "circuitpython", "mpy_arch": {None: XIAO_NRF52840},
                    "keys": HARDWARE + ("battery_enable_pin", "battery_scale_permille", "safe_boot_pin"),
                    "needs": BOARD_NEEDS},
    "sim": {"runtime": "unix", "link": "stdio", "mpy_arch": {"host": None}, "keys": (),
            "needs": {"adc_bits": "the bits of the ADC it models"}},
}


class _Off:
    """A motor PWM that drives nothing."""

    def duty_u16(self, value):
        pass


def check_file(path, shown):
    """(config or None, ["SHOWN: KEY: problem", ...]) of the config file at `path`."""
    try:
        cfg, found = _load(path.read_bytes())
    except OSError as e:
        return None, ["%s: cannot be read: %s" % (shown, e.strerror or e)]
    if cfg is not None:
        found += problems(cfg)
    return cfg, ["%s: %s: %s" % (shown, key, text) for key, text in found]


def _load(raw):
    """(config, [(key, problem)]) of a file's bytes; config None when it is not a JSON object."""
    twice = []

    def pairs(items):
        keys = [k for k, _ in items]
        twice.extend(k for i, k in enumerate(keys) if k in keys[:i])
        return dict(items)

    try:
        cfg = json.loads(raw.decode("utf-8"), object_pairs_hook=pairs)
    except UnicodeDecodeError as e:
        return None, [("byte %d" % e.start, "not UTF-8 text; a config is JSON")]
    except json.JSONDecodeError as e:
        return None, [("line %d column %d" % (e.lineno, e.colno), "not JSON: %s" % e.msg)]
    if not isinstance(cfg, dict):
        return None, [("top level", "a JSON object {...} of settings, not %s" % type(cfg).__name__)]
    return cfg, [(k, "given twice; give it once") for k in dict.fromkeys(twice)]


def problems(cfg):
    """[(key, what is wrong and what is allowed)] of a board config; [] when it deploys."""
    out = []
    family = _family(cfg, out)
    _keys(cfg, family, out)
    _types(cfg, out)
    _core(cfg, out)
    if family:
        _hardware(cfg, family, out)
    texts = set()
    return [(key, text) for key, text in out if not (text in texts or texts.add(text))]


def _family(cfg, out):
    """The board module's family entry (and its chip, as "chip"), checking what names it."""
    module = cfg.get("board_module")
    if not isinstance(module, str) or module not in FAMILIES:
        out.append(("board_module", "%s; allowed %s (a module of firmware/boards/)" % (
            "missing" if module is None else repr(module), ", ".join(sorted(FAMILIES)))))
        return None
    family = FAMILIES[module]
    for key in ("runtime", "link"):
        if cfg.get(key) != family[key]:
            out.append((key, "%s; board_module %s takes %r" % (_given(cfg, key), module, family[key])))
    archs = family["mpy_arch"]
    arch = cfg.get("mpy_arch")
    if arch not in archs:
        allowed = " or ".join(repr(a) for a in archs if a) or "none (it gets .py sources)"
        out.append(("mpy_arch", "%s; board_module %s takes %s" % (_given(cfg, "mpy_arch"), module, allowed)))
        return None
    return dict(family, chip=archs[arch], module=module)


def _given(cfg, key):
    return repr(cfg[key]) if key in cfg else "missing"


def _keys(cfg, family, out):
    """Keys nobody reads (a typo leaves a setting at its default), in the file and in its objects."""
    known = CORE_KEYS + (family["keys"] if family else sum((f["keys"] for f in FAMILIES.values()), ()))
    for key in cfg:
        if key not in known:
            near = difflib.get_close_matches(key, known, 1)
            out.append((key, "not a setting this board reads%s" % (" (did you mean %r?)" % near[0] if near else "")))
    for key, sub in SUBKEYS.items():
        objects = cfg.get("sensors") if key == "sensor" else [cfg.get(key)]
        for i, obj in enumerate(objects if isinstance(objects, list) else []):
            if isinstance(obj, dict):
                where = "sensors[%d]" % i if key == "sensor" else key
                out.extend(("%s.%s" % (where, k), "not read; allowed %s" % ", ".join(sub)) for k in obj if k not in sub)


def _get(cfg, key):
    """A dotted key's value, or None."""
    for part in key.split("."):
        cfg = cfg.get(part) if isinstance(cfg, dict) else None
    return cfg


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _types(cfg, out):
    """The JSON shape the constructors take on trust."""
    for key in INTEGERS + tuple(RANGES):
        v = _get(cfg, key)
        if v is None:
            continue
        lo, hi = RANGES.get(key, (None, None))
        if not _is_int(v):
            out.append((key, "%r; an integer%s" % (v, " %d..%d" % (lo, hi) if key in RANGES else "")))
        elif key in RANGES and not lo <= v <= hi:
            out.append((key, "%r; allowed %d..%d" % (v, lo, hi)))
    for key in ("fs_hz", "sensors"):
        if key not in cfg:
            out.append((key, "missing"))
    if "fsr" not in cfg and "tables" not in cfg:
        out.append(("fsr", "missing: the FSR model ({\"model\": \"divider\", ...}) or explicit \"tables\""))
    for key in ("power", "fsr", "gait", "store", "mux", "ble"):
        if key in cfg and not isinstance(cfg[key], dict):
            out.append((key, "%r; a JSON object {...}" % (cfg[key],)))
    fsr = cfg.get("fsr")
    for key in ("f_half_n", "f_max_n"):
        if isinstance(fsr, dict) and key in fsr and not (_is_int(fsr[key]) or isinstance(fsr[key], float)):
            out.append(("fsr." + key, "%r; a number of newtons" % (fsr[key],)))
    sensors = cfg.get("sensors")
    if "sensors" in cfg and not (isinstance(sensors, list) and all(isinstance(s, dict) for s in sensors)):
        out.append(("sensors", "a list of objects {\"name\", \"x_mm\", \"y_mm\", \"side\"}"))
    elif sensors:
        for i, s in enumerate(sensors):
            for key in ("x_mm", "y_mm"):
                if not _is_int(s.get(key)):
                    out.append(("sensors[%d].%s" % (i, key), "%s; an integer of mm" % _given(s, key)))
            if not isinstance(s.get("name"), str) or not s["name"]:
                out.append(("sensors[%d].name" % i, "%s; a name shown in reports" % _given(s, "name")))
        names = [s.get("name") for s in sensors]
        for i, name in enumerate(names):
            if isinstance(name, str) and name in names[:i]:
                out.append(("sensors[%d].name" % i, "%r is also channel %d's; each channel its own name"
                            % (name, names.index(name))))
    if "name" in cfg and not isinstance(cfg["name"], str):
        out.append(("name", "%r; the BLE name, a string" % (cfg["name"],)))
    for key in ("heel", "toe"):
        point = cfg.get(key)
        if key in cfg and not (isinstance(point, list) and len(point) == 2 and all(map(_is_int, point))):
            out.append((key, "%r; the heel-toe line's end, [x_mm, y_mm]" % (point,)))
    packages = cfg.get("packages", [])
    for name in packages if isinstance(packages, list) else [packages]:
        if not isinstance(name, str) or not (firmware_dir() / name).is_dir():
            out.append(("packages", "%r; a folder of the firmware the board also gets" % (name,)))


def _core(cfg, out):
    """The firmware's own checks: each constructor raises ValueError on what it refuses."""
    store = cfg.get("store") or {}
    options = list(inspect.signature(Store).parameters)[2:]  # after root and fs
    for key, value in store.items() if isinstance(store, dict) else ():
        if key not in options:
            out.append(("store." + key, "not a store option; allowed %s" % ", ".join(options)))
        elif not _is_int(value) or value < 1:
            out.append(("store." + key, "%r; a whole number of at least 1" % (value,)))
    smap = _refused(out, "sensors", lambda: sensormap.from_config(cfg))
    if smap and not smap.has_sides():
        out.append(("sensors", "no medial and lateral sensors apart in x; the pronation index and CPEI need both"))
    _refused(out, "fsr", lambda: calibration.from_config(cfg, cfg["fs_hz"]))
    _refused(out, "fs_hz", lambda: Pipeline(cfg))
    _refused(out, "sensors", lambda: Device(cfg))
    _refused(out, "motor_max_permille", lambda: Motor(_Off(), max_permille=cfg.get("motor_max_permille", 1000)))
    _refused(out, "store", lambda: Store("data", None, **store))
    if "name" in cfg:
        _refused(out, "name", lambda: gatt.advertising_data(cfg["name"]))
    if isinstance(cfg.get("ble"), dict):
        _refused(out, "ble", lambda: gatt.advertising_intervals(cfg["ble"]))


def _refused(out, key, build):
    """What build() returns, or None when it raises. The firmware's ValueError becomes a
    problem: "config: KEY: text" under its KEY, any other under `key`. Any other error
    is one of a config already found wrong (a string where a number goes), or named."""
    try:
        return build()
    except ValueError as e:
        text = str(e)
        if text.startswith("config: "):
            text = text[len("config: "):]
            head, sep, rest = text.partition(": ")
            if sep and " " not in head:
                key, text = head, rest
        out.append((key, text))
    except (TypeError, KeyError, AttributeError, IndexError) as e:
        if not out:
            out.append((key, "cannot be read (%s: %s)" % (type(e).__name__, e)))
    return None


def _hardware(cfg, family, out):
    """The family's own keys: the pins, the chip's settings, the wake pin and the heel."""
    chip = family["chip"]
    for key, what in family["needs"].items():
        if key not in cfg:
            pin = chip.allowed(key in ANALOG_PINS) if key.endswith("_pin") else None
            out.append((key, "missing: %s%s" % (what, ", " + pin if pin else "")))
    if chip:
        if "mux" in cfg and "adc_pins" in cfg:
            out.append(("adc_pins", "given beside a mux, which takes every channel; give one of them"))
        if "mux" not in cfg and "adc_pins" not in cfg:
            out.append(("adc_pins", "missing; one analog pin per sensor, or a \"mux\""))
        mux = cfg.get("mux")
        out.extend(("mux." + k, "missing; the mux's SIG pin and its S0..S3 select pins")
                   for k in ("sig", "select") if isinstance(mux, dict) and k not in mux)
        _pins(cfg, chip, out)
        _battery(cfg, out)
        _chip_settings(cfg, chip, out)
        _refused(out, "mux", lambda: boards.wire(cfg, str, str))
        _refused(out, "mux.reference", lambda: boards.reference(cfg))
    if _refused(out, "power.sleep_after_s", lambda: boards.wake_pin(cfg)) is not None and _sound_map(cfg):
        _heel_wakes(cfg, out)


def _sound_map(cfg):
    sensors = cfg.get("sensors")
    return isinstance(sensors, list) and sensors and all(isinstance(s, dict) and _is_int(s.get("y_mm"))
                                                         for s in sensors)


def _pins(cfg, chip, out):
    """Each pin a pin of this chip, of the right kind, free, and used once."""
    used = {}
    for keys, analog in ((ANALOG_PINS, True), (DIGITAL_PINS, False)):
        for key in keys:
            value = _get(cfg, key)
            if value is None:
                continue
            many = key in ("adc_pins", "mux.select")
            if many and not isinstance(value, list):
                out.append((key, "%r; a list of pins" % (value,)))
                continue
            for i, pin in enumerate(value if many else [value]):
                where = "%s[%d]" % (key, i) if many else key
                problem = _pin_problem(chip, pin, analog)
                if problem:
                    out.append((where, problem))
                    continue
                pin = chip.alias.get(pin, pin)
                if pin in used:
                    out.append((where, "%s is also %s; each pin has one job" % (_pin_name(chip, pin), used[pin])))
                used.setdefault(pin, where)


def _pin_name(chip, pin):
    return "GPIO %d" % pin if chip.numbered else pin


def _pin_problem(chip, pin, analog):
    ok_type = _is_int(pin) if chip.numbered else isinstance(pin, str)
    pin = chip.alias.get(pin, pin) if ok_type else pin
    if not ok_type or pin not in chip.gpio:
        kind = "a GPIO number" if chip.numbered else "a pin name"
        return "%r is not a pin of the %s (%s); allowed %s" % (pin, chip.name, kind, chip.allowed(analog))
    if pin in chip.reserved:
        return "%s is %s; allowed %s" % (_pin_name(chip, pin), chip.reserved[pin], chip.allowed(analog))
    if analog and pin not in chip.analog:
        return "%s has no ADC the firmware can use; allowed %s" % (_pin_name(chip, pin), chip.allowed(True))
    return None


def _battery(cfg, out):
    div = cfg.get("battery_divider_kohm")
    if div is not None and not (isinstance(div, list) and len(div) == 2
                                and all(_is_int(r) and 1 <= r <= 10000 for r in div)):
        out.append(("battery_divider_kohm", "%r; [top, bottom] of the battery divider, each 1..10000 kOhm" % (div,)))


def _chip_settings(cfg, chip, out):
    if chip.cpu_mhz and cfg.get("cpu_mhz", chip.cpu_mhz[0]) not in chip.cpu_mhz:
        out.append(("cpu_mhz", "%r; the %s runs at %s MHz" % (cfg["cpu_mhz"], chip.name,
                                                               ", ".join(map(str, chip.cpu_mhz)))))
    timer = cfg.get("timer", 0)
    if chip.timers and not (_is_int(timer) and 0 <= timer < chip.timers):
        out.append(("timer", "%r; the %s has hardware timers 0..%d" % (timer, chip.name, chip.timers - 1)))


def _heel_wakes(cfg, out):
    """A board woken from deep sleep by a load on channel 0 needs the heel there: the rearmost sensor."""
    sensors = cfg["sensors"]
    ys = [s["y_mm"] for s in sensors]
    if power.Policy(cfg).sleep_after_s and ys[0] != min(ys):
        out.append(("sensors", "channel 0 (%r) wakes the board from deep sleep, so it must be the heel, the "
                    "rearmost sensor (y_mm %d, not %d)" % (cfg["sensors"][0]["name"], min(ys), ys[0])))
