"""QR mask selection (ISO/IEC 18004 §7.8.3) scored on whole rows at once.

``qrcode`` picks the mask by building the symbol eight times and scoring each with a
module-by-module Python loop: ~17 ms of the ~24 ms it takes to render a live code. The
rules are re-done here, by hand, for speed only. One symbol is built (mask 0), the other
seven follow by XOR with precomputed mask bits, and rows and columns are Python ints
(one bit a module) scored with string and bit operations (~1.5 ms for all eight).

The scores are exactly ``qrcode.util.lost_point`` on the matrices ``qrcode`` itself scores
(format and version areas left light, as its ``makeImpl(test=True)`` does), so the chosen
mask is the one ``qrcode`` would choose; the tests compare both on many random symbols.
The chosen mask is then handed to ``qrcode`` to build the final symbol.
"""

from __future__ import annotations

import re
from functools import lru_cache

import qrcode
from qrcode.util import mask_func

MASKS = range(8)
# N1: five or more same-colour modules in a row/column score 3 + (run length - 5).
_RUN = re.compile("0{5,}|1{5,}")
# N3: the finder-like 1:1:3:1:1 pattern with four light modules on either side.
_FINDER_LIKE = ("10111010000", "00001011101")
_BITS = bytes.maketrans(b"\x00\x01", b"01")


def _row_ints(matrix: list[list[bool]]) -> list[int]:
    """Each row as an int, column 0 as the most significant bit."""
    return [int(bytes(row).translate(_BITS), 2) for row in matrix]


@lru_cache(maxsize=None)
def _mask_bits(version: int) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """Per mask: (rows, columns) of the modules it flips, i.e. data modules it darkens.

    The data modules are the ones ``qrcode`` leaves empty after placing its function
    patterns and (test-mode) format and version areas, found with its own methods.
    """
    size = version * 4 + 17
    qr = qrcode.QRCode(version=version)
    qr.modules_count = size
    qr.modules = [[None] * size for _ in range(size)]
    for row, col in ((0, 0), (size - 7, 0), (0, size - 7)):
        qr.setup_position_probe_pattern(row, col)
    qr.setup_position_adjust_pattern()
    qr.setup_timing_pattern()
    qr.setup_type_info(True, 0)
    if version >= 7:
        qr.setup_type_number(True)
    free = [[cell is None for cell in row] for row in qr.modules]
    out = []
    for mask in MASKS:
        flips = mask_func(mask)
        bits = [[free[r][c] and bool(flips(r, c)) for c in range(size)] for r in range(size)]
        out.append((tuple(_row_ints(bits)), tuple(_row_ints([list(c) for c in zip(*bits)]))))
    return tuple(out)


def penalty(rows: list[int], cols: list[int], size: int) -> int:
    """The N1-N4 penalty of a symbol given as row and column ints (``size`` modules wide)."""
    form = f"0{size}b"
    lines = "|".join([format(x, form) for x in rows] + [format(x, form) for x in cols])
    runs = _RUN.findall(lines)
    score = sum(map(len, runs)) - 2 * len(runs)  # N1
    score += 40 * sum(lines.count(p) for p in _FINDER_LIKE)  # N3
    full = (1 << size) - 1
    pairs = full >> 1  # bit p: columns c and c+1 (both inside the row)
    for upper, lower in zip(rows, rows[1:]):  # N2: 2x2 blocks of one colour, 3 each
        same = full & ~(upper ^ lower)
        score += 3 * (same & (same >> 1) & ~(upper ^ (upper >> 1)) & pairs).bit_count()
    dark = sum(x.bit_count() for x in rows)  # N4, as qrcode computes it
    score += int(abs(float(dark) / (size**2) * 100 - 50) / 5) * 10
    return score


def mask_penalties(qr: qrcode.QRCode) -> list[int]:
    """The penalty of each mask 0-7 for ``qr`` (data added, version fixed)."""
    qr.makeImpl(True, 0)
    size = qr.modules_count
    flips = _mask_bits(qr.version)
    rows0, cols0 = flips[0]
    # Undo mask 0 to get the unmasked symbol, then apply each mask in turn.
    rows = [a ^ b for a, b in zip(_row_ints(qr.modules), rows0, strict=True)]
    cols = [a ^ b for a, b in zip(_row_ints([list(c) for c in zip(*qr.modules)]), cols0,
                                  strict=True)]
    return [penalty([a ^ b for a, b in zip(rows, mrows, strict=True)],
                    [a ^ b for a, b in zip(cols, mcols, strict=True)], size)
            for mrows, mcols in flips]


def best_mask(qr: qrcode.QRCode) -> int:
    """The mask ``qrcode`` would choose: lowest penalty, the first one on a tie."""
    scores = mask_penalties(qr)
    return scores.index(min(scores))
