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


def test_the_heel_toe_line_runs_between_central_sensors():
    sensors = [
        {"x_mm": 0, "y_mm": -70, "side": "central"},
        {"x_mm": -25, "y_mm": -85, "side": "lateral"},   # further back than the heel sensor
        {"x_mm": 25, "y_mm": 90, "side": "medial"},      # further forward than the toe sensor
        {"x_mm": 5, "y_mm": 75, "side": "central"},
    ]
    m = sensormap.SensorMap(sensors)
    assert m.heel == (0, -70) and m.toe == (5, 75)
    m = sensormap.SensorMap(sensors[1:])           # one central sensor: the extremes of all
    assert m.heel == (-25, -85) and m.toe == (25, 90)


def test_a_device_refuses_more_channels_than_its_daily_record_carries():
    from insole import record
    from insole.device import Device
    cfg = config()
    cfg["sensors"] = cfg["sensors"] + [dict(s) for s in cfg["sensors"]]   # 16, through a multiplexer
    assert Pipeline(cfg).channels == 16                                    # the core takes them...
    try:
        Device(cfg)
    except ValueError as e:                                               # ...the record could not
        assert "16 sensors" in str(e) and str(record.CHANNELS) in str(e)
        return
    raise AssertionError("a 16-channel device dropped channels 8-15 from its record")


def test_a_config_gait_setting_the_detector_does_not_take_is_refused():
    cfg = config("gaitndd")
    cfg["gait"]["onset_n"] = 15
    assert "gait" in rejected(cfg) and "onset_n" in rejected(cfg)
    cfg = config("gaitndd")
    cfg["gait"]["offset_q10"] = 2000
    assert "gait thresholds" in rejected(cfg)
