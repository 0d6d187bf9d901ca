"""Profile fields (name, ID number, phone…) kept for reuse, only with consent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.database import Database
from bot.db.models import Profile
from bot.privacy import Sealer


@dataclass
class ProfileData:
    """``consent`` is None until asked; ``values`` only ever filled with consent."""

    consent: bool | None = None
    values: dict[str, Any] = field(default_factory=dict)


class Profiles:
    """Read, save and erase a user's profile."""

    def __init__(self, db: Database, sealer: Sealer, clock: Clock) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock

    async def get(self, user_key: str) -> ProfileData:
        async with self.db.sessions() as session:
            row = (await session.scalars(sa.select(Profile)
                                         .where(Profile.user_key == user_key))).first()
        if row is None:
            return ProfileData()
        values = self.sealer.open(row.data, context=user_key.encode()) if row.data else {}
        return ProfileData(consent=row.consent, values=values if row.consent else {})

    async def save(self, user_key: str, *, consent: bool, values: dict[str, Any]) -> None:
        """Record the consent answer; store ``values`` (merged) only when it is yes."""
        async def work(session: AsyncSession) -> None:
            row = (await session.scalars(sa.select(Profile)
                                         .where(Profile.user_key == user_key))).first()
            if row is None:
                row = Profile(user_key=user_key, consent=consent, updated_at=self.clock.now())
                session.add(row)
            old = (self.sealer.open(row.data, context=user_key.encode())
                   if row.data and consent else {})
            row.consent = consent
            row.data = (self.sealer.seal({**old, **values}, context=user_key.encode())
                        if consent else None)
            row.updated_at = self.clock.now()

        await self.db.retrying(work)

    async def erase(self, user_key: str) -> None:
        """Forget everything and record that the user said no."""
        await self.save(user_key, consent=False, values={})
