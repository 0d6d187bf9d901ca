"""QR rendering (PNG, SVG) and decoding photos/screenshots with zxing-cpp."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from codes_support import NOW, issue
from PIL import Image, ImageDraw, ImageFilter

import codes


def svg_to_image(svg: bytes, scale: int = 8) -> Image.Image:
    """Rasterise our one-path SVG (``M x y h w v1 h-w z`` runs in module units)."""
    import re
    text = svg.decode()
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', text).group(1))
    path = re.search(r' d="([^"]*)"', text).group(1)
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for m in re.finditer(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path):
        x, y, w = (int(v) for v in m.groups())
        draw.rectangle([x * scale, y * scale, (x + w) * scale - 1, (y + 1) * scale - 1], fill=0)
    return image


def test_png_round_trip(es256_key, trust_list):
    text = issue(es256_key)
    png = codes.render_png(text)
    assert png.media_type == "image/png" and png.data.startswith(b"\x89PNG")
    assert codes.decode_image(png.data) == [text]
    verdict = codes.verify_image(png.data, trust_list=trust_list, at=NOW)
    assert verdict.valid


def test_svg_round_trip(eddsa_key):
    text = issue(eddsa_key)
    svg = codes.render_svg(text)
    assert svg.media_type == "image/svg+xml" and b"<svg" in svg.data
    assert codes.decode_image(svg_to_image(svg.data)) == [text]


def test_minimal_live_code_fits_version_11(es256_key, eddsa_key):
    for key in (es256_key, eddsa_key):
        text = issue(key, masked_name="欧*娜")
        assert codes.qr_version(text) <= 11, len(text)
        assert codes.render_svg(text).version == codes.qr_version(text)


def test_photo_like_image_still_decodes(es256_key):
    text = issue(es256_key, kind="paper", ttl=timedelta(hours=24))
    png = Image.open(io.BytesIO(codes.render_png(text, box_size=6).data)).convert("RGB")
    canvas = Image.new("RGB", (png.width + 300, png.height + 200), (200, 190, 170))
    canvas.paste(png.rotate(7, expand=True, fillcolor=(255, 255, 255)), (120, 60))
    photo = canvas.filter(ImageFilter.GaussianBlur(1))
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=70)
    assert codes.decode_image(buf.getvalue()) == [text]


def test_image_without_qr(trust_list):
    blank = Image.new("RGB", (400, 300), (240, 240, 240))
    ImageDraw.Draw(blank).text((20, 20), "no code here", fill=(0, 0, 0))
    with pytest.raises(codes.QRError) as err:
        codes.decode_image(blank)
    assert err.value.reason == "no_qr"
    verdict = codes.verify_image(blank, trust_list=trust_list, at=NOW)
    assert verdict.reason == "no_qr" and verdict.message_zh == "图片中未找到二维码。"


def test_not_an_image():
    with pytest.raises(codes.QRError) as err:
        codes.decode_image(b"definitely not a png")
    assert err.value.reason == "bad_image"


def test_foreign_qr_is_bad_prefix(trust_list):
    import qrcode
    image = qrcode.make("https://example.com/").get_image().convert("RGB")
    verdict = codes.verify_image(image, trust_list=trust_list, at=NOW)
    assert verdict.reason == "bad_prefix"
