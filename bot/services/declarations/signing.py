"""The signing side of health codes: the key store, code issue, signed lists, a verifier.

Keys live in ``settings.keys_dir`` (a :class:`codes.KeyStore`); the first start with an
empty folder generates one and logs its kid.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import codes
from bot import metrics
from codes.revocation import build_revocation_list, sign_revocation_list

log = logging.getLogger("tongguan.declarations")

#: the longest paper code a flow may ask for (``paper_hours``; live and paper lifetimes
#: are the ``codes.*`` settings, see :mod:`bot.services.health_codes`)
MAX_PAPER_TTL = timedelta(days=7)
REVOCATION_LIFETIME = timedelta(hours=24)


class Signing:
    """One process's signing keys and the lists derived from them."""

    def __init__(self, keys_dir: Path, *, at: datetime) -> None:
        Path(keys_dir).mkdir(parents=True, exist_ok=True)
        self.store = codes.KeyStore.open(keys_dir)
        if not any(r.active for r in self.store.records()):
            record = self.store.generate(at=at)
            log.warning("declarations.keys.generated kid=%s dir=%s", record.kid.hex(), keys_dir)

    def issue(self, *, subject: str, color: str, masked_name: str, kind: str,
              ttl: timedelta, at: datetime, rules_version: str,
              proxy: bool = False) -> tuple[str, bytes]:
        """A signed code text and its code id; ``proxy``: declared by proxy (代报), which
        the code states."""
        code_id = codes.new_code_id()
        metrics.CODES.labels("issued", color).inc()
        text = codes.issue_code(key=self.store.active_signer(), subject=subject, color=color,
                                masked_name=masked_name or "*", kind=kind, ttl=ttl, at=at,
                                rules_version=rules_version, code_id=code_id, proxy=proxy)
        return text, code_id

    def trust_list(self, at: datetime) -> str:
        """The signed trust list JSON."""
        return self.store.signed_trust_list(at=at)

    def list_signer_pem(self) -> str:
        return self.store.list_signer_public_pem().decode("ascii")

    def revocation_list(self, code_ids: Iterable[bytes], at: datetime) -> str:
        """The revocation list of ``code_ids``, signed now."""
        revocations = build_revocation_list(code_ids, issued_at=at,
                                            lifetime=REVOCATION_LIFETIME)
        return sign_revocation_list(revocations, self.store.list_signer())

    def verifier(self, code_ids: Iterable[bytes], at: datetime) -> codes.Verifier:
        """A verifier trusting this store's keys and these revocations."""
        return codes.Verifier(trust_list=self.store.trust_list(at=at),
                              revocations=build_revocation_list(code_ids, issued_at=at))
