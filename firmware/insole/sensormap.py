"""Where each force sensor sits under the foot.

Foot coordinates, identical for both feet: x in mm toward the *medial* side,
y in mm toward the toes. Each channel is medial, lateral or central.
"""

MEDIAL = 1
CENTRAL = 0
LATERAL = -1

_SIDES = {"medial": MEDIAL, "central": CENTRAL, "lateral": LATERAL}


class SensorMap:
    """Positions and sides of the channels, plus the heel-toe reference line.

    `heel` and `toe` are the (x, y) end points of the heel-toe line used by the
    centre-of-pressure index; by default the most posterior and most anterior
    central sensors.
    """

    def __init__(self, sensors, heel=None, toe=None):
        if not sensors:
            raise ValueError("sensor map: no sensors")
        self.x = []
        self.y = []
        self.side = []
        for i, s in enumerate(sensors):
            side = s.get("side")
            if side not in _SIDES:
                raise ValueError("sensor map: channel %d has side %r, expected medial/lateral/central" % (i, side))
            self.x.append(int(s["x_mm"]))
            self.y.append(int(s["y_mm"]))
            self.side.append(_SIDES[side])
        n = len(self.x)
        back = min(range(n), key=lambda i: self.y[i])
        front = max(range(n), key=lambda i: self.y[i])
        self.heel = tuple(heel) if heel else (self.x[back], self.y[back])
        self.toe = tuple(toe) if toe else (self.x[front], self.y[front])
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
