"""Recording readers: WFDB 212 against the headers' own checks, and bad lines."""
from sim.recordings import GaitpdbReader, decode_212, read_header
from support import data_dir

RECORDS = ("control1", "control2", "park1", "park2", "hunt1", "als1")


def test_decode_212_packs_two_12_bit_samples_in_three_bytes():
    assert decode_212(bytes([0x01, 0x20, 0x03])) == [1, 515]
    assert decode_212(bytes([0xFF, 0xFF, 0x00])) == [-1, -256]
    assert decode_212(bytes([0x00, 0x08, 0x00])) == [-2048, 0]


def test_every_gaitndd_signal_matches_its_header():
    base = data_dir("gaitndd")
    for rec in RECORDS:
        head = read_header(base + "/" + rec + ".hea")
        assert head["fs"] == 300
        for ext in (".let", ".rit"):
            with open(base + "/" + rec + ext, "rb") as f:
                samples = decode_212(f.read())
            first, checksum = head["signals"][rec + ext]
            assert len(samples) == head["samples"]
            if first != -32768:
                assert samples[0] == first
            s = sum(samples) & 0xFFFF
            assert (s - 0x10000 if s >= 0x8000 else s) == checksum, (rec, ext)


def test_gaitpdb_bad_lines_are_skipped_and_reported():
    src = data_dir("gaitpdb") + "/GaCo01_01.txt"
    path = "/tmp/insole-test-garbled.txt"
    with open(src) as f:
        lines = [f.readline() for _ in range(50)]
    lines[10] = lines[10][:20] + "\r\n"              # truncated
    lines[20] = lines[20].replace("8", "x", 1)        # garbled
    with open(path, "w") as f:
        f.write("".join(lines) + lines[0][:7])        # and a torn last line
    reader = GaitpdbReader(path, "L")
    rows = list(reader)
    assert len(rows) == 48 and all(len(r) == 8 for r in rows)
    assert [at for at, _ in reader.errors] == [11, 21, 51]
    assert "columns" in reader.errors[0][1] and "number" in reader.errors[1][1]
