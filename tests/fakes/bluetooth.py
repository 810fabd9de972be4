"""A fake `bluetooth` for the BLE binding tests (never on a board's path): UUID only."""


class UUID:
    """A 16-bit number or a 128-bit string, compared by value."""

    def __init__(self, value):
        if isinstance(value, UUID):
            value = value.value
        self.value = value.lower() if isinstance(value, str) else value

    def __eq__(self, other):
        return isinstance(other, UUID) and self.value == other.value

    def __hash__(self):
        return hash(self.value)

    def __repr__(self):
        return "UUID(%r)" % (self.value,)
