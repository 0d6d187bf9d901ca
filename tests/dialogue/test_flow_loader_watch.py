"""``FlowRegistry.watch`` outlives any bad file or failure, keeps the last good flows and
says why in the log."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from bot.dialogue.flows import registry as registry_module
from bot.dialogue.flows.registry import FlowRegistry
from tests.dialogue.test_flow_validation import GOOD, registry

#: used to crash the loader (TypeError) and with it the watcher, for good
CRASHER = GOOD.replace("    type: integer\n", "    type: integer\n    params: [1, 2]\n")
INTERVAL = 0.01


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stamp = path.stat().st_mtime + 1  # a new mtime even on coarse file systems
    os.utime(path, (stamp, stamp))


async def _reloaded(reg: FlowRegistry, version: int) -> None:
    for _ in range(500):  # bounded: the watcher polls every INTERVAL
        if reg.version > version:
            return
        await asyncio.sleep(INTERVAL)
    raise AssertionError("no reload")


def _step_text(reg: FlowRegistry) -> str:
    return reg.flows["demo"].steps[1].text.zh  # type: ignore[attr-defined]


async def test_watch_survives_a_file_that_used_to_crash_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "demo.yml"
    _write(path, GOOD)
    reg = registry(tmp_path)
    assert reg.load() == []
    watcher = asyncio.create_task(reg.watch(INTERVAL))
    try:
        with caplog.at_level(logging.WARNING, logger="tongguan.flows"):
            version = reg.version
            _write(path, CRASHER)
            await _reloaded(reg, version)
        assert not watcher.done()
        assert _step_text(reg) == "好"  # the last good version is still live
        assert [p.rule for p in reg.problems] == ["bad-value"]
        logged = [r.getMessage() for r in caplog.records if "flows.reload.rejected" in r.message]
        assert any(str(path) in m and "'params'" in m for m in logged), logged

        version = reg.version
        _write(path, GOOD.replace("好", "很好"))
        await _reloaded(reg, version)  # still watching
        assert _step_text(reg) == "很好" and reg.problems == []
    finally:
        watcher.cancel()


async def test_watch_survives_an_unexpected_failure(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "demo.yml"
    _write(path, GOOD)
    reg = registry(tmp_path)
    assert reg.load() == []
    watcher = asyncio.create_task(reg.watch(INTERVAL))
    real_load = reg.load
    calls: list[int] = []

    def broken_load() -> list:  # type: ignore[type-arg]
        calls.append(1)
        raise RuntimeError("disk on fire")

    try:
        monkeypatch.setattr(reg, "load", broken_load)
        with caplog.at_level(logging.ERROR, logger="tongguan.flows"):
            _write(path, GOOD.replace("好", "坏"))
            for _ in range(500):
                if calls:
                    break
                await asyncio.sleep(INTERVAL)
            await asyncio.sleep(INTERVAL * 5)
        assert not watcher.done() and len(calls) == 1  # not retried until the files change
        failed = [r for r in caplog.records if "flows.reload.failed" in r.message]
        assert failed and failed[0].exc_info is not None  # with the traceback
        assert _step_text(reg) == "好"

        monkeypatch.setattr(reg, "load", real_load)
        version = reg.version
        _write(path, GOOD.replace("好", "很好"))
        await _reloaded(reg, version)
        assert _step_text(reg) == "很好"
    finally:
        watcher.cancel()


def test_a_loader_failure_is_reported_for_its_file_and_logged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault in the loader itself names the file; the other files still load."""
    path = tmp_path / "demo.yml"
    _write(path, GOOD)
    _write(tmp_path / "other.yml", GOOD.replace("id: demo", "id: other"))
    reg = registry(tmp_path)
    assert reg.load() == []
    real = registry_module.load_flow_file

    def flaky(file: Path):  # type: ignore[no-untyped-def]
        if file == path:
            raise TypeError("unexpected")
        return real(file)

    monkeypatch.setattr(registry_module, "load_flow_file", flaky)
    with caplog.at_level(logging.ERROR, logger="tongguan.flows"):
        problems = reg.load()
    assert [(p.rule, p.file) for p in problems] == [("check-failed", str(path))]
    assert "TypeError: unexpected" in problems[0].describe()
    assert set(reg.flows) == {"demo", "other"}  # demo: its last good version
    failed = [r for r in caplog.records if "flows.reload.failed" in r.message]
    assert failed and str(path) in failed[0].getMessage() and failed[0].exc_info


def test_a_failing_slot_check_is_reported_not_raised(tmp_path: Path) -> None:
    def broken(type_name: str, params: dict) -> list[str] | None:  # type: ignore[type-arg]
        raise KeyError("options")

    _write(tmp_path / "demo.yml", GOOD)
    reg = FlowRegistry(tmp_path, action_names=lambda: [], action_sets=lambda name: [],
                       slot_param_problems=broken)
    problems = reg.load()
    assert [(p.rule, p.line, p.step) for p in problems] == [("bad-slot-params", 4, "n")]
    assert "KeyError" in problems[0].message and reg.flows == {}
