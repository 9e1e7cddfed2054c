"""Remake ``docs/_static/waterfall.png``, the README's picture of the console exporter, from
the real output of ``examples/waterfall.py`` in a terminal.

The example runs in a detached tmux session of a fixed size (so its output is what a
terminal of that size shows, colours and all); ``tmux capture-pane -e -p`` reads the screen
back with its colour escapes, and Pillow draws those cells with DejaVu Sans Mono on a dark
background. Needs tmux, Pillow and the DejaVu fonts::

    sudo apt-get install -y tmux fonts-dejavu-core
    .venv/bin/pip install pillow
    .venv/bin/python docs/make_screenshot.py          # writes docs/_static/waterfall.png

``--text FILE`` draws a saved capture instead of running tmux; ``--out`` and ``--columns``
change the output file and the terminal width.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import List, Optional, Tuple

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/waterfall.py"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_SIZE = 15
PAD = 18
LINE_GAP = 4

BACKGROUND = (30, 32, 40)
FOREGROUND = (220, 223, 228)
TITLE_BAR = (48, 51, 62)
# the 16 ANSI colours: normal 30-37, bright 90-97
PALETTE = [
    (40, 42, 54), (240, 98, 98), (110, 210, 120), (230, 200, 100),
    (100, 150, 245), (200, 130, 230), (90, 200, 215), (200, 200, 200),
    (120, 124, 140), (255, 120, 120), (140, 230, 150), (245, 220, 130),
    (130, 175, 255), (220, 160, 245), (130, 225, 235), (255, 255, 255),
]
EIGHTHS = {chr(0x2590 - i): i for i in range(1, 8)}  # "▏" (1/8) ... "▉" (7/8)
FULL_BLOCK = "\u2588"

Style = Tuple[Tuple[int, int, int], bool]  # colour, bold
Cell = Tuple[str, Style]


def capture(columns: int, rows: int) -> str:
    """Run the example in a fresh tmux server of ``columns`` x ``rows`` and return the
    screen with its colour escapes."""
    socket = "traced-shot-%d" % os.getpid()
    command = "printf '$ python %s\\n'; env -u NO_COLOR %s %s; tmux wait-for -S done; sleep 60" % (
        EXAMPLE, shlex.quote(sys.executable), EXAMPLE,
    )
    tmux = ["tmux", "-L", socket, "-f", "/dev/null"]
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("TMUX", None)
    subprocess.run(
        tmux + ["new-session", "-d", "-x", str(columns), "-y", str(rows), "-c", str(ROOT), command],
        check=True, env=env,
    )
    try:
        subprocess.run(tmux + ["wait-for", "done"], check=True, timeout=60)
        time.sleep(0.2)
        done = subprocess.run(tmux + ["capture-pane", "-e", "-p"], check=True, capture_output=True, text=True)
        return done.stdout
    finally:
        subprocess.run(tmux + ["kill-server"], check=False)


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def parse(text: str) -> List[List[Cell]]:
    """The screen as rows of (character, style) cells, from text with SGR escapes."""
    rows: List[List[Cell]] = []
    colour, bold = FOREGROUND, False
    for line in text.rstrip("\n").split("\n"):
        row: List[Cell] = []
        pos = 0
        for match in list(SGR.finditer(line)) + [None]:
            end = match.start() if match else len(line)
            row.extend((ch, (colour, bold)) for ch in line[pos:end])
            if match is None:
                break
            pos = match.end()
            colour, bold = apply(match.group(1), colour, bold)
        rows.append(row)
    while rows and not "".join(ch for ch, _ in rows[-1]).strip():
        rows.pop()
    return rows


def apply(params: str, colour: Tuple[int, int, int], bold: bool) -> Tuple[Tuple[int, int, int], bool]:
    codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
    i = 0
    while i < len(codes):
        code = codes[i]
        if code == 0:
            colour, bold = FOREGROUND, False
        elif code == 1:
            bold = True
        elif code == 22:
            bold = False
        elif 30 <= code <= 37:
            colour = PALETTE[code - 30]
        elif 90 <= code <= 97:
            colour = PALETTE[code - 90 + 8]
        elif code == 39:
            colour = FOREGROUND
        elif code == 38 and i + 2 < len(codes) and codes[i + 1] == 5:
            colour = PALETTE[codes[i + 2]] if codes[i + 2] < 16 else FOREGROUND
            i += 2
        i += 1
    return colour, bold


def cells(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def draw(rows: List[List[Cell]], columns: int, title: str) -> Image.Image:
    regular = ImageFont.truetype(str(FONT_DIR / "DejaVuSansMono.ttf"), FONT_SIZE)
    bold_font = ImageFont.truetype(str(FONT_DIR / "DejaVuSansMono-Bold.ttf"), FONT_SIZE)
    cell_w = regular.getlength("M")
    ascent, descent = regular.getmetrics()
    cell_h = ascent + descent + LINE_GAP
    used = max((sum(cells(ch) for ch, _ in row) for row in rows), default=0)
    title_h = 30
    width = int(PAD * 2 + cell_w * min(max(used, 1), columns))
    height = int(title_h + PAD * 2 + cell_h * len(rows))
    image = Image.new("RGB", (width, height), BACKGROUND)
    pen = ImageDraw.Draw(image)
    pen.rectangle([0, 0, width, title_h], fill=TITLE_BAR)
    for n, dot in enumerate([(240, 98, 98), (230, 200, 100), (110, 210, 120)]):
        left = 16 + n * 20
        pen.ellipse([left, 10, left + 11, 21], fill=dot)
    pen.text((width / 2, title_h / 2), title, fill=(170, 174, 186), font=regular, anchor="mm")
    for r, row in enumerate(rows):
        y = title_h + PAD + r * cell_h
        col = 0
        for ch, (colour, bold) in row:
            x = PAD + col * cell_w
            if ch == FULL_BLOCK or ch in EIGHTHS:  # bars as exact rectangles, no font gaps
                fraction = 1.0 if ch == FULL_BLOCK else EIGHTHS[ch] / 8
                pen.rectangle([x, y + 2, x + cell_w * fraction - 0.01, y + cell_h - 3], fill=colour)
            elif ch != " ":
                pen.text((x, y + LINE_GAP // 2), ch, fill=colour, font=bold_font if bold else regular)
            col += cells(ch)
    return image


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "_static" / "waterfall.png"))
    parser.add_argument("--columns", type=int, default=112)
    parser.add_argument("--text", help="draw this saved capture instead of running tmux")
    args = parser.parse_args(argv)
    text = Path(args.text).read_text() if args.text else capture(args.columns, 24)
    image = draw(parse(text), args.columns, "python examples/waterfall.py")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=64, dither=Image.Dither.NONE).save(out, optimize=True)
    print("%s: %dx%d, %d bytes" % (out, image.width, image.height, out.stat().st_size))


if __name__ == "__main__":
    main()
