"""``tongguan flows export DIR`` and ``tongguan flows import DIR`` against a server's
database (the real command line; SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from bot.services.flow_versions import flow_versions
from bot.services.staff import read_audit
from bot.web.keys import HUB_KEY
from tests.conftest import ROOT
from tests.roles_support import tongguan


async def test_export_then_import_publishes_the_changed_files(client, settings,
                                                               tmp_path: Path):  # type: ignore[no-untyped-def]
    hub = client.server.app[HUB_KEY]  # the server seeded version 1 from flows/
    out = tmp_path / "exported"
    done = tongguan(settings, "flows", "export", str(out))
    assert done.returncode == 0, done.stderr
    for path in (ROOT / "flows").glob("*.yml"):
        assert (out / path.name).read_text(encoding="utf-8") == \
            path.read_text(encoding="utf-8")
    screening = out / "community_screening.yml"
    screening.write_text(screening.read_text(encoding="utf-8").replace(
        "请输入楼栋号", "请告诉我楼号"), encoding="utf-8")
    (out / "broken.yml").write_text(
        "id: broken\ntitle: {zh: 坏, en: Broken}\nsteps:\n  - action: no.such\n",
        encoding="utf-8")

    done = tongguan(settings, "flows", "import", str(out))
    assert done.returncode == 1  # one file refused
    assert f"{out / 'broken.yml'}:4:3: no action named 'no.such'" in done.stdout
    assert "community_screening\tversion 2" in done.stdout
    unchanged = len(list(out.glob("*.yml"))) - 2
    assert f"1 published, 1 refused, {unchanged} unchanged" in done.stderr
    live = await flow_versions(hub).live()
    assert "broken" not in live
    assert live["community_screening"].version == 2
    assert live["community_screening"].author == "cli"
    assert "请告诉我楼号" in live["community_screening"].yaml
    assert [(e.actor, e.action, e.object) for e in await read_audit(hub)
            if e.action == "flows.publish"] == [("cli", "flows.publish",
                                                 "flow:community_screening")]

    again = tongguan(settings, "flows", "import", str(out / "nothing"))
    assert again.returncode == 0 and "0 published" in again.stderr
