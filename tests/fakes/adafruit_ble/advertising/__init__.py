"""The fake adafruit_ble.advertising: Advertisement as the library builds one
(a dict of AD structures, `connectable`, bytes() the encoded payload)."""


class Advertisement:
    def __init__(self, *, entry=None):
        self.data_dict = {}
        self.connectable = False
        self.mutable = True

    @property
    def complete_name(self):
        value = self.data_dict.get(0x09)
        return None if value is None else value.decode()

    @complete_name.setter
    def complete_name(self, name):
        self.data_dict[0x09] = name.encode()

    def __bytes__(self):
        return b"".join(bytes((len(v) + 1, k)) + v for k, v in self.data_dict.items())

    def __len__(self):
        return sum(len(v) + 2 for v in self.data_dict.values())
