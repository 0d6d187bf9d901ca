"""JSON merge patches (RFC 7386) between two summaries: what a stream sends after the
first whole document."""

from __future__ import annotations

from typing import Any


def merge_patch(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The patch that turns ``old`` into ``new``: changed members (objects recursively,
    arrays whole), ``null`` for a member that went away."""
    patch: dict[str, Any] = {}
    for key, value in new.items():
        if key not in old:
            patch[key] = value
            continue
        before = old[key]
        if isinstance(value, dict) and isinstance(before, dict):
            if inner := merge_patch(before, value):
                patch[key] = inner
        elif value != before or type(value) is not type(before):
            patch[key] = value
    for key in old:
        if key not in new:
            patch[key] = None
    return patch


def apply_patch(target: Any, patch: Any) -> Any:
    """RFC 7386's MergePatch(target, patch): a new value, ``target`` left as it was."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = apply_patch(out.get(key), value)
    return out
