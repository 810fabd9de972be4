"""The host's dependencies, with the firmware's package (insole-firmware) taken from
this checkout's firmware-package/ folder when there is one: pip takes no relative
path in a dependency, so its absolute file URI is written here at build time.
Built from an sdist (no checkout around it), insole-firmware is asked for by name."""
from pathlib import Path

from setuptools import setup

FIRMWARE_PACKAGE = Path(__file__).resolve().parent.parent / "firmware-package"
FIRMWARE = ("insole-firmware @ " + FIRMWARE_PACKAGE.as_uri() if (FIRMWARE_PACKAGE / "setup.py").is_file()
            else "insole-firmware")

setup(install_requires=[
    "click>=8.1",
    "platformdirs>=3",
    "matplotlib>=3.5",
    "bumble>=0.0.236",  # BLE host stack: a USB dongle as the central; the link tests' virtual controllers
    "bleak>=3.1",       # the laptop's own Bluetooth
    FIRMWARE,           # the firmware's core (`insole`) and its image
])
