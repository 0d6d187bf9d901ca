"""The engine, step by step and repair by repair, on the memory store."""

from __future__ import annotations

from bot.messages import Inbound, Location

WHERE = ["江岸区", "花桥街 一村社区"]  #: the screening's district and community
SCREENING = ["楼栋排查", *WHERE, "12号楼", "2单元", "十二", "30", "1", "2", "无"]
ASKED = {"district", "community", "building"}


async def test_whole_screening_saves_answers(chat, saved_records):
    for text in SCREENING:
        await chat.say(text)
    summary = await chat.text("确认")
    assert "编号 1" in summary and "2 位外地返回" in summary
    assert saved_records == [{"district": "jiangan", "community": "花桥街 一村社区",
                              "building": "12号楼", "unit": "2单元", "households_visited": 12,
                              "people_home": 30, "people_quarantine": 1,
                              "people_returned": 2, "notes": "无"}]
    assert chat.state["stack"] == []


async def test_confirm_summary_lists_every_answer_and_edit_by_number(chat, saved_records):
    for text in SCREENING:
        out = await chat.text(text)
    assert "1. 所在区：江岸区" in out and "2. 街道/社区：花桥街 一村社区" in out
    assert "3. 楼栋：12号楼" in out and "6. 在家人数：30" in out
    assert "在家的共有多少人" in await chat.text("6")
    again = await chat.text("31")
    assert "6. 在家人数：31" in again  # back at the summary with the new value
    assert "在哪个区" in await chat.text("1")  # the district, from the city's list
    assert "1. 所在区：武昌区" in await chat.text("5")
    await chat.say("确认")
    assert saved_records[0]["people_home"] == 31 and saved_records[0]["district"] == "wuchang"


async def test_a_worker_scoped_to_a_district_is_not_asked_it(chat, roles, saved_records):
    roles.districts["web:u1"] = "hongshan"  # tongguan roles grant … --district hongshan
    assert "哪个街道和社区" in await chat.text("楼栋排查")
    for text in SCREENING[2:]:
        out = await chat.text(text)
    assert "请核对本次排查登记（洪山区）" in out and "所在区" not in out
    assert "1. 街道/社区：花桥街 一村社区" in out  # the district is not offered to change
    await chat.say("确认")
    assert saved_records[0]["district"] == "hongshan"


async def test_bad_answer_reprompts_and_three_failures_offer_help(chat):
    for text in ["楼栋排查", *WHERE]:
        await chat.say(text)
    await chat.say("1号楼")
    await chat.say("跳过")
    first = await chat.text("很多")
    assert "12 或 十二" in first  # the flow's reprompt
    await chat.say("不知道")
    third = await chat.text("abc")
    assert "转人工" in third and "帮助" in third
    assert "在家" not in third
    assert chat.state["stack"][0]["step"] == 5  # still on households_visited


async def test_back_skip_and_required_skip(chat):
    await chat.say("楼栋排查")
    assert "不能跳过" in await chat.text("跳过")
    for text in [*WHERE, "5号楼"]:
        await chat.say(text)
    assert "已跳过" in await chat.text("跳过")
    assert "哪个单元" in await chat.text("上一步")
    assert "unit" not in chat.state["stack"][0]["slots"]
    assert "楼栋号" in await chat.text("上一步")
    assert "哪个街道和社区" in await chat.text("上一步")
    assert "在哪个区" in await chat.text("上一步")
    assert not ASKED & set(chat.state["stack"][0]["slots"])
    assert "第一个问题" in await chat.text("上一步")


async def test_cancel_restart_and_help(chat):
    for text in ["楼栋排查", *WHERE, "5号楼"]:
        await chat.say(text)
    help_text = await chat.text("帮助")
    assert "楼栋排查登记" in help_text and "哪个单元" in help_text and "取消" in help_text
    assert "从头开始" in await chat.text("重新开始")
    assert not ASKED & set(chat.state["stack"][0]["slots"])
    assert "已取消" in await chat.text("取消")
    assert chat.state["stack"] == []
    assert "没有进行中" in await chat.text("算了")


async def test_language_from_first_message_and_switch(chat):
    out = await chat.text("hello")
    assert "Hello" in out
    assert "Which district" in await chat.text("screening")
    assert "Which street and community" in await chat.text("Hanyang")
    assert "Which building" in await chat.text("Zhongjia Village")
    assert "Which unit" in await chat.text("12")
    switched = await chat.text("中文")
    assert "已切换为中文" in switched and "哪个单元" in switched
    assert "当前问题" in await chat.text("帮助")
    assert "Switched to English" in await chat.text("English")


async def test_interruption_pauses_and_offers_resume(chat):
    for text in ["楼栋排查", *WHERE, "7号楼"]:
        await chat.say(text)
    out = await chat.text("测试领取")
    assert "已暂停" in out and "要几个" in out
    await chat.say("3")
    done = await chat.text("确认")
    assert "已领取 3 个" in done and "要继续之前的「楼栋排查登记」" in done
    back = await chat.text("是")
    assert "哪个单元" in back
    assert chat.state["stack"][0]["slots"]["building"] == "7号楼"


async def test_failing_action_leaves_flow_at_summary(chat):
    await chat.say("测试领取")
    await chat.say("9")
    out = await chat.text("确认")
    assert "库存不足" in out and "重试" in out
    frame = chat.state["stack"][0]
    assert frame["mode"] == "confirm" and "granted" not in frame["slots"]
    await chat.say("1")
    await chat.say("2")
    assert "已领取 2 个" in await chat.text("确认")


async def test_crashing_action_answers_politely(chat, engine, flows_dir):
    (flows_dir / "crash.yml").write_text(
        "id: crash\ntitle: {zh: 崩溃, en: Crash}\nstart: {keywords: [崩溃测试]}\n"
        "steps:\n  - action: test.crash\n", encoding="utf-8")
    engine.flows.load()
    out = await chat.text("崩溃测试")
    assert "无法完成" in out
    assert chat.state["stack"] == []  # state rolled back to before the turn


async def test_call_branch_condition_and_link(chat):
    assert "是否发热" in await chat.text("测试调用")
    assert "体温多少" in await chat.text("是")
    out = await chat.text("37度5")
    assert "体温 37.5 偏高" in out and "要几个" in out  # called flow returned, then linked
    frame = chat.state["stack"][0]
    assert frame["flow"] == "test_grant" and frame["slots"] == {}  # link starts afresh


async def test_branch_default_skips_call(chat):
    await chat.say("测试调用")
    out = await chat.text("没有")
    assert "要几个" in out and "体温" not in out


async def test_profile_consent_and_reuse(chat, engine):
    await chat.say("测试资料")
    await chat.say("张三明")
    out = await chat.text("138 1234 5678")
    assert "是否保存" in out
    assert "已保存" in await chat.text("是")
    out = await chat.text("测试资料")
    assert "张*明" in out and "张三明" not in out
    assert "手机号" in await chat.text("是") or "138" in await chat.text("")
    saved = await engine.parts.profiles.get("web:u1")
    assert saved.values == {"name": "张三明", "phone": "13812345678"}


async def test_profile_declined_is_never_stored(chat, engine):
    await chat.say("测试资料")
    await chat.say("李四")
    await chat.say("13912345678")
    assert "不保存" in await chat.text("不")
    data = await engine.parts.profiles.get("web:u1")
    assert data.consent is False and data.values == {}
    out = await chat.text("测试资料")
    assert "您的姓名" in out  # asked again, nothing offered


async def test_idle_offer_continue_or_start_over(chat, clock):
    for text in ["楼栋排查", *WHERE, "8号楼"]:
        await chat.say(text)
    clock.advance(hours=2)
    out = await chat.text("3单元")
    assert "欢迎回来" in out
    assert "哪个单元" in await chat.text("继续填写")
    clock.advance(hours=2)
    await chat.say("hi")
    assert "在哪个区" in await chat.text("重新开始")


async def test_odd_messages_get_clear_answers(chat):
    assert "空的" in await chat.text("   ")
    assert "空的" in await chat.text("\x00\x07")
    assert "没有理解" in await chat.text("😀😀😀")
    out = await chat.text("测" * 10000)
    assert "太长" in out and "10000" in out and "2000" in out and "回复序号" in out
    await chat.say("楼栋排查")
    too_long = await chat.text("A" * 10000)
    assert "太长" in too_long and "在哪个区" in too_long
    await chat.say("江岸区")
    long_answer = await chat.text("A" * 1000)  # within the message limit, beyond the slot's 60
    assert "60" in long_answer and "哪个街道和社区" in long_answer
    assert "community" not in chat.state["stack"][0]["slots"]
    assert "too long (10000" in await chat.text("English") + await chat.text("B" * 10000)


async def test_location_and_start_events(engine):
    replies = await engine.handle(Inbound(channel="wechat", user_id="o1", kind="start",
                                          trigger="scene", value="screen:bldg-9"))
    assert "在哪个区" in replies[0].text
    replies = await engine.handle(Inbound(channel="wechat", user_id="o1", kind="location",
                                          location=Location(31.2, 121.4, "x")))
    assert replies  # not a location question: a clear answer, state kept
    replies = await engine.handle(Inbound(channel="wechat", user_id="o2", kind="welcome"))
    assert "通管" in replies[0].text


async def test_only_actions_that_write_lock_the_conversation(engine, chat):
    """A writing action locks the conversation first; one registered ``reads_only``
    does not (the lock costs PostgreSQL round trips and nothing needs it)."""
    from contextlib import asynccontextmanager

    locks: list[str] = []
    real_open = engine.store.open

    @asynccontextmanager
    async def open_with_lock(user_key: str):  # type: ignore[no-untyped-def]
        async with real_open(user_key) as conv:
            async def lock() -> None:
                locks.append(user_key)
            conv.lock = lock
            yield conv

    engine.store.open = open_with_lock
    assert "查到 3" in await chat.text("测试查询")
    assert locks == []
    await chat.text("测试领取")
    await chat.text("2")
    assert "已领取 2 个" in await chat.text("确认")
    assert locks == ["web:u1"]


async def test_change_command_mid_flow_and_from_the_summary(chat, saved_records):
    for text in ["楼栋排查", *WHERE, "12号楼", "2单元"]:
        await chat.say(text)
    out = await chat.text("修改")  # mid-flow, at the households question
    assert "请回复要修改的序号" in out and "3. 楼栋" in out and "4. 单元" in out
    assert "楼栋号" in await chat.text("楼栋")  # picked by its label
    assert "走访了多少户" in await chat.text("15号楼")  # back where it was
    for text in ["十二", "30", "1", "2", "无"]:
        out = await chat.text(text)
    assert "3. 楼栋：15号楼" in out
    assert "请回复要修改的序号" in await chat.text("修改")  # the summary's change button
    assert "哪个单元" in await chat.text("4")
    assert "4. 单元：3单元" in await chat.text("3单元")
    await chat.say("确认")
    assert saved_records[0]["building"] == "15号楼" and saved_records[0]["unit"] == "3单元"
    assert "还没有可以修改的内容" in await chat.text("修改")  # nothing running any more


async def test_menu_mid_flow_keeps_the_flow(chat):
    for text in ["楼栋排查", *WHERE, "12号楼"]:
        await chat.say(text)
    out = await chat.text("菜单")
    assert "回复序号或名称开始" in out and "楼栋排查登记" in out
    slots = chat.state["stack"][0]["slots"]
    assert {k: slots[k] for k in ASKED} == {"district": "jiangan",
                                            "community": "花桥街 一村社区", "building": "12号楼"}
    assert "哪个单元" in await chat.text("1")  # picking the running flow goes on with it
    await chat.say("菜单")
    assert "走访了多少户" in await chat.text("3单元")  # not a menu item: answers the question
    assert chat.state["stack"][0]["slots"]["unit"] == "3单元"


async def test_forget_erases_the_saved_profile(chat, engine):
    for text in ["测试资料", "张三明", "13812345678", "是"]:
        await chat.say(text)
    assert (await engine.parts.profiles.get("web:u1")).values
    assert "已删除" in await chat.text("删除资料")
    data = await engine.parts.profiles.get("web:u1")
    assert data.consent is False and data.values == {}
    assert "您的姓名" in await chat.text("测试资料")  # nothing offered for reuse


async def test_an_understood_service_without_a_flow_says_so(chat):
    out = await chat.text("我们公司要申请复工备案")
    assert "暂未在这里开通" in out and "没有理解" not in out and "回复序号" in out
    out = await chat.text("English") and await chat.text("how do I file for my company to reopen")
    assert "not offered here yet" in out
