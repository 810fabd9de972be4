"""The daily summary record codec and the day accumulator (CPython and MicroPython)."""
import struct

from support import SkipTest, version_1

from insole import record
from insole.health import CLIPPING, NO_SIGNAL, OK, SATURATING, STUCK_HIGH, ChannelHealth
from insole.record import FLAG_PARTIAL, SIZE, DaySummary, RecordError, decode, encode


def sample(**changes):
    fields = {
        "flags": record.FLAG_PAIN | record.FLAG_ADVISORY, "seq": 4242, "day": 9131,
        "wear_s": 7 * 3600 + 12, "limit_s": 6 * 3600, "steps": 12345, "cadence_x10": 1083,
        "mli_median": -37, "cpei_median": 112, "supinated": 1200, "neutral": 10000, "pronated": 1145,
        "peaks_dn": [4100, 3900, 120, 0, 2500, 2600, 1800, 65535],
        "flagged_channels": 0x08, "alerts": 3, "pain": 4,
    }
    fields.update(changes)
    return fields


def raises(exc, fn, *args):
    """The message of the `exc` that fn(*args) raises."""
    try:
        fn(*args)
    except exc as e:
        return str(e)
    raise AssertionError("%s not raised" % exc.__name__)


def lcg(seed):
    """Deterministic pseudo-random integers 0..65535 (the same on every interpreter)."""
    while True:
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        yield seed >> 15


def test_round_trip():
    f = sample(planned_s=8 * 3600)
    got = decode(encode(f))
    f["version"] = record.VERSION
    assert got == f
    assert encode(got) == encode(f)
    assert decode(encode(sample()))["planned_s"] == 6 * 3600  # left out: the limit did not change


def test_size_fits_one_ble_packet():
    assert SIZE <= 244
    assert len(encode(sample())) == SIZE == 55


def u24(data, offset):
    return data[offset] | data[offset + 1] << 8 | data[offset + 2] << 16


def test_layout_is_little_endian_at_documented_offsets():
    data = encode(sample(planned_s=8 * 3600, steps=0xABCDEF))
    assert data[0] == 2
    assert struct.unpack_from("<I", data, 2)[0] == 4242
    assert struct.unpack_from("<H", data, 6)[0] == 9131
    assert [u24(data, 8), u24(data, 11), u24(data, 14), u24(data, 17)] == [7 * 3600 + 12, 6 * 3600, 8 * 3600, 0xABCDEF]
    assert struct.unpack_from("<H", data, 20)[0] == 1083
    assert struct.unpack_from("<h", data, 22)[0] == -37
    assert struct.unpack_from("<H", data, 46)[0] == 65535
    assert data[48:51] == bytes([0x08, 3, 4])
    assert struct.unpack_from("<I", data, 51)[0] == record.crc32(data[:51]) & 0xFFFFFFFF


def test_version_1_records_still_decode():
    f = sample(steps=70000)
    got = decode(version_1(f))
    assert got["version"] == 1 and got["planned_s"] == f["limit_s"]  # the only limit version 1 kept
    f.update(version=1, planned_s=f["limit_s"])
    assert got == f
    bad = bytearray(version_1(f))
    bad[12] ^= 1
    assert "CRC" in raises(RecordError, decode, bytes(bad))


def test_crc_detects_every_single_byte_corruption():
    data = encode(sample())
    for i in range(SIZE):
        for x in range(1, 256):
            bad = bytearray(data)
            bad[i] ^= x
            try:
                decode(bad)
            except RecordError:
                continue
            raise AssertionError("byte %d ^ 0x%02x not detected" % (i, x))


def test_bitwise_crc_matches_binascii():
    assert record.crc32_bitwise(b"123456789") == 0xCBF43926
    data = encode(sample())
    assert record.crc32_bitwise(data) == record.crc32(data) & 0xFFFFFFFF


def test_decode_rejects_wrong_length_and_unknown_version():
    data = encode(sample())
    assert "not 54" in raises(RecordError, decode, data[:-1])
    assert "not 56" in raises(RecordError, decode, data + b"\0")
    assert "not 0" in raises(RecordError, decode, b"")
    assert "version 3" in raises(RecordError, decode, b"\x03" + data[1:])
    assert "version 0" in raises(RecordError, decode, b"\x00" + data[1:])
    assert isinstance(RecordError("x"), ValueError)


def test_encode_names_the_field_out_of_range():
    for name, bad in (("seq", 0), ("seq", 1 << 32), ("day", 65536), ("wear_s", -1), ("wear_s", 1 << 24),
                      ("planned_s", -1), ("steps", 1 << 24),
                      ("mli_median", 1001), ("cpei_median", -1001), ("supinated", 65536),
                      ("alerts", 256), ("pain", 256), ("flagged_channels", -1), ("cadence_x10", 1.5)):
        assert name in raises(ValueError, encode, sample(**{name: bad})), name
    assert "peaks_dn" in raises(ValueError, encode, sample(peaks_dn=[0] * 7))
    assert "peaks_dn" in raises(ValueError, encode, sample(peaks_dn=[0] * 7 + [65536]))
    assert "flags" in raises(ValueError, encode, sample(flags=0x80))
    assert "version" in raises(ValueError, encode, sample(version=1))  # only the current version is written
    assert "colour" in raises(ValueError, encode, sample(colour=1))
    f = sample()
    del f["steps"]
    assert "steps" in raises(ValueError, encode, f)


def reference_median(values):
    return sorted(values)[(len(values) - 1) // 2] if values else 0


def test_day_summary_matches_a_sorted_list():
    rnd = lcg(7)
    day = DaySummary()
    mlis = []
    cpeis = []
    for _ in range(3001):
        mli = next(rnd) % 1401 - 700
        cpei = next(rnd) % 2401 - 1200  # past +-1000: clamped into the end bins
        day.add_step(mli, cpei)
        mlis.append(mli)
        cpeis.append(max(-1000, min(1000, cpei)))
    f = day.close(seq=1, day=100, wear_s=3600)
    assert abs(f["mli_median"] - reference_median(mlis)) <= 5
    assert abs(f["cpei_median"] - reference_median(cpeis)) <= 5
    assert f["steps"] == 3001
    assert f["supinated"] == len([m for m in mlis if m < -150])
    assert f["pronated"] == len([m for m in mlis if m > 150])
    assert f["neutral"] == len([m for m in mlis if -150 <= m <= 150])


def test_day_summary_thresholds_and_small_days():
    day = DaySummary()
    assert day.close(1, 0, 0)["mli_median"] == 0
    for mli in (-151, -150, 150, 151):
        day.add_step(mli, 0)
    f = day.close(1, 0, 0)
    assert (f["supinated"], f["neutral"], f["pronated"]) == (1, 2, 1)
    assert f["mli_median"] == -150
    day.reset()
    day.add_step(-996, 996)
    f = day.close(1, 0, 0)
    assert (f["mli_median"], f["cpei_median"], f["steps"]) == (-1000, 1000, 1)


class FakeHealth:
    channels = 8

    def __init__(self, peaks, statuses):
        self.peak_avg = peaks
        self.statuses = statuses

    def status(self, ch):
        return self.statuses[ch]

    flagged = ChannelHealth.flagged  # the real rule, on these statuses


def test_day_summary_saturates():
    day = DaySummary()
    for _ in range(70000):
        day.add_step(0, 0)
    health = FakeHealth([70000, -5, 100, 0, 0, 0, 0, 65535],
                        [OK, STUCK_HIGH, OK, NO_SIGNAL, OK, CLIPPING, OK, SATURATING])
    f = day.close(1, 0, 0, alerts=300, health=health)
    assert f["steps"] == 70000
    assert f["neutral"] == 65535
    assert f["peaks_dn"] == [65535, 0, 100, 0, 0, 0, 0, 65535]
    assert f["flagged_channels"] == 0b10001010  # clipping under a standing foot is not flagged
    assert f["alerts"] == 255
    assert decode(encode(f))["neutral"] == 65535


def test_snapshot_is_a_partial_record_and_restores():
    rnd = lcg(3)
    day = DaySummary()
    for _ in range(501):
        day.add_step(next(rnd) % 801 - 400, next(rnd) % 401 - 200)
    before = day.close(9, 77, 1800, limit_s=3600, alerts=2, cadence_x10=1100, pain=1, flags=record.FLAG_PAIN)
    data = day.snapshot(9, 77, 1800, limit_s=3600, alerts=2, cadence_x10=1100, pain=1, flags=record.FLAG_PAIN)
    assert len(data) == SIZE
    fields = decode(data)
    assert fields["flags"] == record.FLAG_PAIN | FLAG_PARTIAL
    again = DaySummary()
    assert again.restore(data) == fields
    after = again.close(9, 77, 1800, limit_s=3600, alerts=2, cadence_x10=1100, pain=1, flags=record.FLAG_PAIN)
    assert after == before
    again.add_step(400, 0)
    assert again.close(9, 77, 1800)["steps"] == 502


def test_add_step_allocates_nothing():
    try:
        import micropython
    except ImportError:
        raise SkipTest("heap_lock is MicroPython's")
    day = DaySummary()
    micropython.heap_lock()
    try:
        for mli in range(-1100, 1100, 7):
            day.add_step(mli, -mli)
    finally:
        micropython.heap_unlock()
    assert day.steps == len(range(-1100, 1100, 7))
