"""Every column that holds sealed data, with the context it was sealed under.

A new sealed column must be added here, or ``tongguan secrets rotate-seal`` leaves it
under the old key (``tests/services/privacy/test_rotate_seal.py`` checks the list against
the models: every ``LargeBinary`` column is either here or named in :data:`NOT_SEALED`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SealedColumns:
    """The sealed columns of one table."""

    table: str
    key: str  #: the primary key column (one column)
    columns: tuple[str, ...]
    #: the column whose value (UTF-8) is the sealing context, if any
    context_column: str | None = None
    context: bytes = b""  #: a fixed context otherwise
    #: the value is JSON ``{"sealed": base64}`` instead of raw bytes
    json_b64: bool = False

    def context_of(self, row: Any) -> bytes:
        if self.context_column is None:
            return self.context
        return str(getattr(row, self.context_column)).encode()

    def blob_of(self, value: Any) -> bytes | None:
        """The sealed bytes of a column value (None: nothing sealed)."""
        if value is None:
            return None
        if self.json_b64:
            sealed = value.get("sealed") if isinstance(value, dict) else None
            return base64.b64decode(sealed) if sealed else None
        return bytes(value)

    def value_of(self, blob: bytes, old: Any) -> Any:
        """The column value holding ``blob`` (keeping a JSON value's other fields)."""
        if self.json_b64:
            return {**old, "sealed": base64.b64encode(blob).decode()}
        return blob

    def needs_guard(self) -> bool:
        """Whether an update may compare the old value (bytes compare; JSON does not)."""
        return not self.json_b64


SEALED: tuple[SealedColumns, ...] = (
    SealedColumns("conversations", "id", ("state",), context_column="user_key"),
    SealedColumns("turns", "id", ("sealed",)),
    SealedColumns("records", "id", ("data",)),
    SealedColumns("profiles", "id", ("data",), context_column="user_key"),
    SealedColumns("handoffs", "id", ("transcript",)),
    SealedColumns("handoff_messages", "id", ("body",)),
    SealedColumns("health_declarations", "id", ("name", "id_number", "phone", "answers")),
    SealedColumns("residents", "id", ("name", "building")),
    SealedColumns("filings", "id", ("private",), context=b"filing"),
    SealedColumns("supply_reservations", "id", ("name_sealed", "code_sealed")),
    SealedColumns("supply_registrations", "id", ("name_sealed",)),
    SealedColumns("supply_idempotency", "id", ("response",), json_b64=True),
    SealedColumns("outbox", "id", ("payload",)),
    SealedColumns("wechat_dedupe", "key", ("reply", "inbound")),
    SealedColumns("wechat_tokens", "app_id", ("token",)),
    SealedColumns("wechat_users", "user_key", ("last_location",), context_column="user_key"),
    SealedColumns("turn_receipts", "key", ("sealed",)),
)

#: binary columns that are not sealed (hashes and code ids)
NOT_SEALED: frozenset[tuple[str, str]] = frozenset({
    ("health_codes", "code_id"), ("code_issues", "code_id")})
