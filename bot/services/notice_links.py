"""The firm's link to its approval notice: ``/notice/<id>-<mac>``.

A page cannot send a bearer header, so the link carries the credential: the filing id and
an HMAC of it (the hub's blind-index key, purpose ``notice-link``), not stored anywhere.
Kept apart from :mod:`bot.services.resumption_notice` and free of the filings package, so
the filings code (chat message, ``GET /api/v1/filings/mine``) can import it without a cycle.
"""

from __future__ import annotations

import hmac
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.hub import Hub

LINK_PURPOSE = "notice-link"
LINK_MAC_CHARS = 32  #: hex characters of the link's HMAC: 128 bits
LINK_PATTERN = r"\d{1,9}-[0-9a-f]{32}"
_LINK = re.compile(r"(\d{1,9})-([0-9a-f]{32})")


def link_token(hub: Hub, filing_id: int) -> str:
    """The firm's link token of a filing's notice: ``<id>-<hmac>``."""
    mac = hub.sealer.blind_index(LINK_PURPOSE, str(filing_id))[:LINK_MAC_CHARS]
    return f"{filing_id}-{mac}"


def notice_path(hub: Hub, filing_id: int) -> str:
    """``/notice/<token>``: the page the firm prints (give it only to the firm)."""
    return f"/notice/{link_token(hub, filing_id)}"


def notice_url(hub: Hub, filing_id: int) -> str:
    """The absolute link for the firm's chat message (setting ``public_url``)."""
    return hub.settings.public_url.rstrip("/") + notice_path(hub, filing_id)


def filing_of_token(hub: Hub, token: str) -> int | None:
    """The filing id a link token is for, or None when it is not one of ours."""
    match = _LINK.fullmatch(token)
    if match is None:
        return None
    filing_id = int(match.group(1))
    if not hmac.compare_digest(link_token(hub, filing_id).encode(), token.encode()):
        return None
    return filing_id
