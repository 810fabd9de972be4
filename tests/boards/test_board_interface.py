"""Every board module presents the interface of boards/__init__.py, and load()
builds the one a config names."""
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "fakes"))

import board as pins  # noqa: E402  (the fakes)

import boards  # noqa: E402
from boards import sim  # noqa: E402
from support import config  # noqa: E402

BOARD_CONFIGS = ("esp32s3", "esp32c3", "xiao_nrf52840")


def every_board():
    pins.reset()
    out = {name: boards.load(config(name)) for name in BOARD_CONFIGS}
    out["sim"] = sim.Board(config())
    return out


def test_load_builds_the_module_the_config_names():
    for name in BOARD_CONFIGS:
        cfg = config(name)
        assert type(boards.load(cfg)).__module__ == "boards." + cfg["board_module"]


def test_every_board_has_the_same_interface():
    for name, b in every_board().items():
        s = b.sampler
        assert isinstance(s, boards.Sampler), name
        for method in ("start", "stop", "ready", "take"):
            assert callable(getattr(s, method)), (name, method)
        assert s.dropped == 0 and not s.ready() and s.take() is None, name
        b.motor_pwm.duty_u16(0)
        assert isinstance(b.battery_mv(), int), name
        b.feed_watchdog()
        assert inspect.iscoroutinefunction(b.idle_ms), name
        assert inspect.iscoroutinefunction(b.wait_sample), name
        assert isinstance(b, boards.Base) and b.policy.fs == s.fs, name
        if b.policy.sleep_after_s:  # a board that deep-sleeps off the foot
            assert callable(b.sleep), name

