"""The text of a PDF ReportLab made (the operations report), to check its numbers.

Just enough of PDF for ReportLab's own output: each content stream is ASCII85 then
Flate encoded; text is shown with ``(…) Tj`` literal strings, in UTF-16-BE for the
``STSong-Light`` CID font (octal escapes for the bytes that need them), Latin-1 for
Helvetica. Each string becomes one line of the result.
"""

from __future__ import annotations

import base64
import re
import zlib

_STREAM = re.compile(rb"<<((?:(?!<<|stream).)*?)>>\s*stream\r?\n(.*?)\r?\n?endstream", re.S)
_SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)
_NAMED = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> bytes:
    def one(m: re.Match[bytes]) -> bytes:
        code = m.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8)])
        return _NAMED.get(code, code)

    return _ESCAPE.sub(one, raw)


def _decoded(raw: bytes) -> str:
    """UTF-16-BE (the CID font) when it reads as such, else Latin-1 (Helvetica)."""
    if len(raw) % 2 == 0 and (b"\x00" in raw or any(b > 0x7F for b in raw)):
        try:
            return raw.decode("utf-16-be")
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def pdf_text(body: bytes) -> list[str]:
    """The strings the PDF shows, in the order its pages draw them."""
    shown: list[str] = []
    for head, data in _STREAM.findall(body):
        if b"ASCII85Decode" in head:
            data = base64.a85decode(data.strip().removesuffix(b"~>"))
        if b"FlateDecode" in head:
            data = zlib.decompress(data)
        shown += [_decoded(_unescape(raw)) for raw in _SHOWN.findall(data)]
    return shown
