"""The board edge: the only code that touches hardware."""
