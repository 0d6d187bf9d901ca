"""QR symbols for codes: render PNG/SVG with ``qrcode``, read photos with zxing-cpp.

Codes are Base45, whose 45 characters are exactly the QR alphanumeric set, so the text
goes in alphanumeric mode (5.5 bits a character) at error-correction level Q, like the DCC.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import qrcode
import zxingcpp
from PIL import Image, UnidentifiedImageError
from qrcode.exceptions import DataOverflowError
from qrcode.util import MODE_ALPHA_NUM, QRData

from codes.errors import QRError
from codes.qrmask import best_mask

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
QUIET_ZONE = 4  # modules of margin, as ISO/IEC 18004 requires
#: Largest version a *minimal live* code is designed to fit (checked by the tests).
TARGET_MAX_VERSION = 11
#: The formats decode_image looks for (read_barcodes takes a BarcodeFormats set).
_QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


@dataclass(frozen=True)
class QRImage:
    """A rendered symbol: ``data`` is PNG bytes or SVG text (UTF-8 bytes)."""

    data: bytes
    version: int
    media_type: str


def _symbol(text: str, box_size: int = 8) -> qrcode.QRCode:
    """A QRCode holding ``text`` (alphanumeric, level Q) at its smallest version."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECTION, box_size=box_size, border=QUIET_ZONE)
    try:
        qr.add_data(QRData(text, mode=MODE_ALPHA_NUM))
        qr.best_fit()
    except (DataOverflowError, ValueError, TypeError) as err:
        raise QRError(f"cannot encode this text as an alphanumeric QR code: {err}",
                      reason="bad_qr_data") from err
    return qr


def build_qr(text: str, *, box_size: int = 8) -> qrcode.QRCode:
    """The QR matrix of a code text (alphanumeric mode, level Q, smallest version).

    The mask is chosen by :func:`codes.qrmask.best_mask` (the same choice ``qrcode``
    makes, at a tenth of the cost) and handed to ``qrcode`` to build the symbol.
    """
    qr = _symbol(text, box_size)
    qr.mask_pattern = best_mask(qr)
    qr.make(fit=False)
    return qr


def qr_version(text: str) -> int:
    """The QR version (1-40) this code text needs."""
    return _symbol(text).version


def render_png(text: str, *, box_size: int = 8) -> QRImage:
    """A PNG image of the code's QR symbol."""
    qr = build_qr(text, box_size=box_size)
    out = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return QRImage(out.getvalue(), qr.version, "image/png")


def render_svg(text: str, *, box_size: int = 8) -> QRImage:
    """A standalone SVG of the code's QR symbol: one path, dark runs per row.

    Written from the module matrix rather than with ``qrcode.image.svg``: that factory
    builds an XML element per module (~10 ms for a version-11 symbol); run-length rows in
    one path are ~1 ms and a third of the size.
    """
    qr = build_qr(text, box_size=box_size)
    matrix = qr.get_matrix()  # includes the quiet zone
    size = len(matrix)
    parts: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    pixels = size * box_size
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{pixels}" height="{pixels}" '
           f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
           f'<rect width="{size}" height="{size}" fill="#fff"/>'
           f'<path fill="#000" d="{"".join(parts)}"/></svg>')
    return QRImage(svg.encode("utf-8"), qr.version, "image/svg+xml")


#: Largest image decode_image opens (pixels): a 12 MP phone photo fits; a 33 KB PNG that
#: claims 12000 × 12000 (1.5 GB decoded) is refused from its header, before decoding.
MAX_PIXELS = 16_000_000


def _as_image(source: Any, max_pixels: int) -> Image.Image:
    if isinstance(source, Image.Image):
        image = source
    else:
        try:
            if isinstance(source, bytes | bytearray):
                image = Image.open(io.BytesIO(source))
            else:
                image = Image.open(Path(source))
        except Image.DecompressionBombError as err:  # Pillow's own, far larger, cap
            raise QRError(str(err), reason="image_too_large") from err
        except (UnidentifiedImageError, OSError, ValueError) as err:
            raise QRError(f"not a readable image: {err}", reason="bad_image") from err
    width, height = image.size  # from the header: nothing decoded yet
    if width * height > max_pixels:
        raise QRError(f"an image of {width}×{height} pixels is larger than {max_pixels} "
                      "pixels", reason="image_too_large")
    try:
        image.load()
    except (Image.DecompressionBombError, OSError, ValueError, SyntaxError) as err:
        raise QRError(f"not a readable image: {err}", reason="bad_image") from err
    return image


def decode_image(source: Any, *, max_pixels: int = MAX_PIXELS) -> list[str]:
    """Every QR code text found in a photo or screenshot (PIL image, bytes or path).
    CPU-bound (up to a second for a large photo): async callers run it in a thread.

    Raises:
        QRError: the image cannot be read (``bad_image``), has more than ``max_pixels``
            pixels (``image_too_large``, checked before decoding) or holds no QR code
            (``no_qr``).
    """
    image = _as_image(source, max_pixels)
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    try:
        found = zxingcpp.read_barcodes(image, formats=_QR_ONLY)
    except (ValueError, RuntimeError) as err:
        raise QRError(f"cannot scan this image: {err}", reason="bad_image") from err
    texts = [b.text for b in found if b.valid and b.text]
    if not texts:
        raise QRError("no QR code found in the image", reason="no_qr")
    return texts
