"""Where each force sensor sits under the foot.

Foot coordinates, identical for both feet: x in mm toward the *medial* side,
y in mm toward the toes. Each channel is medial, lateral or central.
"""

MEDIAL = 1
CENTRAL = 0
LATERAL = -1

_SIDES = {"medial": MEDIAL, "central": CENTRAL, "lateral": LATERAL}
MAX_CHANNELS = 16   # 8 direct, or 16 through an analog multiplexer
MAX_MM = 120        # |x|, |y| <= 120 mm keeps the centre-of-pressure sums in 31 bits


class SensorMap:
    """Positions and sides of the channels, plus the heel-toe reference line.

    `heel` and `toe` are the (x, y) end points of the heel-toe line used by the
    centre-of-pressure index; by default the most posterior and most anterior
    central sensors (of all sensors when fewer than two are central).
    """

    def __init__(self, sensors, heel=None, toe=None):
        if not 0 < len(sensors) <= MAX_CHANNELS:
            raise ValueError("sensor map: 1 to %d sensors, not %d" % (MAX_CHANNELS, len(sensors)))
        self.x = []
        self.y = []
        self.side = []
        for i, s in enumerate(sensors):
            side = s.get("side")
            if side not in _SIDES:
                raise ValueError("sensor map: channel %d has side %r, expected medial/lateral/central" % (i, side))
            x = int(s["x_mm"])
            y = int(s["y_mm"])
            if not (-MAX_MM <= x <= MAX_MM and -MAX_MM <= y <= MAX_MM):
                raise ValueError("sensor map: channel %d at (%d, %d) mm, outside +-%d mm" % (i, x, y, MAX_MM))
            self.x.append(x)
            self.y.append(y)
            self.side.append(_SIDES[side])
        n = len(self.x)
        line = [i for i in range(n) if self.side[i] == CENTRAL]
        if len(line) < 2:
            line = range(n)
        back = min(line, key=lambda i: self.y[i])
        front = max(line, key=lambda i: self.y[i])
        self.heel = tuple(heel) if heel else (self.x[back], self.y[back])
        self.toe = tuple(toe) if toe else (self.x[front], self.y[front])
        for v in self.heel + self.toe:
            if not -MAX_MM <= v <= MAX_MM:
                raise ValueError("sensor map: heel-toe line outside +-%d mm" % MAX_MM)
        if n > 1 and self.heel == self.toe:
            raise ValueError("sensor map: heel and toe points coincide")
        self.width_mm = max(self.x) - min(self.x)

    def has_sides(self):
        """True when the map can tell medial from lateral (pronation needs it)."""
        return MEDIAL in self.side and LATERAL in self.side and self.width_mm > 0

    @property
    def channels(self):
        return len(self.x)


def from_config(cfg):
    """Build a SensorMap from a board config dict (see firmware/config/)."""
    return SensorMap(cfg["sensors"], cfg.get("heel"), cfg.get("toe"))
