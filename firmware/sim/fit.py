"""How an insole sits under the virtual wearer's foot, as changes to the forces
its sensors feel (the forces of a recorded walk, before the modelled FSRs):

    lateral=P   P per mille of each medial sensor's force moves to the lateral
                sensor nearest to it along the foot: an orthotic that pushes
                the foot toward supination. With both sides loaded alike the
                medial-lateral index drops by about P.
    gainN=P     sensor N (0-based) feels P per mille of its force: an FSR that
                has lost sensitivity with wear.

`Fit(sensors, params)` takes the board config's sensor list and a dict of
those (int values); an empty dict changes nothing.
"""


class Fit:
    """A transform of one row of forces (N), in place; `key` names it for a cache."""

    def __init__(self, sensors, params=None):
        self.moves = []  # (medial, lateral, fraction)
        self.gains = {}
        changed = []  # the parameters that change something, for the key
        for name, value in sorted((params or {}).items()):
            if name == "lateral":
                if not 0 <= value <= 1000:
                    raise ValueError("fit: lateral=%d: give 0..1000 per mille" % value)
                if value:
                    self.moves = _partners(sensors, value / 1000)
                    changed.append("%s%d" % (name, value))
            elif name.startswith("gain") and name[4:].isdigit() and int(name[4:]) < len(sensors):
                if not 0 <= value <= 2000:
                    raise ValueError("fit: %s=%d: give 0..2000 per mille" % (name, value))
                if value != 1000:
                    self.gains[int(name[4:])] = value / 1000
                    changed.append("%s%d" % (name, value))
            else:
                raise ValueError("fit: unknown %r (lateral=P, gainN=P with N a sensor 0..%d)"
                                 % (name, len(sensors) - 1))
        self.key = "-".join(changed)

    def apply(self, forces):
        for medial, lateral, fraction in self.moves:
            moved = forces[medial] * fraction
            forces[medial] -= moved
            forces[lateral] += moved
        for ch, gain in self.gains.items():
            forces[ch] *= gain


def _partners(sensors, fraction):
    lateral = [i for i, s in enumerate(sensors) if s.get("side") == "lateral"]
    if not lateral:
        raise ValueError("fit: lateral needs a sensor map with lateral sensors")
    moves = []
    for i, s in enumerate(sensors):
        if s.get("side") == "medial":
            nearest = min(lateral, key=lambda j: abs(sensors[j]["y_mm"] - s["y_mm"]))
            moves.append((i, nearest, fraction))
    return moves
