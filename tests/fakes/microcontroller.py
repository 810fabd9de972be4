"""A fake CircuitPython `microcontroller`: only its watchdog."""


class WatchDogTimer:
    def __init__(self):
        self.mode = None
        self.timeout = None
        self.feeds = 0

    def feed(self):
        self.feeds += 1


watchdog = WatchDogTimer()
