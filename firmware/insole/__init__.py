"""Portable insole core: pure Python shared by CPython, MicroPython and CircuitPython.

Nothing here touches hardware, files or clocks; the board edge passes samples in.
"""
