"""Conversations standing in a flow that an admin edits and the server reloads."""

from __future__ import annotations

from pathlib import Path

from bot.dialogue.build import make_flow_registry
from bot.dialogue.engine import Engine
from tests.dialogue.conftest import Chat

UNIT_STEP = """  - collect: unit
    type: text
    params: {max_length: 20}
    optional: true
    label: {zh: 单元, en: Unit}
    prompt: {zh: 哪个单元？, en: "Which unit?"}
"""
STREET_STEP = """  - collect: street
    type: text
    label: {zh: 街道, en: Street}
    prompt: {zh: 属于哪个街道？, en: "Which street?"}
"""
WHERE = ["江岸区", "花桥街 一村社区"]  #: the screening's district and community
TO_BUILDING = ["楼栋排查", *WHERE, "12号楼"]
TO_SUMMARY = [*TO_BUILDING, "2单元", "十二", "30", "1", "2", "无"]


def edit_screening(engine, flows_dir: Path, *edits: tuple[str, str]) -> None:
    """Apply (old, new) replacements to the screening flow file and reload it."""
    path = flows_dir / "community_screening.yml"
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    assert engine.flows.load() == []


def drop_unit(engine, flows_dir: Path) -> None:
    edit_screening(engine, flows_dir, (UNIT_STEP, ""),
                   ("building, unit,", "building,"))  # in both summaries


async def test_summary_is_shown_again_before_a_confirm_counts(chat, engine, flows_dir,
                                                             saved_records):
    for text in TO_SUMMARY:
        out = await chat.text(text)
    assert "4. 单元：2单元" in out
    drop_unit(engine, flows_dir)
    out = await chat.text("确认")
    assert saved_records == []  # the summary the user confirmed is not the live one
    assert "刚刚更新过" in out and "单元" not in out and "3. 楼栋：12号楼" in out
    assert "编号 1" in await chat.text("确认")
    assert saved_records[0]["households_visited"] == 12
    assert "unit" not in saved_records[0]  # the answer to the dropped question is gone


async def test_answers_are_kept_when_the_old_version_is_unknown(chat, engine, flows_dir,
                                                                saved_records):
    """After a restart the process never saw the old version: answers stay as they were."""
    for text in TO_SUMMARY:
        await chat.say(text)
    drop_unit(engine, flows_dir)
    flows = make_flow_registry(flows_dir, engine.parts.actions)  # a process started after it
    assert flows.load() == []
    restarted = Chat(Engine(flows=flows, interpreter=engine.parts.interpreter,
                            actions=engine.parts.actions, store=engine.store,
                            clock=engine.parts.clock, roles=engine.parts.roles))
    assert "刚刚更新过" in await restarted.text("确认")  # shows the new summary first
    await restarted.say("确认")
    assert saved_records[0]["unit"] == "2单元"


async def test_editing_a_field_the_new_version_drops(chat, engine, flows_dir, saved_records):
    for text in TO_SUMMARY:
        await chat.say(text)
    assert "哪个单元" in await chat.text("4")  # change field 4, the unit
    drop_unit(engine, flows_dir)
    out = await chat.text("3单元")
    assert "刚刚更新过" in out and "请核对本次排查登记" in out and "单元" not in out
    assert saved_records == []
    await chat.say("确认")
    assert len(saved_records) == 1


async def test_a_new_question_before_the_current_one_is_asked_first(chat, engine, flows_dir,
                                                                    saved_records):
    for text in [*TO_BUILDING, "2单元"]:
        out = await chat.text(text)
    assert "走访了多少户" in out
    edit_screening(engine, flows_dir, ("steps:\n", "steps:\n" + STREET_STEP),
                   ("community, building,", "community, street, building,"))
    out = await chat.text("十二")
    assert "刚刚更新过" in out and "属于哪个街道" in out
    slots = chat.state["stack"][0]["slots"]
    assert {k: slots.get(k) for k in ("street", "building", "unit")} == {
        "street": None, "building": "12号楼", "unit": "2单元"}
    assert "走访了多少户" in await chat.text("解放路")  # the answer "十二" was not taken
    for text in ["十二", "30", "1", "2", "无"]:
        out = await chat.text(text)
    assert "街道：解放路" in out or "请核对" in out
    await chat.say("确认")
    assert saved_records[0]["street"] == "解放路"
    assert saved_records[0]["households_visited"] == 12


async def test_a_reworded_question_takes_the_answer_as_usual(chat, engine, flows_dir):
    for text in [*TO_BUILDING, "2单元"]:
        await chat.say(text)
    edit_screening(engine, flows_dir, ("本次走访了多少户？", "这次一共走访了几户？"))
    out = await chat.text("十二")
    assert "刚刚更新过" not in out and "在家的共有多少人" in out
    assert chat.state["stack"][0]["slots"]["households_visited"] == 12


async def test_a_removed_current_question_moves_to_the_next_unanswered(chat, engine,
                                                                       flows_dir):
    for text in TO_BUILDING:
        out = await chat.text(text)
    assert "哪个单元" in out
    drop_unit(engine, flows_dir)
    out = await chat.text("2单元")
    assert "刚刚更新过" in out and "走访了多少户" in out
    assert "unit" not in chat.state["stack"][0]["slots"]


async def test_paused_flow_is_brought_up_to_date_too(chat, engine, flows_dir):
    for text in TO_BUILDING:
        await chat.say(text)
    await chat.say("测试领取")  # test_grant: pauses the screening
    assert chat.state["paused"][0][0]["at"] == "unit"
    drop_unit(engine, flows_dir)
    await chat.say("取消")
    out = await chat.text("是")  # back to the screening
    assert "走访了多少户" in out


async def test_cancel_still_works_on_an_edited_flow(chat, engine, flows_dir, saved_records):
    for text in TO_SUMMARY:
        await chat.say(text)
    drop_unit(engine, flows_dir)
    assert "已取消" in await chat.text("取消")
    assert chat.state["stack"] == [] and saved_records == []
