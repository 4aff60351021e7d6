"""Regenerate ``docs/report.png`` and ``docs/review.png``, the screenshots of the seeds' report and review page.

Run from the repo root, with Debian's ``chromium`` (or ``--chromium PATH``) installed::

    python bench/report_screenshot.py                 # writes docs/report.png (and docs/report.html with --keep-html)
    python bench/report_screenshot.py --review        # writes docs/review.png

It builds the page exactly as ``factcomment report seeds -o report.html`` (or ``factcomment review seeds
--order uncertain``) does, with the shipped model (``model/``), and photographs the top of the page in
headless Chromium at 1280x1800. For the review page it first marks three items by clicking, as a moderator
would (the tests' DevTools driver, which needs ``websocket-client``). Exit status 2 when the shipped model or
the browser is missing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="PNG to write (default: docs/report.png, or docs/review.png with --review).")
    parser.add_argument("--review", action="store_true", help="The review page, with three items marked.")
    parser.add_argument("--size", default="1280,1800", help="Browser window WIDTH,HEIGHT in pixels.")
    parser.add_argument("--chromium", default=shutil.which("chromium"), help="The chromium binary.")
    parser.add_argument("--keep-html", action="store_true", help="Also keep the HTML beside the PNG.")
    args = parser.parse_args(argv)
    # Resolved before chdir, so a relative --out means relative to where you ran it.
    out = Path(args.out or ROOT / "docs" / ("review.png" if args.review else "report.png")).resolve()

    if not (ROOT / "model" / "card.json").is_file():
        print(f"report_screenshot: no shipped model in {ROOT / 'model'}; train it first (see the README)",
              file=sys.stderr)
        return 2
    if not args.chromium:
        print("report_screenshot: no chromium found; install Debian's chromium package or pass --chromium",
              file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT / "src"))
    from factcomment.readers import InputOptions, Tally
    from factcomment.report import build_report

    os.chdir(ROOT)
    tally = Tally()
    # Relative paths, so the page shows "seeds/..." rather than this machine's directories.
    page = build_report(["seeds"], InputOptions(), tally, model=str(ROOT / "model"), review=args.review,
                        order="uncertain" if args.review else "document",
                        title="factcomment review" if args.review else "factcomment report")
    if tally.errors:
        print("report_screenshot: " + "; ".join(map(str, tally.errors)), file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="factcomment-shot-") as tmp:
        html = Path(tmp) / "report.html"
        html.write_text(page, encoding="utf-8")
        if args.review:
            _marked_screenshot(html, out, Path(tmp), args.size)
        else:
            subprocess.run([args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                            "--no-first-run", "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", f"--user-data-dir={Path(tmp) / 'profile'}", "--hide-scrollbars",
                            f"--window-size={args.size}", f"--screenshot={out}", html.as_uri()],
                           check=True, timeout=60, capture_output=True)
    if args.keep_html:
        out.with_suffix(".html").write_text(page, encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


def _marked_screenshot(html: Path, out: Path, tmp: Path, size: str) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from browser import Browser  # the tests' DevTools driver

    width, height = (int(n) for n in size.split(","))
    browser = Browser(tmp / "profile-review", size=(width, height))
    try:
        browser.open(html.as_uri())
        items = browser.js("Array.from(document.querySelectorAll('.seg[data-text]')).map(e => e.id)")
        for ident, label in zip(items, ("report", "comment", "report")):
            browser.click(f"#{ident} button.mark.{label}")
        browser.click(f"#{items[3]} .text")  # the next item selected, as after marking by keyboard
        browser.js("window.scrollTo(0, 0)")
        browser.screenshot(out)
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
