"""Distances on the city's scale, and coordinate sanity checks."""

from __future__ import annotations

import math

from bot.services.reservations.errors import InvalidInput

EARTH_KM = 6371.0088


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def check_point(lat: object, lng: object, center: tuple[float, float],
                radius_km: float) -> tuple[float, float]:
    """``(lat, lng)`` as floats, inside the city.

    Raises:
        InvalidInput: not numbers, impossible coordinates, or too far from the city.
    """
    try:
        la, ln = float(lat), float(lng)  # type: ignore[arg-type]  # any input: TypeError is caught
    except (TypeError, ValueError):
        raise InvalidInput("location", "位置无法识别。", "That location cannot be read.") from None
    if not (math.isfinite(la) and math.isfinite(ln)) or not (-90 <= la <= 90 and
                                                              -180 <= ln <= 180):
        raise InvalidInput("location", "位置坐标不可能存在。", "Those coordinates are impossible.")
    if distance_km(la, ln, *center) > radius_km:
        raise InvalidInput("location", "这个位置不在本市服务范围内。",
                           "That place is outside the city this service covers.")
    return la, ln
