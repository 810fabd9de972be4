"""The host's side of the link's byte layouts: decoders of what the insole sends and
the encoder of the commands it takes.

The layouts themselves (struct formats, field ranges, opcodes, response
codes) are the firmware's `insole/protocol.py`, shared; the board never loads
this module. Everything here raises ProtocolError with a message on bytes
that do not follow the layout.
"""
from __future__ import annotations

import struct

from insole import protocol as p
from insole import record
from insole.protocol import ProtocolError
from insole.schedule import CUSTOM_PARAMS


def _unpack(layout, data: bytes, what: str) -> dict:
    code, values = p.parse(layout, bytes(data))
    if code != p.OK:
        raise ProtocolError(f"{what}: {values}")
    return dict(zip([f[0] for f in layout[1]], values))


def _unlimit(fields: dict, none: int) -> dict:
    if fields["limit_s"] == none:
        fields["limit_s"] = None
    return fields


def decode_rsc(data: bytes) -> dict:
    """{"flags", "speed_256", "cadence_spm"} of an RSC measurement."""
    return _unpack(p.RSC_LAYOUT, data, "RSC measurement")


def decode_status(data: bytes) -> dict:
    """The Status fields; limit_s None: no limit; flags the STATUS_* bits alone.
    A Status of another layout version (another firmware) raises, naming both."""
    data = bytes(data)
    if len(data) == p.size(p.STATUS_LAYOUT):
        version = data[p.STATUS_VERSION_AT] >> p.STATUS_VERSION_SHIFT
        if version != p.STATUS_VERSION:
            raise ProtocolError(f"status: layout version {version}, but this host reads version {p.STATUS_VERSION}: "
                                "deploy the firmware of this host's version (make deploy)")
    fields = _unpack(p.STATUS_LAYOUT, data, "status")
    fields["flags"] &= p.STATUS_FLAGS
    return _unlimit(fields, p.STATUS_NO_LIMIT)


def decode_alert(data: bytes) -> dict:
    """{"seq", "kind", "day_second", "wear_s", "limit_s"} of an alert event; limit_s None: no limit."""
    return _unlimit(_unpack(p.ALERT_LAYOUT, data, "alert event"), p.ALERT_NO_LIMIT)


def decode_record(data: bytes) -> dict:
    """The fields of one record (record.SIZE bytes)."""
    try:
        return record.decode(bytes(data))
    except record.RecordError as e:
        raise ProtocolError(f"records notification: {e}") from None


def decode_response(data: bytes) -> tuple[int, int, object, bytes]:
    """(opcode, code, value, tag) of a control-point indication: value is the OK
    payload's (device nonce, device proof, record count) or None; tag the bytes
    after it (the session's tag, or b"")."""
    data = bytes(data)
    if len(data) < 2 or not data[0] & p.RESPONSE_BIT:
        raise ProtocolError(f"control-point response: {data!r} is not 0x80|opcode, code")
    opcode, code = data[0] & ~p.RESPONSE_BIT, data[1]
    if code >= len(p.RESPONSE_NAMES):
        raise ProtocolError(f"control-point response: unknown response code {code}")
    fmt = p.RESPONSE_FORMATS.get(opcode) if code == p.OK else None
    size = struct.calcsize(fmt) if fmt else 0
    rest = data[2:]
    if len(rest) not in (size, size + 8):
        raise ProtocolError("control-point response to 0x%02x (%s): %d payload bytes, expected %d"
                            % (opcode, p.RESPONSE_NAMES[code], len(rest), size))
    value = struct.unpack(fmt, rest[:size])[0] if fmt else None
    return opcode, code, value, rest[size:]


def command_name(opcode: int) -> str:
    return p.COMMANDS.get(opcode, ("0x%02x" % opcode,))[0]


def encode_command(opcode: int, *args) -> bytes:
    """The control-point write of a command (before any session tag), checked as
    the device checks it. SET_SCHEDULE takes (preset, params): params a dict with
    start_s, step_s, cap_s and optionally rest (indices) or rest_every, for
    "custom" only."""
    command = p.COMMANDS.get(opcode)
    if command is None:
        raise ProtocolError("unknown opcode 0x%02x" % opcode)
    name, layout = command
    try:
        payload = _pack_schedule(*args) if opcode == p.SET_SCHEDULE else p.pack(layout, args)
    except (ProtocolError, TypeError) as e:
        raise ProtocolError(f"{name}: {e}") from None
    data = bytes((opcode,)) + payload
    _, code, parsed = p.decode_command(data)
    if code != p.OK:
        raise ProtocolError(f"{name}: {parsed}")
    return data


def _pack_schedule(preset, params=None) -> bytes:
    if preset not in p.PRESETS:
        raise ProtocolError("unknown preset %r (%s)" % (preset, ", ".join(p.PRESETS)))
    if preset != "custom":
        if params:
            raise ProtocolError(f"preset {preset} takes no parameters")
        return bytes((p.PRESETS.index(preset),))
    params = params or {}
    for key in params:
        if key not in CUSTOM_PARAMS:
            raise ProtocolError("unknown custom plan parameter %r (%s)" % (key, ", ".join(CUSTOM_PARAMS)))
    for key in CUSTOM_PARAMS[:3]:
        if key not in params:
            raise ProtocolError(f"a custom plan needs {key}")
    rest = tuple(params.get("rest", ()))
    values = (p.PRESETS.index(preset), params["start_s"], params["step_s"], params["cap_s"],
              params.get("rest_every", 0)) + rest
    layout = (p.CUSTOM_FORMAT + "B" * len(rest),
              (("preset", 0, len(p.PRESETS) - 1), ("start_s", 0, p.U32), ("step_s", 0, p.U32),
               ("cap_s", 0, p.U32), ("rest_every", 0, 0xFF)) + (("rest", 0, 0xFF),) * len(rest))
    return p.pack(layout, values)
