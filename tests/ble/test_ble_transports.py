"""The transport package's plumbing: picking a backend from a spec string, the
bleak backend's arguments (no radio here), reading advertising payloads, and
the benchmark's arithmetic."""
import pytest

from insole_host.transport import TransportError, open_transport
from insole_host.transport.bench import air_bytes, bench_ble, pull_time_s
from insole_host.transport.bleak_central import BleakCentral, att_error_of
from insole_host.transport.bumble_central import BumbleCentral, ad_name, is_insole, parse_ad

from insole import gatt


def test_open_transport_picks_the_backend():
    t = open_transport("bumble:usb:0")
    assert isinstance(t, BumbleCentral) and t.spec == "usb:0" and t.device is None
    assert isinstance(open_transport("bleak"), BleakCentral) and open_transport("bleak").address is None
    assert open_transport("bleak:AA:BB:CC:DD:EE:FF").address == "AA:BB:CC:DD:EE:FF"
    for bad in ("bumble", "virtual", "virtual:/tmp/no-insole-here", "serial:/dev/ttyUSB0", ""):
        with pytest.raises(TransportError):
            open_transport(bad)


def test_the_bleak_backend_checks_its_arguments_and_reads_att_errors():
    assert BleakCentral(timeout=3).timeout == 3
    for kwargs in ({"address": " "}, {"timeout": 0}):
        with pytest.raises(TransportError):
            BleakCentral(**kwargs)
    with pytest.raises(TransportError):
        BumbleCentral()  # neither an HCI spec nor a device
    assert att_error_of(Exception("Insufficient Encryption")) == 0x0F
    assert att_error_of(Exception("[org.bluez.Error.NotAuthorized] Insufficient authorization")) == 0x08
    assert att_error_of(Exception("Operation failed with ATT error: 0x05 (Insufficient Authentication)")) == 0x05
    assert att_error_of(Exception("timeout")) is None


def test_advertising_payloads_are_read_back():
    for name in ("L", "Insole L", "Semelle gauche"):
        adv = parse_ad(gatt.advertising_data(name))
        resp = parse_ad(gatt.scan_response_data(name))
        assert is_insole(adv) and not is_insole(resp)
        both = {t: adv.get(t, []) + resp.get(t, []) for t in set(adv) | set(resp)}
        assert ad_name(both) == name and name.startswith(ad_name(adv))
        assert adv[gatt.AD_APPEARANCE] == [b"\x41\x04"]


def test_the_air_accounting():
    assert air_bytes(55, 251) == (1, 76)   # 55 + 3 + 4 + 2 + 4 + 8
    assert air_bytes(55, 27) == (3, 104)   # 62 bytes of L2CAP in 27 + 27 + 8
    assert air_bytes(63, 251) == (1, 84)   # a record and its tag: 63 + 3 + 4 + 2 + 4 + 8
    assert pull_time_s(365, 7.5, 4, 1) == pytest.approx((92 + 2) * 0.0075)
    assert pull_time_s(365, 30, 4, 1) == pytest.approx((92 + 2) * 0.030)


def test_bench_ble_runs(capsys):
    out = bench_ble(days=20, measure_paced=False)
    assert out["days"] == out["notifications"] == 20 and out["air_bytes_per_record"] == 84
    assert "7.5 ms" in capsys.readouterr().out
