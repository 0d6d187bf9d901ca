"""The package's public API is what __init__ exports."""

import bot.services.reservations as pkg


def test_every_name_in_all_exists() -> None:
    assert pkg.__all__ and all(hasattr(pkg, name) for name in pkg.__all__)
