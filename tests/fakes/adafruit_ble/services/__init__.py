"""The fake adafruit_ble.services: Service adds itself to the local GATT table
(`registered`, in order) and binds every Characteristic of its class at once,
in dir() order, as the library does."""
from ..characteristics import Characteristic

registered = []  # the LocalService of each Service made, in order


class LocalService:
    def __init__(self, uuid, secondary=False):
        self.uuid = uuid
        self.secondary = secondary
        self.remote = False
        self.characteristics = []  # LocalCharacteristic, in binding order


class Service:
    def __init__(self, *, service=None, secondary=False, **initial_values):
        if service is not None:
            raise ValueError("the fake serves local services only")
        self.bleio_service = LocalService(self.uuid, secondary)
        registered.append(self.bleio_service)
        self.bleio_characteristics = {}
        for class_attr in dir(self.__class__):
            if class_attr.startswith("__"):
                continue
            value = getattr(self.__class__, class_attr)
            if not isinstance(value, Characteristic):
                continue
            value.field_name = class_attr
            if class_attr in initial_values:
                setattr(self, class_attr, initial_values[class_attr])
            else:
                getattr(self, class_attr)

    @property
    def remote(self):
        return False
