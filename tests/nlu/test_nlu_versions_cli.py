"""``tongguan nlu export|import DIR`` against the test's database (SQLite, PostgreSQL):
the live intent set out to a file, an edited file back as the next version (audited),
an unchanged one left alone, a file with a duplicate refused with nothing saved."""

from __future__ import annotations

from pathlib import Path

from bot.assembly import open_hub
from bot.config import Settings
from bot.services.nlu_versions import nlu_versions
from bot.services.staff import read_audit
from tests.roles_support import tongguan


async def test_export_edit_import(settings: Settings, tmp_path: Path) -> None:
    async with open_hub(settings) as hub:  # seeds version 1 from intents/
        assert (await nlu_versions(hub).live()).version == 1  # type: ignore[union-attr]
    out = tmp_path / "nlu"
    done = tongguan(settings, "nlu", "export", str(out))
    assert done.returncode == 0, done.stderr
    assert "version 1" in done.stdout
    text = (out / "nlu.yml").read_text(encoding="utf-8")
    assert "- intent: filing_status" in text

    done = tongguan(settings, "nlu", "import", str(out))
    assert done.returncode == 0 and "unchanged" in done.stderr

    (out / "nlu.yml").write_text(text.replace(
        "- intent: greet\n  examples: |\n", "- intent: greet\n  examples: |\n    - 老乡们好\n"),
        encoding="utf-8")
    done = tongguan(settings, "nlu", "import", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("version 2")

    (out / "nlu.yml").write_text(text.replace(
        "- intent: greet\n  examples: |\n", "- intent: greet\n  examples: |\n    - 老乡们好\n"
        "    - 老乡们好\n"), encoding="utf-8")
    done = tongguan(settings, "nlu", "import", str(out))
    assert done.returncode == 1 and "duplicate" in done.stdout
    async with open_hub(settings) as hub:
        row = await nlu_versions(hub).live()
        assert row is not None and row.version == 2 and row.author == "cli"
        assert "老乡们好" in row.yaml
        assert [e.actor for e in await read_audit(hub) if e.action == "nlu.save"] == ["cli"]
