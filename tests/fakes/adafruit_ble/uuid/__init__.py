"""The fake adafruit_ble.uuid: StandardUUID (16-bit) and VendorUUID (128-bit string),
compared by value; `value` is the int or the lower-case string (the fake's own)."""


class UUID:
    def __eq__(self, other):
        return isinstance(other, UUID) and self.value == other.value

    def __hash__(self):
        return hash(self.value)

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.value)


class StandardUUID(UUID):
    def __init__(self, uuid16):
        if not isinstance(uuid16, int) or not 0 <= uuid16 <= 0xFFFF:
            raise ValueError("a 16-bit UUID")
        self.value = uuid16
        self.size = 16


class VendorUUID(UUID):
    def __init__(self, uuid128):
        digits = uuid128.replace("-", "")
        if len(digits) != 32 or int(digits, 16) < 0:
            raise ValueError("a 128-bit UUID string")
        self.value = uuid128.lower()
        self.size = 128
