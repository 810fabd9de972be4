"""Tests for insole_host.recordings: lookup order, cache, verified downloads."""
import hashlib
import http.server
import socket
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "host_tools"))

from insole_host import recordings  # noqa: E402
from insole_host.recordings import (  # noqa: E402
    ChecksumMismatch, RecordingNotFound, find_recording,
)

REAL_SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "gaitpdb"  # beside the checkout


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_in(folder: Path) -> list:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.fixture
def layout(tmp_path):
    """A fake <root>/main checkout with <root>/shared/data, plus a cache dir."""
    root = tmp_path / "root"
    (root / "main").mkdir(parents=True)
    recordings.set_checkout_root(root / "main")
    yield {"shared": root / "shared" / "data", "cache": tmp_path / "cache",
           "env_dir": tmp_path / "insole_data"}
    recordings.set_checkout_root(None)


@pytest.fixture
def server():
    """Loopback HTTP server serving ``files`` ({url path: bytes}) and logging requests."""
    state = {"files": {}, "requests": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            state["requests"].append(self.path)
            body = state["files"].get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state["base"] = f"http://127.0.0.1:{httpd.server_address[1]}/files"
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def put(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_insole_data_wins(layout):
    name = "GaCo01_01.txt"
    put(layout["shared"] / "gaitpdb" / name)
    put(layout["cache"] / "gaitpdb" / name)
    flat = put(layout["env_dir"] / name)
    env = {"INSOLE_DATA": str(layout["env_dir"])}
    assert find_recording(name, env=env, cache_dir=layout["cache"]) == flat
    nested = put(layout["env_dir"] / "gaitpdb" / name)
    assert find_recording(name, env=env, cache_dir=layout["cache"]) == nested


def test_shared_beside_checkout(layout):
    want = put(layout["shared"] / "gaitndd" / "als1.ts")
    put(layout["cache"] / "gaitndd" / "als1.ts")
    assert find_recording("als1.ts", "gaitndd", env={}, cache_dir=layout["cache"]) == want


@pytest.mark.skipif(not REAL_SHARED.is_dir(), reason="no real shared/data/gaitpdb")
def test_real_shared_checkout(tmp_path):
    recordings.set_checkout_root(None)
    found = find_recording("GaCo01_01.txt", env={}, cache_dir=tmp_path)
    assert found == REAL_SHARED / "GaCo01_01.txt"


def test_cache_hit_without_download(layout, server):
    cached = put(layout["cache"] / "gaitpdb" / "GaPt03_01.txt")
    got = find_recording("GaPt03_01.txt", download=True, env={},
                         cache_dir=layout["cache"], base_url=server["base"])
    assert got == cached and server["requests"] == []


def test_default_cache_root_uses_platformdirs(monkeypatch, tmp_path):
    monkeypatch.setattr(recordings.platformdirs, "user_data_dir", lambda app: str(tmp_path / app))
    assert recordings.default_cache_root() == tmp_path / "insole" / "recordings"


def test_not_found_without_download(layout, server):
    with pytest.raises(RecordingNotFound) as info:
        find_recording("GaCo01_01.txt", env={}, cache_dir=layout["cache"], base_url=server["base"])
    msg = str(info.value)
    assert "INSOLE_DATA" in msg and "make demo" in msg and str(layout["shared"]) in msg
    assert "https://physionet.org/content/gaitpdb/1.0.0/" in msg
    assert server["requests"] == []


def test_download_pinned_then_cached(layout, server, monkeypatch):
    body = b"0.00 1 2 3\n"
    monkeypatch.setitem(recordings.PINNED_SHA256, ("gaitpdb", "GaCo99_01.txt"), sha(body))
    server["files"]["/files/gaitpdb/1.0.0/GaCo99_01.txt"] = body
    kw = dict(download=True, env={}, cache_dir=layout["cache"], base_url=server["base"])
    got = find_recording("GaCo99_01.txt", **kw)
    assert got == layout["cache"] / "gaitpdb" / "GaCo99_01.txt"
    assert got.read_bytes() == body
    assert files_in(layout["cache"]) == [got]
    assert server["requests"] == ["/files/gaitpdb/1.0.0/GaCo99_01.txt"]
    assert find_recording("GaCo99_01.txt", **kw) == got
    assert len(server["requests"]) == 1


def test_wrong_sum_of_pinned_file_is_not_cached(layout, server):
    server["files"]["/files/gaitpdb/1.0.0/GaCo01_01.txt"] = b"tampered"
    with pytest.raises(ChecksumMismatch, match="81bcedc0"):
        find_recording("GaCo01_01.txt", download=True, env={},
                       cache_dir=layout["cache"], base_url=server["base"])
    assert files_in(layout["cache"]) == []


def test_unpinned_file_verified_via_sha256sums(layout, server):
    body = b"als data\n"
    server["files"]["/files/gaitndd/1.0.0/als1.ts"] = body
    server["files"]["/files/gaitndd/1.0.0/SHA256SUMS.txt"] = (
        f"{sha(b'other')} control1.ts\n{sha(body)} als1.ts\n".encode())
    got = find_recording("als1.ts", "gaitndd", download=True, env={},
                         cache_dir=layout["cache"], base_url=server["base"])
    assert got.read_bytes() == body
    assert "/files/gaitndd/1.0.0/SHA256SUMS.txt" in server["requests"]


def test_unpinned_file_with_wrong_published_sum(layout, server):
    server["files"]["/files/gaitndd/1.0.0/als1.ts"] = b"als data\n"
    server["files"]["/files/gaitndd/1.0.0/SHA256SUMS.txt"] = f"{sha(b'x')}  als1.ts\n".encode()
    with pytest.raises(ChecksumMismatch):
        find_recording("als1.ts", "gaitndd", download=True, env={},
                       cache_dir=layout["cache"], base_url=server["base"])
    assert files_in(layout["cache"]) == []


def test_unpinned_file_not_listed(layout, server):
    server["files"]["/files/gaitndd/1.0.0/als1.ts"] = b"als data\n"
    server["files"]["/files/gaitndd/1.0.0/SHA256SUMS.txt"] = b""
    with pytest.raises(RecordingNotFound, match="not listed"):
        find_recording("als1.ts", "gaitndd", download=True, env={},
                       cache_dir=layout["cache"], base_url=server["base"])
    assert files_in(layout["cache"]) == []


def test_server_unreachable(layout):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RecordingNotFound) as info:
        find_recording("GaCo01_01.txt", download=True, env={}, cache_dir=layout["cache"],
                       base_url=f"http://127.0.0.1:{port}/files")
    assert "no network" in str(info.value) and "INSOLE_DATA" in str(info.value)
    assert files_in(layout["cache"]) == []


def test_http_404(layout, server):
    with pytest.raises(RecordingNotFound, match="404"):
        find_recording("GaCo01_01.txt", download=True, env={},
                       cache_dir=layout["cache"], base_url=server["base"])
    assert files_in(layout["cache"]) == []


def test_rejects_unsafe_names_and_plain_http(layout):
    with pytest.raises(ValueError):
        find_recording("../secret.txt", env={}, cache_dir=layout["cache"])
    with pytest.raises(ValueError):
        find_recording("GaCo01_01.txt", dataset="nope")
    with pytest.raises(ValueError, match="non-HTTPS"):
        find_recording("GaCo01_01.txt", download=True, env={}, cache_dir=layout["cache"],
                       base_url="http://physionet.org/files")


def test_ensure_demo_recordings_from_insole_data(layout):
    for name in recordings.DEMO_RECORDINGS:
        put(layout["env_dir"] / "gaitpdb" / name)
    paths = recordings.ensure_demo_recordings(
        download=False, env={"INSOLE_DATA": str(layout["env_dir"])}, cache_dir=layout["cache"])
    assert [p.name for p in paths] == list(recordings.DEMO_RECORDINGS)


@pytest.mark.skipif(not REAL_SHARED.is_dir(), reason="no real shared/data/gaitpdb")
def test_pins_match_real_shared_files():
    for (_, name), pinned in recordings.PINNED_SHA256.items():
        assert sha((REAL_SHARED / name).read_bytes()) == pinned


def test_pins_and_credit():
    assert set(recordings.PINNED_SHA256) == {("gaitpdb", n) for n in recordings.DEMO_RECORDINGS}
    assert all(len(h) == 64 for h in recordings.PINNED_SHA256.values())
    assert "ODC-By 1.0" in recordings.credit("gaitpdb") and "Yogev" in recordings.credit("gaitpdb")
    assert "Hausdorff et al. 1997" in recordings.credit("gaitndd")
