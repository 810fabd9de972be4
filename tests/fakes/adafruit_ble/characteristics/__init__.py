"""The fake adafruit_ble.characteristics: Characteristic, a descriptor on a Service
class, bound to a LocalCharacteristic (what _bleio keeps in the local GATT table)
when the Service is made. The property bits are _bleio's, not the Bluetooth ones.

Setting a local value does what CircuitPython's nRF port does: it checks the
length against max_length (ValueError), stores the value, then notifies and/or
indicates it to every connected central whose CCCD asks for it. `sets` keeps
every value set locally.
"""
from ..attributes import Attribute


class LocalCharacteristic:
    def __init__(self, uuid, properties, read_perm, write_perm, max_length, fixed_length, initial_value):
        self.uuid = uuid
        self.properties = properties
        self.read_perm = read_perm
        self.write_perm = write_perm
        self.max_length = max_length
        self.fixed_length = fixed_length
        self._value = bytes(initial_value)
        self.sets = []

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, data):
        data = bytes(data)
        if self.fixed_length and len(data) != self.max_length:
            raise ValueError("Value length != required fixed length")
        if len(data) > self.max_length:
            raise ValueError("Value length > max_length")
        self._value = data
        self.sets.append(data)
        import adafruit_ble  # the package, loaded by now: its connected centrals
        for connection in list(adafruit_ble.live):
            connection._updated(self, data)


class Characteristic:
    BROADCAST = 0x01
    INDICATE = 0x02
    NOTIFY = 0x04
    READ = 0x08
    WRITE = 0x10
    WRITE_NO_RESPONSE = 0x20

    def __init__(self, *, uuid=None, properties=0, read_perm=Attribute.OPEN, write_perm=Attribute.OPEN,
                 max_length=None, fixed_length=False, initial_value=None):
        self.field_name = None  # set by Service
        if uuid:
            self.uuid = uuid
        self.properties = properties
        self.read_perm = read_perm
        self.write_perm = write_perm
        self.max_length = max_length
        self.fixed_length = fixed_length
        self.initial_value = initial_value

    def _ensure_bound(self, service, initial_value=None):
        if self.field_name in service.bleio_characteristics:
            return
        if initial_value is None:
            initial_value = self.initial_value
        if initial_value is None and self.max_length:
            initial_value = bytes(self.max_length)
        max_length = self.max_length
        if max_length is None and initial_value is None:
            max_length, initial_value = 0, b""
        elif max_length is None:
            max_length = len(initial_value)
        local = LocalCharacteristic(self.uuid, self.properties, self.read_perm, self.write_perm, max_length,
                                    self.fixed_length, initial_value)
        service.bleio_service.characteristics.append(local)
        service.bleio_characteristics[self.field_name] = local

    def __get__(self, service, cls=None):
        if service is None:
            return self
        self._ensure_bound(service)
        return service.bleio_characteristics[self.field_name].value

    def __set__(self, service, value):
        self._ensure_bound(service, value)
        service.bleio_characteristics[self.field_name].value = b"" if value is None else value
