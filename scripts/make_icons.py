"""Draw the app's icons (static/pwa/icons/*.png) from static/favicon.svg (run on demand).

    .venv/bin/python scripts/make_icons.py

Debian's Chromium (through Playwright) renders the SVG at each size, so the PNGs look exactly
as the favicon does. The "any" icons are the favicon as it is (rounded corners, transparent
outside them); the maskable one puts the favicon's speech bubble inside the safe zone (the
middle 80 %) on a full square of its blue, as Android may cut any shape out of it
(https://w3c.github.io/manifest/#icon-masks). The web app manifest (config/views.py,
``web_manifest``) and the apple-touch-icon in templates/base.html name these files.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "static" / "favicon.svg"
OUT = ROOT / "static" / "pwa" / "icons"
#: The favicon's background, filling the whole square of the maskable icon.
BLUE = "#1d4e89"

#: name → (size in pixels, maskable)
ICONS = {
    "icon-192.png": (192, False),
    "icon-512.png": (512, False),
    "icon-maskable-512.png": (512, True),
    "apple-touch-icon-180.png": (180, True),  # iOS rounds it itself: no transparent corners
}


def page_for(svg: str, size: int, maskable: bool) -> str:
    """A page that shows the icon filling a ``size``-pixel square."""
    if maskable:
        # The favicon without its corners, scaled to 80 % and centred: its bubble (a little
        # over half of it) stays well inside the safe zone, a circle of 40 % radius.
        inner = svg.replace('rx="6" ', "")
        body = (f'<div style="width:{size}px;height:{size}px;background:{BLUE};display:flex;'
                f'align-items:center;justify-content:center">'
                f'<div style="width:{size * 0.8}px;height:{size * 0.8}px">{inner}</div></div>')
    else:
        body = f'<div style="width:{size}px;height:{size}px">{svg}</div>'
    return ("<!doctype html><html><head><style>html,body{margin:0;background:transparent}"
            "svg{width:100%;height:100%;display:block}</style></head>"
            f"<body>{body}</body></html>")


def main() -> None:
    svg = SOURCE.read_text()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        for name, (size, maskable) in ICONS.items():
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(page_for(svg, size, maskable))
            page.screenshot(path=str(OUT / name), omit_background=not maskable,
                            clip={"x": 0, "y": 0, "width": size, "height": size})
            page.close()
            print(f"wrote {OUT / name}")
        browser.close()


if __name__ == "__main__":
    main()
