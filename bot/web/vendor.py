"""Refresh vendored front-end libraries from the npm registry (``make vendor``).

Each library is a pinned tarball from https://registry.npmjs.org/, checked against the
registry's ``integrity`` hash; only the built files the pages load are kept, with the
package's LICENSE and a VERSION file. No npm needed: Python's standard library only.

    python -m bot.web.vendor [echarts]
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).parent / "static" / "vendor"
REGISTRY = "https://registry.npmjs.org"
#: name → (version, files to keep from the package: path in the tarball → name here)
LIBRARIES: dict[str, tuple[str, dict[str, str]]] = {
    "echarts": ("6.1.0", {"package/dist/echarts.min.js": "echarts.min.js",
                          "package/LICENSE": "LICENSE", "package/NOTICE": "NOTICE"}),
    # The flow studio's editor. CodeMirror 5, not 6: version 6 ships as ES modules split
    # over a dozen packages (@codemirror/state, view, language, lang-yaml…) that need a
    # bundler to load without a CDN; version 5 ships built files a page loads with plain
    # <script> tags: the core, the YAML mode and the lint gutter that marks problems at
    # their line.
    "codemirror": ("5.65.18", {
        "package/lib/codemirror.js": "codemirror.js",
        "package/lib/codemirror.css": "codemirror.css",
        "package/mode/yaml/yaml.js": "yaml.js",
        "package/addon/lint/lint.js": "lint.js",
        "package/addon/lint/lint.css": "lint.css",
        "package/addon/selection/active-line.js": "active-line.js",
        "package/LICENSE": "LICENSE"}),
}


def fetch(name: str) -> None:
    version, files = LIBRARIES[name]
    with urllib.request.urlopen(f"{REGISTRY}/{name}/{version}", timeout=60) as resp:
        meta = json.load(resp)
    dist = meta["dist"]
    with urllib.request.urlopen(dist["tarball"], timeout=120) as resp:
        blob = resp.read()
    algo, _, expected = dist["integrity"].partition("-")
    digest = base64.b64encode(hashlib.new(algo, blob).digest()).decode()
    if digest != expected:
        raise SystemExit(f"{name} {version}: integrity mismatch")
    target = HERE / name
    target.mkdir(exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for inner, local in files.items():
            member = tar.extractfile(inner)
            if member is None:
                raise SystemExit(f"{name} {version}: no {inner} in the tarball")
            (target / local).write_bytes(member.read())
    (target / "VERSION").write_text(f"{name} {version}\n{dist['tarball']}\n"
                                    f"{dist['integrity']}\n", encoding="utf-8")
    print(f"vendored {name} {version} into {target}")


if __name__ == "__main__":
    for lib in sys.argv[1:] or list(LIBRARIES):
        fetch(lib)
