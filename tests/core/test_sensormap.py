"""Sensor map and board config validation."""
from insole import sensormap
from insole.pipeline import Pipeline
from support import config


def test_default_map_is_the_gaitpdb_insole():
    m = sensormap.from_config(config())
    assert m.channels == 8
    assert m.side == [0, -1, 1, -1, 1, -1, 1, 0]
    assert m.heel == (0, -80) and m.toe == (0, 80)
    assert m.width_mm == 40 and m.has_sides()


def test_footswitch_map_has_no_sides():
    m = sensormap.from_config(config("gaitndd"))
    assert m.channels == 1 and not m.has_sides()
    assert Pipeline(config("gaitndd")).pronation is None


def rejected(cfg):
    try:
        Pipeline(cfg)
    except ValueError as e:
        return str(e)
    raise AssertionError("accepted %r" % (cfg,))


def test_bad_configs_say_what_is_wrong():
    cfg = config()
    cfg["sensors"][3]["side"] = "left"
    assert "side" in rejected(cfg)
    cfg = config()
    cfg["sensors"][0]["y_mm"] = -200
    assert "outside" in rejected(cfg)
    cfg = config()
    cfg["sensors"] = cfg["sensors"] * 3
    assert "sensors" in rejected(cfg)
    cfg = config()
    cfg["fs_hz"] = 5000
    assert "fs_hz" in rejected(cfg)
