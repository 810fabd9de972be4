"""insole-firmware, built from the checkout's firmware/ (which holds only what a board
boots, so this packaging lives beside it):

- `insole`, the pure core (it runs on CPython too): importable, for the host's codecs;
- the whole firmware folder as data, `insole_firmware.image()`: what a deploy lays out
  and the virtual insole boots. Its main, boards, edge and sim are never importable.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

FIRMWARE = "../firmware"


class BuildWithImage(build_py):
    """build_py, and the firmware folder copied to insole_firmware/image (an editable
    install reads the checkout's folder instead)."""

    def run(self):
        super().run()
        if not self.editable_mode:
            image = Path(self.build_lib) / "insole_firmware" / "image"
            shutil.rmtree(image, ignore_errors=True)  # a file gone from firmware/ goes from the image too
            shutil.copytree(FIRMWARE, image, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mpy"))


setup(packages=["insole", "insole_firmware"], package_dir={"insole": FIRMWARE + "/insole"},
      cmdclass={"build_py": BuildWithImage})
