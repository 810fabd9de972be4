"""Locate (and optionally download) the PhysioNet gait recordings the virtual insole replays.

Search order for ``find_recording``: ``$INSOLE_DATA``, ``shared/data/`` beside the
checkout, the user's data cache, then (only if allowed) PhysioNet itself, with every
download verified against a SHA-256 before it is cached.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Mapping, Optional

import platformdirs

__all__ = [
    "PHYSIONET_BASE", "DATASETS", "DEMO_RECORDINGS", "PINNED_SHA256",
    "RecordingNotFound", "ChecksumMismatch", "find_recording",
    "ensure_demo_recordings", "credit", "checkout_root", "set_checkout_root",
]

PHYSIONET_BASE = "https://physionet.org/files"
DATASETS = {"gaitpdb": "1.0.0", "gaitndd": "1.0.0"}
TIMEOUT_S = 30

DEMO_RECORDINGS = ("GaCo01_01.txt", "GaCo03_01.txt", "GaPt03_01.txt", "SiCo01_01.txt")

# Copied from PhysioNet's published gaitpdb 1.0.0 SHA256SUMS.txt.
PINNED_SHA256 = {
    ("gaitpdb", "GaCo01_01.txt"): "81bcedc0f72c1c6804d7830627431a6c1b76e9ddb42de0cf1ae2f418848c13a4",
    ("gaitpdb", "GaCo03_01.txt"): "ca21dadbd47f5f56ac37ea6cf3067d0f98e8936bb2830396aa3c5b0d387db216",
    ("gaitpdb", "GaPt03_01.txt"): "e2e55fb21fa64392eaa924005c5615ce1fac690d7d52f078404ec3ff7e2c7f3d",
    ("gaitpdb", "SiCo01_01.txt"): "d9c72a50215bdbf335435dca8cb2d5e2231811ea925b057132a8d7841704115a",
}

_CREDITS = {
    "gaitpdb": "Data: PhysioNet Gait in Parkinson's Disease (gaitpdb 1.0.0), ODC-By 1.0; "
               "Yogev et al. 2005; Hausdorff et al. 2007; Frenkel-Toledo et al. 2005; "
               "Goldberger et al. 2000 (PhysioNet).",
    "gaitndd": "Data: PhysioNet Gait Dynamics in Neuro-Degenerative Disease (gaitndd 1.0.0), "
               "ODC-By 1.0; Hausdorff et al. 2000; Hausdorff et al. 1997; "
               "Goldberger et al. 2000 (PhysioNet).",
}

_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_checkout_override: Optional[Path] = None


class RecordingNotFound(FileNotFoundError):
    """No local copy of the recording, and it could not be downloaded."""


class ChecksumMismatch(Exception):
    """A downloaded file does not match its expected SHA-256 (nothing was cached)."""


class _FetchError(Exception):
    """Internal: a download failed for a reason worth showing the user."""


def checkout_root() -> Path:
    """The git checkout (``<root>/main``); ``shared/`` lives in its parent."""
    return _checkout_override or Path(__file__).resolve().parents[2]


def set_checkout_root(path: Optional[os.PathLike]) -> None:
    """Override the checkout root (tests); ``None`` restores the default."""
    global _checkout_override
    _checkout_override = Path(path) if path is not None else None


def default_cache_root() -> Path:
    """Per-user folder holding ``<dataset>/<name>`` downloads."""
    return Path(platformdirs.user_data_dir("insole")) / "recordings"


def credit(dataset: str) -> str:
    """One-paragraph attribution for a dataset."""
    _check_dataset(dataset)
    return _CREDITS[dataset]


def find_recording(name: str, dataset: str = "gaitpdb", download: bool = False,
                   env: Optional[Mapping[str, str]] = None,
                   cache_dir: Optional[os.PathLike] = None,
                   base_url: Optional[str] = None) -> Path:
    """Return the path of recording ``name`` of ``dataset``; see the module docstring.

    ``cache_dir`` replaces the default cache root; downloads go to
    ``<cache_dir>/<dataset>/<name>``.
    """
    _check_dataset(dataset)
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"not a plain recording file name: {name!r}")
    env = os.environ if env is None else env
    cache_root = Path(cache_dir) if cache_dir is not None else default_cache_root()

    roots = []
    if env.get("INSOLE_DATA"):
        roots.append(("INSOLE_DATA", Path(env["INSOLE_DATA"]).expanduser()))
    roots.append(("shared data beside the checkout", checkout_root().parent / "shared" / "data"))
    roots.append(("user cache", cache_root))
    for _, root in roots:
        for candidate in (root / dataset / name, root / name):
            if candidate.is_file():
                return candidate

    looked = [f"{label}: {root}" for label, root in roots]
    if not env.get("INSOLE_DATA"):
        looked.insert(0, "INSOLE_DATA: (not set)")
    if not download:
        raise RecordingNotFound(_not_found_message(name, dataset, looked, "not allowed"))
    try:
        return _download(name, dataset, cache_root / dataset, base_url)
    except _FetchError as exc:
        raise RecordingNotFound(_not_found_message(name, dataset, looked, str(exc))) from exc


def ensure_demo_recordings(download: bool = True, env: Optional[Mapping[str, str]] = None,
                           cache_dir: Optional[os.PathLike] = None,
                           base_url: Optional[str] = None) -> list[Path]:
    """Locate (downloading if allowed) every file in ``DEMO_RECORDINGS``."""
    return [find_recording(n, "gaitpdb", download=download, env=env,
                           cache_dir=cache_dir, base_url=base_url)
            for n in DEMO_RECORDINGS]


def _check_dataset(dataset: str) -> None:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {sorted(DATASETS)}")


def _not_found_message(name: str, dataset: str, looked: list, reason: str) -> str:
    where = "\n".join(f"  - {line}" for line in looked)
    return (f"recording {name!r} ({dataset}) not found.\nLooked in:\n{where}\n"
            f"Download: {reason}.\n"
            f"To fix: set INSOLE_DATA=/path/to/folder (holding {dataset}/{name} or {name}), "
            f"or run with downloading allowed (`make demo` downloads), "
            f"or fetch the files from https://physionet.org/content/{dataset}/{DATASETS[dataset]}/.")


def _url(base_url: Optional[str], dataset: str, name: str) -> str:
    base = (base_url or PHYSIONET_BASE).rstrip("/")
    parts = urllib.parse.urlsplit(base)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError(f"refusing non-HTTPS download base {base!r}")
    return f"{base}/{dataset}/{DATASETS[dataset]}/{name}"


def _open(url: str):
    request = urllib.request.Request(url, headers={"User-Agent": "insole-host/recordings"})
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        raise _FetchError(f"{url} returned HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise _FetchError(f"no network: {getattr(exc, 'reason', exc)} ({url})") from exc


def _expected_sha256(name: str, dataset: str, base_url: Optional[str]) -> str:
    pinned = PINNED_SHA256.get((dataset, name))
    if pinned:
        return pinned.lower()
    url = _url(base_url, dataset, "SHA256SUMS.txt")
    try:
        with _open(url) as response:
            text = response.read().decode("utf-8", "replace")
    except OSError as exc:
        raise _FetchError(f"no network: {exc} ({url})") from exc
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1].lstrip("*") == name:
            return fields[0].lower()
    raise _FetchError(f"{name} is not listed in {url}, so it cannot be verified")


def _download(name: str, dataset: str, dest_dir: Path, base_url: Optional[str]) -> Path:
    """Download, verify and atomically cache one file; return its cached path."""
    expected = _expected_sha256(name, dataset, base_url)
    url = _url(base_url, dataset, name)
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=dest_dir)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, _open(url) as response:
            try:
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    digest.update(chunk)
                    out.write(chunk)
            except OSError as exc:
                raise _FetchError(f"no network: download interrupted: {exc} ({url})") from exc
        if digest.hexdigest() != expected:
            raise ChecksumMismatch(
                f"{url}: SHA-256 is {digest.hexdigest()}, expected {expected}; "
                f"the file was not cached (corrupt download or changed upstream file)")
        dest = dest_dir / name
        os.replace(tmp, dest)
        return dest
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
