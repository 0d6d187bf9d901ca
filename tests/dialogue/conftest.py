"""An engine on the memory store with the repo's flows plus test flows in a temp folder."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.actions import ActionContext, ActionRegistry, ActionResult
from bot.clock import FixedClock
from bot.dialogue.build import make_flow_registry
from bot.dialogue.engine import Engine
from bot.dialogue.store import MemoryStore
from bot.errors import ActionError
from bot.messages import Inbound, Reply
from bot.nlu.builtin import BuiltinInterpreter
from bot.services.profiles import ProfileData
from bot.services.records import DISTRICT_SLOTS, districts_action

ROOT = Path(__file__).resolve().parents[2]
TEST_FLOWS = Path(__file__).parent / "flows"


class MemoryProfiles:
    """Profiles kept in a dict, same interface as bot.services.profiles.Profiles."""

    def __init__(self) -> None:
        self.rows: dict[str, ProfileData] = {}

    async def get(self, user_key: str) -> ProfileData:
        row = self.rows.get(user_key, ProfileData())
        return ProfileData(row.consent, dict(row.values) if row.consent else {})

    async def save(self, user_key: str, *, consent: bool, values: dict) -> None:
        old = self.rows.get(user_key, ProfileData())
        self.rows[user_key] = ProfileData(consent, {**old.values, **values} if consent else {})

    async def erase(self, user_key: str) -> None:
        await self.save(user_key, consent=False, values={})


@dataclass
class MemoryRoles:
    """Staff roles by user key, same lookup as bot.services.chat_roles.ChatRoles.of; the
    harness's users are community workers unless a test says otherwise."""

    default: frozenset[str] = frozenset({"community_worker"})
    grants: dict[str, frozenset[str]] = field(default_factory=dict)
    #: user key → the district its grant is scoped to (ChatRoles.district)
    districts: dict[str, str] = field(default_factory=dict)

    async def of(self, user_key: str) -> frozenset[str]:
        return self.grants.get(user_key, self.default)

    async def district(self, user_key: str) -> str | None:
        return self.districts.get(user_key)


@dataclass
class Chat:
    """Talks to the engine as one user; keeps every reply."""

    engine: Engine
    user: str = "u1"
    channel: str = "web"
    saved: list[dict] = field(default_factory=list)

    async def say(self, text: str) -> list[Reply]:
        return await self.engine.handle(Inbound(channel=self.channel, user_id=self.user,
                                                text=text))

    async def text(self, text: str) -> str:
        return "\n".join(r.as_plain_text() for r in await self.say(text))

    @property
    def state(self):  # type: ignore[no-untyped-def]
        import asyncio  # noqa: F401

        return self.engine.store._data[f"{self.channel}:{self.user}"]


@pytest.fixture(scope="session")
def interpreter() -> BuiltinInterpreter:
    return BuiltinInterpreter.from_dir(ROOT / "intents")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2020, 2, 10, 2, 0, tzinfo=UTC))


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    target = tmp_path / "flows"
    target.mkdir()
    for path in [ROOT / "flows" / "community_screening.yml", *TEST_FLOWS.glob("*.yml")]:
        shutil.copy(path, target / path.name)
    menu = (ROOT / "flows" / "menu.yml").read_text(encoding="utf-8")
    head = menu.split("items:")[0]
    (target / "menu.yml").write_text(head + "items:\n  - community_screening\n",
                                     encoding="utf-8")
    return target


@pytest.fixture
def saved_records() -> list[dict]:
    return []


@pytest.fixture
def roles() -> MemoryRoles:
    return MemoryRoles()


@pytest.fixture
def actions(saved_records: list[dict], roles: MemoryRoles) -> ActionRegistry:
    registry = ActionRegistry()

    async def save(ctx: ActionContext) -> ActionResult:  # keeps what records.save keeps
        saved_records.append({k: v for k, v in ctx.slots.items() if not k.startswith("_")})
        return ActionResult(slots={"record_id": len(saved_records)})

    async def refuse(ctx: ActionContext) -> ActionResult:
        if ctx.slots.get("amount", 0) > 5:
            raise ActionError("库存不足", "Not enough stock", code="sold_out")
        return ActionResult(slots={"granted": ctx.slots["amount"]})

    async def crash(ctx: ActionContext) -> ActionResult:
        raise RuntimeError("boom")

    registry.register("records.save", save, sets={"record_id"})
    # the real one, over the harness's grants
    registry.register("records.districts", districts_action(roles.district),
                      sets=DISTRICT_SLOTS, needs_lock=False)
    registry.register("test.grant", refuse, sets={"granted"})
    async def lookup(ctx: ActionContext) -> ActionResult:
        return ActionResult(slots={"found": 3})

    registry.register("test.crash", crash)
    registry.register("test.lookup", lookup, sets={"found"}, needs_lock=False)
    return registry


@pytest.fixture
def engine(flows_dir: Path, actions: ActionRegistry, interpreter: BuiltinInterpreter,
           clock: FixedClock, roles: MemoryRoles) -> Engine:
    registry = make_flow_registry(flows_dir, actions)
    problems = registry.load()
    assert not problems, [p.describe() for p in problems]
    return Engine(flows=registry, interpreter=interpreter, actions=actions,
                  store=MemoryStore(), clock=clock, profiles=MemoryProfiles(),  # type: ignore[arg-type]
                  roles=roles.of)


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)
