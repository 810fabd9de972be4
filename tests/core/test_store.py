"""The flash store: log, checkpoint, configuration, power cuts and a full flash
(CPython and MicroPython, on a scratch directory under /tmp)."""
import os

from fsfaults import FullFs, PowerCut, TearingFs, cut, new_dir, remove_tree, tree_size

from edge.store import Store
from insole.record import FLAG_PARTIAL, SIZE, DaySummary, decode, encode


def with_dir(test):
    """Run `test(path)` on a fresh scratch directory, removed afterwards."""
    def run():
        path = new_dir("store")
        try:
            test(path)
        finally:
            remove_tree(path)
    return run


def rec(seq, wear_s=3600, partial=False):
    return encode(DaySummary().close(seq, 9000 + seq, wear_s, flags=FLAG_PARTIAL if partial else 0))


def opened(path, fs=None, **kw):
    store = Store(path, fs=fs, **kw)
    return store, store.recover()


def close_days(store, n, wear_s=3600):
    for _ in range(n):
        s = store.open_seq
        store.close_day(rec(s, wear_s), rec(s + 1, 0, True), 0)


def seqs(store, after=0):
    return [r["seq"] for r in store.records_after(after)]


def flip_byte(path, offset):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[offset] ^= 0x5A
    with open(path, "wb") as f:
        f.write(data)


def truncate(path, size):
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:size])


def file_size(path):
    return os.stat(path)[6]


def raises(exc, fn, *args):
    try:
        fn(*args)
    except exc:
        return True
    raise AssertionError("%s not raised" % exc.__name__)


@with_dir
def test_empty_store(path):
    store, current = opened(path)
    assert current is None
    assert (store.open_seq, store.dropped, store.corrupt) == (1, 0, 0)
    assert seqs(store) == []
    assert store.load_config() is None


@with_dir
def test_append_and_read_after_restart(path):
    store, _ = opened(path, segment_records=4)
    close_days(store, 10)
    assert seqs(store) == list(range(1, 11))
    assert seqs(store, 6) == [7, 8, 9, 10]
    assert seqs(store, 10) == []
    store, current = opened(path, segment_records=4)
    assert store.open_seq == 11
    assert decode(current)["seq"] == 11 and decode(current)["flags"] & FLAG_PARTIAL
    got = list(store.records_after(0))
    assert [r["day"] for r in got] == list(range(9001, 9011))
    assert all(r["wear_s"] == 3600 and not r["flags"] & FLAG_PARTIAL for r in got)


@with_dir
def test_records_must_follow_the_sequence(path):
    store, _ = opened(path)
    raises(ValueError, store.checkpoint, rec(2, 60, True), 0)
    raises(ValueError, store.checkpoint, rec(1, 60), 0)
    raises(ValueError, store.close_day, rec(1), rec(3, 0, True), 0)
    raises(ValueError, store.close_day, rec(1, 60, True), rec(2, 0, True), 0)
    raises(ValueError, Store, path, None, 4, 8 * SIZE - 1)


@with_dir
def test_checkpoint_interval(path):
    store, _ = opened(path, checkpoint_s=300)
    assert store.due(0)
    store.checkpoint(rec(1, 60, True), 100)
    assert not store.due(399)
    assert store.due(400)
    store, current = opened(path)
    assert current == rec(1, 60, True)
    assert store.due(0)


@with_dir
def test_checkpoint_write_is_atomic(path):
    store, _ = opened(path)
    store.checkpoint(rec(1, 300, True), 0)
    for cut_at, survivor in ((1, 300), (2, 600)):
        store, _ = opened(path, TearingFs(cut_at, cut))
        try:
            store.checkpoint(rec(1, 600, True), 0)
        except PowerCut:
            pass
        store, current = opened(path)
        assert decode(current)["wear_s"] == survivor, cut_at
        with open(path + "/ckpt.rec", "rb") as f:
            assert f.read() == current  # a complete .tmp is rolled forward
        store.checkpoint(rec(1, 300, True), 0)


@with_dir
def test_close_day_is_exactly_once_at_every_cut(path):
    cut_at = 1
    while True:
        base = path + "/%d" % cut_at
        store, _ = opened(base, segment_records=2)
        close_days(store, 3)
        store.checkpoint(rec(4, 600, True), 0)
        store, _ = opened(base, TearingFs(cut_at, cut), segment_records=2)
        try:
            store.close_day(rec(4, 900), rec(5, 0, True), 0)
            finished = True
        except PowerCut:
            finished = False
        store, current = opened(base, segment_records=2)
        if current is not None and decode(current)["seq"] == 4:
            store.close_day(rec(4, decode(current)["wear_s"]), rec(5, 0, True), 0)
        assert seqs(store) == [1, 2, 3, 4], cut_at
        assert list(store.records_after(3))[0]["wear_s"] in (600, 900)
        assert store.open_seq == 5
        assert store.corrupt <= 1
        if finished:
            break
        cut_at += 1
    assert cut_at == 6  # checkpoint write + rename, append, next checkpoint write + rename


@with_dir
def test_torn_tail_is_counted_and_written_over(path):
    store, _ = opened(path, segment_records=4)
    close_days(store, 5)
    store, _ = opened(path, TearingFs(3, cut), segment_records=4)
    try:
        store.close_day(rec(6), rec(7, 0, True), 0)
    except PowerCut:
        pass
    segment = path + "/log/00000005.rec"
    assert file_size(segment) % SIZE
    store, current = opened(path, segment_records=4)
    assert current is None
    assert store.corrupt == 1
    assert seqs(store) == [1, 2, 3, 4, 5, 6]
    assert file_size(segment) == 2 * SIZE
    assert store.open_seq == 7


@with_dir
def test_corrupt_record_in_the_middle_is_skipped_and_counted(path):
    store, _ = opened(path, segment_records=4)
    close_days(store, 8)
    flip_byte(path + "/log/00000001.rec", 2 * SIZE + 10)
    store, _ = opened(path, segment_records=4)
    assert seqs(store) == [1, 2, 4, 5, 6, 7, 8]
    assert store.corrupt == 1
    assert seqs(store) == [1, 2, 4, 5, 6, 7, 8]
    assert seqs(store, 3) == [4, 5, 6, 7, 8]
    assert store.corrupt == 1
    close_days(store, 1)
    assert seqs(store, 7) == [8, 9]


@with_dir
def test_truncated_segment(path):
    store, _ = opened(path, segment_records=4)
    close_days(store, 6)
    truncate(path + "/log/00000005.rec", SIZE + 10)
    store, current = opened(path, segment_records=4)
    assert store.corrupt == 1
    assert decode(current)["seq"] == 7
    assert seqs(store) == [1, 2, 3, 4, 5]
    close_days(store, 1)
    assert seqs(store) == [1, 2, 3, 4, 5, 7]
    assert store.corrupt == 1


@with_dir
def test_closed_checkpoint_repairs_its_corrupt_log_slot(path):
    store, _ = opened(path, segment_records=4)
    close_days(store, 3)
    store.close_day(rec(4, 1234), rec(5, 0, True), 0)
    with open(path + "/ckpt.rec", "wb") as f:  # as if cut before step 3, on a filesystem
        f.write(rec(4, 1234))                  # that left record 4 full-size but garbled
    flip_byte(path + "/log/00000001.rec", 3 * SIZE + 20)
    store, current = opened(path, segment_records=4)
    assert current is None
    assert [r["wear_s"] for r in store.records_after(3)] == [1234]
    assert seqs(store) == [1, 2, 3, 4]
    assert store.open_seq == 5


@with_dir
def test_budget_drops_oldest_segments(path):
    store, _ = opened(path, segment_records=2, budget_bytes=4 * SIZE)
    close_days(store, 9)
    assert seqs(store) == [7, 8, 9]
    assert store.dropped == 6
    assert tree_size(path + "/log") <= 4 * SIZE
    store, _ = opened(path, segment_records=2, budget_bytes=4 * SIZE)
    assert store.dropped == 6
    assert seqs(store) == [7, 8, 9]
    assert seqs(store, 7) == [8, 9]


@with_dir
def test_dropping_every_record_keeps_the_numbering_across_a_restart(path):
    store, _ = opened(path, segment_records=2)
    close_days(store, 5)
    store.drop_records()
    assert seqs(store) == [] and store.dropped == 5
    store, _ = opened(path, segment_records=2)
    assert seqs(store) == [] and store.open_seq == 6
    close_days(store, 1)
    assert seqs(store) == [6] and store.dropped == 5


@with_dir
def test_full_flash_drops_oldest_and_retries(path):
    fs = FullFs(path, 1000)
    store, _ = opened(path, fs, segment_records=4)
    for day in range(1, 41):
        store.save_config(("schedule day %03d " % day).encode() + b"." * 40)
        close_days(store, 1)
        store.checkpoint(rec(day + 1, 300, True), 0)
    assert fs.full > 0
    assert tree_size(path) <= 1000
    kept = seqs(store)
    assert kept == list(range(store.dropped + 1, 41))
    assert len(kept) >= 4
    store, current = opened(path, segment_records=4)
    assert seqs(store) == kept
    assert decode(current)["wear_s"] == 300
    assert store.load_config() == b"schedule day 040 " + b"." * 40


@with_dir
def test_config_survives_a_cut_at_every_write(path):
    for cut_at, survivor in ((1, b"v1"), (2, b"v2"), (3, b"v2"), (4, b"v2")):
        base = path + "/%d" % cut_at
        store, _ = opened(base)
        store.save_config(b"v1")
        store, _ = opened(base, TearingFs(cut_at, cut))
        try:
            store.save_config(b"v2")
        except PowerCut:
            pass
        store, _ = opened(base)
        assert store.load_config() == survivor, cut_at
        flip_byte(base + "/cfg.a", 3)
        assert store.load_config() == survivor, cut_at  # the backup is current too
        store, _ = opened(base)
        flip_byte(base + "/cfg.b", 3)
        assert store.load_config() == survivor, cut_at  # and the first copy was repaired


@with_dir
def test_config_limits(path):
    store, _ = opened(path)
    raises(ValueError, store.save_config, bytes(65536))
    store.save_config(b"")
    assert store.load_config() == b""
    store.save_config(b'{"preset": "gentle"}')
    store, _ = opened(path)
    assert store.load_config() == b'{"preset": "gentle"}'
