"""Run core test modules under MicroPython: micropython run_micropython.py MODULE...

Imports each module from tests/core, calls every test_* function, and prints
one line per test and a closing 'N passed, N failed, N skipped' line.
"""
import sys

here = sys.argv[0].rsplit("/", 1)[0] if "/" in sys.argv[0] else "."
sys.path.insert(0, here + "/../firmware")
sys.path.insert(0, here + "/core")

passed = failed = skipped = 0
for name in sys.argv[1:]:
    module = __import__(name)
    for attr in sorted(dir(module)):
        if not attr.startswith("test_"):
            continue
        fn = getattr(module, attr)
        try:
            fn()
            passed += 1
            print("PASS %s.%s" % (name, attr))
        except Exception as e:
            if type(e).__name__ == "SkipTest":
                skipped += 1
                print("SKIP %s.%s: %s" % (name, attr, e))
            else:
                failed += 1
                print("FAIL %s.%s: %s %s" % (name, attr, type(e).__name__, e))
                sys.print_exception(e)
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed else 0)
