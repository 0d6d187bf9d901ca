"""QR mask selection (ISO/IEC 18004 §7.8.3) scored on the whole symbol at once.

``qrcode`` picks the mask by building the symbol eight times and scoring each with a
module-by-module Python loop: ~17 ms of the ~24 ms it takes to render a live code. The
scoring is re-done here, by hand, for speed only. ``qrcode`` builds one symbol (mask 0);
its rows and then its columns are packed into one big int (a bit a module), each other
mask is one XOR with precomputed mask bits, and the four penalty rules become a few shifts,
ANDs and bit counts on that int (well under 1 ms for all eight masks).

The scores equal ``qrcode.util.lost_point`` on the matrices ``qrcode`` itself scores
(format and version areas left light, as its ``makeImpl(test=True)`` does), so the chosen
mask is the one ``qrcode`` would choose; the tests compare both on many random symbols.
The chosen mask is then handed to ``qrcode`` to build the final symbol.
"""

from __future__ import annotations

from functools import lru_cache

import qrcode
from qrcode.util import mask_func

MASKS = range(8)
_BITS = bytes.maketrans(b"\x00\x01", b"01")


def _pack(matrix: list[list[bool]]) -> int:
    """Columns, then rows, as one int: row ``size-1`` ends at bit 0 (rows in the low bits).

    Every line (row or column) takes ``size`` bits, so line ``j`` (counted from bit 0)
    holds bits ``j*size`` to ``j*size + size - 1``; which way a line runs does not matter
    to the rules, and the 1:1:3:1:1 pattern is looked for in both directions.
    """
    columns = [bytes(col) for col in zip(*matrix, strict=True)]
    lines = b"".join(columns + [bytes(row) for row in matrix])
    return int(lines.translate(_BITS), 2)


class _Layout:
    """Per-version constants: masks selecting valid bit positions, and each mask's flips."""

    def __init__(self, version: int) -> None:
        size = self.size = version * 4 + 17
        line = (1 << size) - 1
        every_line = sum(1 << (j * size) for j in range(2 * size))  # bit 0 of every line
        # Bit p starts a run of k modules inside one line (positions p .. p+k-1).
        self.starts2 = every_line * (line >> 1)
        self.starts11 = every_line * (line >> 10)
        self.rows = (1 << size * size) - 1  # the rows half of the packed int
        self.below_first_row = (1 << size * (size - 1)) - 1  # rows 1..size-1: a row above
        self.flips = tuple(_pack(bits) for bits in _flip_matrices(version, size))


def _flip_matrices(version: int, size: int) -> list[list[list[bool]]]:
    """For each mask, the modules it inverts: the data modules where its formula holds.

    The data modules are the ones ``qrcode`` leaves empty after placing the function
    patterns and (test-mode) format and version areas, found with its own methods.
    """
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
    return [[[free[r][c] and bool(formula(r, c)) for c in range(size)] for r in range(size)]
            for formula in map(mask_func, MASKS)]


@lru_cache(maxsize=40)  # one per QR version
def _layout(version: int) -> _Layout:
    return _Layout(version)


def penalty(packed: int, layout: _Layout) -> int:
    """The N1-N4 penalty (ISO/IEC 18004 §7.8.3.1) of a symbol packed by :func:`_pack`."""
    size = layout.size
    light = ~packed
    # N1: a run of k >= 5 same-colour modules in a row or column scores k - 2, counted as
    # its k - 4 five-module windows plus 2 per run (a run's windows are adjacent bits).
    same = ~(packed ^ (packed >> 1)) & layout.starts2  # module p equals module p+1
    five = same & (same >> 1) & (same >> 2) & (same >> 3)
    score = five.bit_count() + 2 * (five & ~(five >> 1)).bit_count()
    # N2: each 2x2 block of one colour scores 3 (rows only: every block is counted once).
    rows = packed & layout.rows
    vertical = ~(rows ^ (rows >> size)) & layout.below_first_row
    block = vertical & (vertical >> 1) & same & layout.starts2
    score += 3 * block.bit_count()
    # N3: 1011101 with 0000 after or before it, 40 each, in rows and columns.
    core = (packed & (light >> 1) & (packed >> 2) & (packed >> 3) & (packed >> 4)
            & (light >> 5) & (packed >> 6))
    zeros = light & (light >> 1) & (light >> 2) & (light >> 3)
    starts = layout.starts11
    score += 40 * ((core & (zeros >> 7) & starts).bit_count()
                   + (zeros & (core >> 4) & starts).bit_count())
    # N4: 10 per full 5% the dark share departs from 50%, computed as qrcode does.
    dark = rows.bit_count()
    return score + int(abs(float(dark) / (size**2) * 100 - 50) / 5) * 10


def mask_penalties(qr: qrcode.QRCode) -> list[int]:
    """The penalty of each mask 0-7 for ``qr`` (data added, version fixed)."""
    qr.makeImpl(True, 0)
    layout = _layout(qr.version)
    plain = _pack(qr.modules) ^ layout.flips[0]  # undo mask 0
    return [penalty(plain ^ flips, layout) for flips in layout.flips]


def best_mask(qr: qrcode.QRCode) -> int:
    """The mask ``qrcode`` would choose: lowest penalty, the first one on a tie."""
    scores = mask_penalties(qr)
    return scores.index(min(scores))
