"""Tables of the WeChat channel: callback dedupe, the shared access token, media and users."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class WechatDedupe(Base):
    """One claimed callback message; ``key`` is a blind index of MsgId (or openid+time).

    ``status`` is ``running`` (a turn is in flight), ``done`` (``reply`` holds the sealed
    passive answer) or ``pushed`` (answered ``success``, the reply went to the outbox).
    While ``running``, ``expires_at`` is the claim's short lease (renewed by the process
    running the turn) and ``inbound`` the message, sealed, so that another process can
    take a dead one's turn over; ``created_at`` (the claim's time) tells claims apart.
    """

    __tablename__ = "wechat_dedupe"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(10))
    reply: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    inbound: Mapped[bytes | None] = mapped_column(sa.LargeBinary)


class WechatToken(Base):
    """The access token every process shares; ``lease_until`` marks who refreshes it."""

    __tablename__ = "wechat_tokens"

    app_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    token: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  #: sealed
    generation: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(40))


class WechatMedia(Base):
    """A temporary media upload, by SHA-256 of its bytes, reused until it expires."""

    __tablename__ = "wechat_media"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    media_id: Mapped[str] = mapped_column(sa.String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WechatUser(Base):
    """Per-follower flags the channel keeps: subscription and location consent."""

    __tablename__ = "wechat_users"

    user_key: Mapped[str] = mapped_column(sa.String(160), primary_key=True)
    subscribed: Mapped[bool] = mapped_column(default=True)
    location_consent: Mapped[bool] = mapped_column(default=False)
    last_location: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  #: sealed
    location_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
