"""The sim board: the virtual insole's stand-in for ADC, motor and flash."""


def config_path(name):
    """The path of config/NAME.json in this firmware tree, on any port (no os.path)."""
    f = __file__
    return f[: f.rfind("sim/")] + "config/" + name + ".json"
