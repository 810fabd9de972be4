"""The flash store: log, checkpoint and state, numbering floor, power cuts and a full flash
(CPython and MicroPython, on a scratch directory under /tmp)."""
import os

from fsfaults import FullFs, PowerCut, cut, new_dir, remove_tree, tree_size

from edge.store import _SLOT_HEAD_SIZE as SLOT_HEAD, Store, _pack_slot
from insole.record import FLAG_PARTIAL, SIZE, DaySummary, decode, encode
from sim.flash import PowerFs


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
        store.close_day(rec(s, wear_s), rec(s + 1, 0, True))


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
    assert store.load_meta() is None


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
    raises(ValueError, store.checkpoint, rec(2, 60, True))
    raises(ValueError, store.checkpoint, rec(1, 60))
    raises(ValueError, store.close_day, rec(1), rec(3, 0, True))
    raises(ValueError, store.close_day, rec(1, 60, True), rec(2, 0, True))
    raises(ValueError, Store, path, None, 4, 8 * SIZE - 1)


@with_dir
def test_checkpoint_write_is_atomic(path):
    store, _ = opened(path)
    store.checkpoint(rec(1, 300, True))
    for cut_at, survivor in ((1, 300), (2, 600)):
        store, _ = opened(path, PowerFs(cut_at, cut))
        try:
            store.checkpoint(rec(1, 600, True))
        except PowerCut:
            pass
        store, current = opened(path)
        assert decode(current)["wear_s"] == survivor, cut_at
        store.checkpoint(rec(1, 300, True))


@with_dir
def test_close_day_is_exactly_once_at_every_cut(path):
    cut_at = 1
    while True:
        base = path + "/%d" % cut_at
        store, _ = opened(base, segment_records=2)
        close_days(store, 3)
        store.checkpoint(rec(4, 600, True))
        store, _ = opened(base, PowerFs(cut_at, cut), segment_records=2)
        try:
            store.close_day(rec(4, 900), rec(5, 0, True))
            finished = True
        except PowerCut:
            finished = False
        store, current = opened(base, segment_records=2)
        if current is not None and decode(current)["seq"] == 4:
            store.close_day(rec(4, decode(current)["wear_s"]), rec(5, 0, True))
        assert seqs(store) == [1, 2, 3, 4], cut_at
        assert list(store.records_after(3))[0]["wear_s"] in (600, 900)
        assert store.open_seq == 5
        assert store.corrupt <= 1
        if finished:
            break
        cut_at += 1
    assert cut_at == 8  # checkpoint slot, append, floor twice (write + rename), next checkpoint slot


@with_dir
def test_torn_tail_is_counted_and_written_over(path):
    store, _ = opened(path, segment_records=4)
    close_days(store, 5)
    store, _ = opened(path, PowerFs(2, cut), segment_records=4)
    try:
        store.close_day(rec(6), rec(7, 0, True))
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
    store.close_day(rec(4, 1234), rec(5, 0, True))
    with open(path + "/ckpt.a", "wb") as f:  # as if cut before step 3, on a filesystem
        f.write(_pack_slot(99, rec(4, 1234), b""))  # that left record 4 full-size but garbled
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
        close_days(store, 1)
        store.checkpoint(rec(day + 1, 300, True))
    assert fs.full > 0
    assert tree_size(path) <= 1000
    kept = seqs(store)
    assert kept == list(range(store.dropped + 1, 41))
    assert len(kept) >= 4
    store, current = opened(path, segment_records=4)
    assert seqs(store) == kept
    assert decode(current)["wear_s"] == 300
    assert store.open_seq == 41


@with_dir
def test_meta_copies_survive_a_cut_at_every_write(path):
    for cut_at, survivor in ((1, b"v1"), (2, b"v2"), (3, b"v2"), (4, b"v2")):
        base = path + "/%d" % cut_at
        store, _ = opened(base)
        store.save_meta(b"v1")
        store, _ = opened(base, PowerFs(cut_at, cut))
        try:
            store.save_meta(b"v2")
        except PowerCut:
            pass
        store, _ = opened(base)
        assert store.load_meta() == survivor, cut_at
        flip_byte(base + "/meta.a", 3)
        assert store.load_meta() == survivor, cut_at  # the backup is current too
        store, _ = opened(base)
        flip_byte(base + "/meta.b", 3)
        assert store.load_meta() == survivor, cut_at  # and the first copy was repaired


@with_dir
def test_meta_limits(path):
    store, _ = opened(path)
    raises(ValueError, store.save_meta, bytes(65536))
    store.save_meta(b"")
    assert store.load_meta() == b""
    store.save_meta(b'{"preset": "gentle"}')
    store, _ = opened(path)
    assert store.load_meta() == b'{"preset": "gentle"}'


@with_dir
def test_the_state_is_kept_beside_the_checkpoint_and_the_closed_day(path):
    store, _ = opened(path)
    assert store.state is None
    store.checkpoint(rec(1, 300, True), b'{"step": 2}')
    store, current = opened(path)
    assert current == rec(1, 300, True) and store.state == b'{"step": 2}'
    store.close_day(rec(1, 900), rec(2, 0, True), b'{"step": 3}')
    store, current = opened(path)
    assert current == rec(2, 0, True) and store.state == b'{"step": 3}'


@with_dir
def test_a_state_with_a_flipped_byte_is_not_taken(path):
    store, _ = opened(path)
    store.checkpoint(rec(1, 300, True), b'{"step": 2}')
    flip_byte(path + "/ckpt.a", SLOT_HEAD + SIZE + 3)
    store, current = opened(path)
    assert current is None and store.state is None


@with_dir
def test_numbering_never_goes_back_with_the_checkpoint_lost_after_a_factory_reset(path):
    store, _ = opened(path)
    close_days(store, 5)
    store.drop_records()
    assert seqs(store) == []
    for slot in ("a", "b"):
        flip_byte(path + "/ckpt." + slot, SLOT_HEAD + 3)  # the checkpoint's seq is gone too
    store, current = opened(path)
    assert current is None
    assert store.open_seq == 6
    flip_byte(path + "/meta.a", 8)  # and one copy of the floor
    store, _ = opened(path)
    assert store.open_seq == 6
