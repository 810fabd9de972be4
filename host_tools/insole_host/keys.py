"""Each insole's key, as `make deploy` provisioned it: the host's copy in the user's data directory."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import platformdirs


class MissingKey(LookupError):
    """No usable key for an insole; the message says where it was looked for."""


def keys_dir() -> Path:
    return Path(platformdirs.user_data_dir("insole")) / "keys"


def device_key(device_id: str, key_file: Optional[Path] = None) -> bytes:
    """The 32-byte key of `device_id` (from `key_file` if given)."""
    path = key_file or keys_dir() / f"{device_id}.hex"
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        raise MissingKey(f"no key for {device_id} at {path}: the key is provisioned over USB by "
                         f"`make deploy`; give --key-file") from None
    except ValueError:
        raise MissingKey(f"{path}: not a hex key") from None
