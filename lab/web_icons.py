"""The page's app icons: ``python -m lab.web_icons`` writes ``stretch_web/static/icons/``.

One drawing (the seated stretch of the page's figures: the stretcher reaching for the toes, the
helper pushing the back) made into an SVG and into PNGs with Pillow, drawn four times larger and
scaled down for smooth edges. The PNGs are committed; tests/web/test_shell.py checks that they
are what this script makes.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parents[1] / "stretch_web" / "static" / "icons"
BG, FG, HELPER, FLOOR = "#10151c", "#f3f5f7", "#5aa7e8", "#4cc38a"
STROKE, HEAD = 10, 15
"""Line width and head radius in figure units (the figure is 240 x 170, as figures.js draws it)."""

# (colour, x1, y1, x2, y2): lines; (colour, cx, cy): heads. From figures.js' seated_single_leg.
LINES = [(FLOOR, 15, 162, 225, 162),
         (FG, 70, 150, 190, 150), (FG, 190, 150, 192, 133), (FG, 70, 150, 120, 92),
         (FG, 110, 105, 180, 137),
         (HELPER, 35, 57, 30, 110), (HELPER, 30, 110, 20, 160), (HELPER, 30, 110, 45, 160),
         (HELPER, 34, 72, 92, 115)]
HEADS = [(FG, 132, 80), (HELPER, 35, 40)]
SIZES = {"icon-192.png": (192, False), "icon-512.png": (512, False), "icon-180.png": (180, True),
         "maskable-512.png": (512, True)}
"""File: (pixels, full bleed). Full bleed (maskable, and Apple's touch icon, which iOS rounds
itself) keeps the figure inside the central circle that every mask shape leaves."""


def _box() -> tuple[float, float, float, float]:
    """The drawing's bounds in figure units: left, top, right, bottom."""
    xs = [x for _c, x1, _y1, x2, _y2 in LINES for x in (x1, x2)]
    ys = [y for _c, _x1, y1, _x2, y2 in LINES for y in (y1, y2)]
    xs += [x + s * HEAD for _c, x, _y in HEADS for s in (-1, 1)]
    ys += [y + s * HEAD for _c, _x, y in HEADS for s in (-1, 1)]
    return min(xs), min(ys), max(xs), max(ys)


def _place(size: float, bleed: bool) -> tuple[float, float, float]:
    """Scale and offset that centre the drawing on a square of ``size``."""
    left, top, right, bottom = _box()
    scale = size * (0.62 if bleed else 0.78) / (right - left)
    return (scale, size / 2 - (left + right) / 2 * scale, size / 2 - (top + bottom) / 2 * scale)


def svg() -> str:
    scale, dx, dy = _place(512, False)
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">',
             f'<rect width="512" height="512" rx="96" fill="{BG}"/>',
             f'<g transform="translate({dx:.1f} {dy:.1f}) scale({scale:.4f})" '
             f'stroke-width="{STROKE}" stroke-linecap="round">']
    parts += [f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{c}"/>'
              for c, x1, y1, x2, y2 in LINES]
    parts += [f'<circle cx="{x}" cy="{y}" r="{HEAD}" fill="{c}"/>' for c, x, y in HEADS]
    return "\n".join(parts + ["</g>", "</svg>", ""])


def png(size: int, bleed: bool, oversample: int = 4) -> Image.Image:
    big = size * oversample
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if bleed:
        draw.rectangle((0, 0, big, big), fill=BG)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 96 // 512, fill=BG)
    scale, dx, dy = _place(big, bleed)
    width = round(STROKE * scale)

    def at(x: float, y: float) -> tuple[float, float]:
        return dx + x * scale, dy + y * scale

    for colour, x1, y1, x2, y2 in LINES:
        draw.line((at(x1, y1), at(x2, y2)), fill=colour, width=width)
        for x, y in ((x1, y1), (x2, y2)):  # round caps
            cx, cy = at(x, y)
            draw.ellipse((cx - width / 2, cy - width / 2, cx + width / 2, cy + width / 2), fill=colour)
    for colour, x, y in HEADS:
        cx, cy = at(x, y)
        r = HEAD * scale
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    return img.resize((size, size), Image.LANCZOS)


def write(folder: Path = ICONS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = [folder / "icon.svg"]
    out[0].write_text(svg(), encoding="utf-8")
    for name, (size, bleed) in SIZES.items():
        png(size, bleed).save(folder / name, optimize=True)
        out.append(folder / name)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ICONS)
    for path in write(ap.parse_args(argv).out):
        print(f"{path} {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
