"""The Official Account menu: ``flows/wechat_menu.yml`` → WeChat's ``menu/create`` JSON.

A button with ``key`` sends a CLICK event whose key starts a flow (a flow id, or a menu
key a flow declares); a button with ``url`` opens a page (VIEW); ``sub_button`` nests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.channels.wechat.errors import WechatError

MAX_TOP, MAX_SUB = 3, 5
MAX_TOP_NAME, MAX_SUB_NAME, MAX_KEY = 16, 60, 128  # bytes, as WeChat counts them


class MenuError(WechatError):
    """The menu file is not a menu WeChat would accept."""

    def __init__(self, path: Path, where: str, problem: str) -> None:
        super().__init__(f"{path}: {where}: {problem}")


def _button(path: Path, where: str, raw: Any, top: bool) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise MenuError(path, where, "each button needs a name")
    name = raw["name"]
    if len(name.encode()) > (MAX_TOP_NAME if top else MAX_SUB_NAME):
        raise MenuError(path, where, f"name {name!r} is too long")
    subs = raw.get("sub_button")
    if subs is not None:
        if not top:
            raise MenuError(path, where, "sub-buttons cannot nest further")
        if not isinstance(subs, list) or not 1 <= len(subs) <= MAX_SUB:
            raise MenuError(path, where, f"sub_button needs 1 to {MAX_SUB} buttons")
        return {"name": name, "sub_button": [
            _button(path, f"{where} > {i + 1}", s, False) for i, s in enumerate(subs)]}
    if isinstance(raw.get("key"), str) and raw["key"]:
        if len(raw["key"].encode()) > MAX_KEY:
            raise MenuError(path, where, "key is longer than 128 bytes")
        return {"type": "click", "name": name, "key": raw["key"]}
    if isinstance(raw.get("url"), str) and raw["url"].startswith(("http://", "https://")):
        return {"type": "view", "name": name, "url": raw["url"]}
    raise MenuError(path, where, "a button needs a key (starts a flow), a url or sub_button")


def load_menu(path: Path) -> dict[str, Any]:
    """Read and check the menu file.

    Raises:
        MenuError: missing file, bad YAML or a button WeChat would refuse.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise MenuError(path, "file", f"cannot read ({err.strerror})") from err
    except yaml.YAMLError as err:
        raise MenuError(path, "file", "not valid YAML") from err
    buttons = (data or {}).get("button") if isinstance(data, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_TOP:
        raise MenuError(path, "button", f"needs 1 to {MAX_TOP} top-level buttons")
    return {"button": [_button(path, f"button {i + 1}", b, True)
                       for i, b in enumerate(buttons)]}


def click_keys(menu: dict[str, Any]) -> list[str]:
    """Every CLICK key of a menu (to check them against the flows)."""
    keys: list[str] = []
    for button in menu["button"]:
        for b in button.get("sub_button", [button]):
            if b.get("type") == "click":
                keys.append(b["key"])
    return keys
