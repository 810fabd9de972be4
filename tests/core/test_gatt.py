"""The GATT table and the advertising data (CPython and MicroPython)."""
from support import SkipTest

from insole import gatt


def ad_fields(data):
    """[(type, value)] of advertising data; checks the length bytes add up."""
    out = []
    i = 0
    while i < len(data):
        n = data[i]
        assert n >= 1 and i + 1 + n <= len(data), data
        out.append((data[i + 1], bytes(data[i + 2:i + 1 + n])))
        i += 1 + n
    return out


def all_characteristics():
    return [c for s in gatt.SERVICES for c in s.characteristics]


def test_standard_services_and_characteristics():
    table = dict((s.uuid, [(c.uuid, c.flags) for c in s.characteristics]) for s in gatt.SERVICES[:3])
    R, N = gatt.READ, gatt.NOTIFY
    assert table == {
        0x1814: [(0x2A53, N), (0x2A54, R), (0x2A5D, R)],
        0x180F: [(0x2A19, R | N)],
        0x180A: [(0x2A29, R), (0x2A24, R), (0x2A25, R), (0x2A26, R), (0x2A27, R)],
    }
    assert gatt.APPEARANCE == 0x0441 and gatt.SENSOR_LOCATION_IN_SHOE == 2


def test_insole_characteristics():
    assert [(c.name, c.flags) for c in gatt.INSOLE.characteristics] == [
        ("status", gatt.READ | gatt.NOTIFY), ("alerts", gatt.NOTIFY), ("records", gatt.NOTIFY),
        ("control", gatt.WRITE | gatt.INDICATE)]


def test_only_the_standard_services_are_open():
    for s in gatt.SERVICES:
        for c in s.characteristics:
            if s is gatt.INSOLE:
                assert c.access == (gatt.BONDED if c is gatt.CONTROL else gatt.SESSION), c.name
            else:
                assert c.access == gatt.OPEN, c.name


def test_uuids_are_unique_and_insole_ones_share_the_base():
    uuids = [s.uuid for s in gatt.SERVICES] + [c.uuid for c in all_characteristics()]
    assert len(set(uuids)) == len(uuids)
    names = [c.name for c in all_characteristics()]
    assert len(set(names)) == len(names)
    ours = [gatt.INSOLE.uuid] + [c.uuid for c in gatt.INSOLE.characteristics]
    for n, u in enumerate(ours, 1):
        assert len(u) == 36 and [u[i] for i in (8, 13, 18, 23)] == ["-"] * 4
        assert u[:4] + u[8:] == ours[0][:4] + ours[0][8:]
        assert int(u[4:8], 16) == n
        assert u[14] == "4"  # a random (version 4) UUID
        int(u.replace("-", ""), 16)


def test_uuid_forms():
    assert gatt.full_uuid(0x180F) == "0000180f-0000-1000-8000-00805f9b34fb"
    assert gatt.full_uuid(gatt.STATUS.uuid) == gatt.STATUS.uuid
    assert gatt.uuid_bytes(0x1814) == b"\x14\x18"
    raw = gatt.uuid_bytes(gatt.INSOLE.uuid)
    assert len(raw) == 16 and raw[0] == 0x56 and raw[15] == 0xCD  # little-endian on the air


def test_uuid_bytes_match_cpython_uuid():
    try:
        import uuid
    except ImportError:
        raise SkipTest("needs CPython's uuid")
    for c in gatt.INSOLE.characteristics:
        assert gatt.uuid_bytes(c.uuid) == uuid.UUID(c.uuid).bytes[::-1]


def test_advertising_data_fits_and_carries_the_fields():
    data = gatt.advertising_data("Sole")
    assert len(data) <= gatt.AD_MAX
    assert ad_fields(data) == [
        (gatt.AD_FLAGS, b"\x06"),
        (gatt.AD_APPEARANCE, b"\x41\x04"),
        (gatt.AD_UUID128_COMPLETE, gatt.uuid_bytes(gatt.INSOLE.uuid)),
        (gatt.AD_COMPLETE_NAME, b"Sole"),
    ]


def test_a_long_name_is_shortened_in_the_advertisement_and_whole_in_the_scan_response():
    for n in range(1, gatt.NAME_MAX + 1):
        name = "Insole left foot 000000000"[:n]
        adv = gatt.advertising_data(name)
        resp = gatt.scan_response_data(name)
        assert len(adv) <= gatt.AD_MAX and len(resp) <= gatt.AD_MAX, name
        kind, value = ad_fields(adv)[-1]
        assert kind == (gatt.AD_COMPLETE_NAME if n <= 4 else gatt.AD_SHORT_NAME)
        assert name.encode().startswith(value) and value
        assert ad_fields(resp) == [(gatt.AD_COMPLETE_NAME, name.encode()),
                                   (gatt.AD_UUID16_COMPLETE, b"\x14\x18")]


def test_a_shortened_name_never_splits_a_utf8_character():
    _, value = ad_fields(gatt.advertising_data("Solé L"))[-1]  # room for 4 bytes; é is bytes 3 and 4
    assert value == b"Sol"


def test_a_name_must_fit_the_scan_response():
    for bad in ("", "x" * (gatt.NAME_MAX + 1)):
        for build in (gatt.advertising_data, gatt.scan_response_data):
            try:
                build(bad)
            except ValueError:
                continue
            raise AssertionError("name %r accepted" % bad)


def test_advertising_intervals_default_to_apples_guidelines():
    """20 ms for the first 30 s, then 1022.5 ms (one of the guidelines' slower steps)."""
    assert gatt.advertising_intervals({}) == (20000, 30000, 1022500)
    for ms, us in ((152.5, 152500), (211.25, 211250), (318.75, 318750), (1285, 1285000)):
        assert gatt.advertising_intervals({"adv_slow_ms": ms})[2] == us
    assert gatt.advertising_intervals({"adv_fast_ms": 100, "adv_fast_s": 0, "adv_slow_ms": 100}) == (100000, 0, 100000)


def test_bad_advertising_settings_name_their_key():
    for ble, key in (({"adv_fast_ms": 19}, "adv_fast_ms"), ({"adv_slow_ms": 10241}, "adv_slow_ms"),
                     ({"adv_slow_ms": "1s"}, "adv_slow_ms"), ({"adv_fast_ms": True}, "adv_fast_ms"),
                     ({"adv_fast_s": -1}, "adv_fast_s"), ({"adv_fast_s": 2.5}, "adv_fast_s"),
                     ({"adv_fast_ms": 500, "adv_slow_ms": 200}, "adv_fast_ms is above")):
        try:
            gatt.advertising_intervals(ble)
        except ValueError as e:
            assert key in str(e) and str(e).startswith("config: ble."), (ble, e)
        else:
            raise AssertionError("accepted %r" % (ble,))
