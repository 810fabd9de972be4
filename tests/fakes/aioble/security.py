"""The fake aioble.security: remembers where the bonds are kept."""
calls = []


def load_secrets(path=None):
    calls.append(("load_secrets", path))
