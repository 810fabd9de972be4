# The insole frozen into a MicroPython firmware image for the ESP32 boards: the
# bytecode runs from flash instead of being loaded into the heap. Build it in a
# MicroPython checkout (README, "Freezing the firmware"):
#
#     cd micropython/ports/esp32
#     make BOARD=ESP32_GENERIC_S3 FROZEN_MANIFEST=/path/to/insole/firmware/manifest.py
#
# The same modules as `make deploy` copies to a MicroPython board (the test
# tests/boards/test_manifest.py checks it), and main.py, which the port runs
# frozen in place of a main.py on the filesystem. config.json stays on the
# filesystem: it holds the board's pins and its key.

# The port's own frozen modules (_boot.py, which mounts the filesystem; asyncio).
include("$(PORT_DIR)/boards/manifest.py")

# aioble from micropython-lib, the parts the link uses: advertising, GATT server, bonding.
require("aioble-peripheral")
require("aioble-server")
require("aioble-security")

package("insole")
package("edge")
package("boards", files=("__init__.py", "esp32.py"))
module("main.py")
