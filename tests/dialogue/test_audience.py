"""Flows meant for staff (``audience``): refused and hidden for everyone else."""

from __future__ import annotations

from pathlib import Path

from bot.dialogue.build import make_flow_registry
from tests.dialogue.conftest import Chat, MemoryRoles


async def test_a_resident_is_refused_a_staff_flow_and_it_is_not_in_their_menu(
        chat: Chat, roles: MemoryRoles, saved_records: list[dict]) -> None:
    roles.default = frozenset()
    menu = await chat.say("你好")
    assert all("楼栋排查" not in o.label for r in menu for o in r.options)
    refused = await chat.text("楼栋排查")
    assert "仅供工作人员使用" in refused
    assert "楼栋" not in (await chat.text("3号楼"))  # no question was asked: nothing runs
    assert saved_records == []


async def test_the_refusal_keeps_a_running_flow_where_it_was(
        chat: Chat, roles: MemoryRoles) -> None:
    roles.default = frozenset()
    await chat.say("测试体温")
    refused = await chat.text("楼栋排查")  # not an answer to a temperature: asks for a flow
    assert "仅供工作人员使用" in refused and "体温多少" in refused  # asked again
    assert [f["flow"] for f in chat.state["stack"]] == ["test_temperature"]
    assert chat.state["paused"] == []  # nothing was paused for a flow that never started


async def test_english_refusal_and_a_worker_menu(chat: Chat, roles: MemoryRoles) -> None:
    worker_menu = await chat.say("menu")
    assert any("Building screening" in o.label or "楼栋排查" in o.label
               for r in worker_menu for o in r.options)
    roles.grants["web:u2"] = frozenset()
    other = Chat(chat.engine, user="u2")
    await other.say("hello")
    refused = await other.text("building screening")
    assert "for staff only" in refused


def test_audience_names_staff_roles_only(tmp_path: Path) -> None:
    from bot.actions import ActionRegistry

    (tmp_path / "f.yml").write_text(
        "id: f\ntitle: {zh: 表, en: Form}\naudience: [janitor]\n"
        "steps:\n  - say: {zh: 好, en: ok}\n", encoding="utf-8")
    problems = make_flow_registry(tmp_path, ActionRegistry()).load()
    assert any("audience" in p.describe() and "community_worker" in p.describe()
               for p in problems)


async def test_restart_and_resume_check_the_role_again(chat: Chat, roles: MemoryRoles) -> None:
    await chat.say("楼栋排查")
    await chat.say("江岸区")
    roles.grants["web:u1"] = frozenset()  # the role is taken away mid-flow
    refused = await chat.text("重新开始")
    assert "仅供工作人员使用" in refused and chat.state["stack"] == []
    roles.grants["web:u1"] = frozenset({"community_worker"})
    await chat.say("楼栋排查")
    await chat.say("测试领取")  # pauses the screening
    roles.grants["web:u1"] = frozenset()
    await chat.say("2")
    offer = await chat.text("确认")
    assert "楼栋排查" in offer and "仅供" not in offer  # offered back …
    assert "仅供工作人员使用" in await chat.text("是")  # … but not resumed for a non-worker
    assert chat.state["stack"] == []
