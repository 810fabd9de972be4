"""Heap that importing insole/protocol.py costs a board, for bench/boards.py.

    micropython bench/protocol_heap.py TREE

TREE holds `insole/` compiled to .mpy. The modules protocol.py imports are
imported first (the board needs them anyway); then protocol itself. Prints
the bytes gc.mem_alloc() grew by, after gc.collect().
"""
import gc
import sys

sys.path.insert(0, sys.argv[1])
from insole import alerts, auth, clock, record, schedule  # noqa: E402,F401

gc.collect()
before = gc.mem_alloc()
from insole import protocol  # noqa: E402,F401

gc.collect()
print(gc.mem_alloc() - before)
