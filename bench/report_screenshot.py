"""Regenerate ``docs/report.png``, the README's screenshot of the seeds' HTML report.

Run from the repo root, with Debian's ``chromium`` (or ``--chromium PATH``) installed::

    python bench/report_screenshot.py                 # writes docs/report.png (and docs/report.html with --keep-html)

It builds the report exactly as ``factcomment report seeds -o report.html`` does, with the shipped model
(``model/``), and photographs the top of the page in headless Chromium at 1280x1800. Exit status 2 when the
shipped model or the browser is missing.
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
    parser.add_argument("--out", default=str(ROOT / "docs" / "report.png"), help="PNG to write.")
    parser.add_argument("--size", default="1280,1800", help="Browser window WIDTH,HEIGHT in pixels.")
    parser.add_argument("--chromium", default=shutil.which("chromium"), help="The chromium binary.")
    parser.add_argument("--keep-html", action="store_true", help="Also keep the HTML beside the PNG.")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()  # before chdir, so a relative --out means relative to where you ran it

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
    page = build_report(["seeds"], InputOptions(), tally, model=str(ROOT / "model"))
    if tally.errors:
        print("report_screenshot: " + "; ".join(map(str, tally.errors)), file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="factcomment-shot-") as tmp:
        html = Path(tmp) / "report.html"
        html.write_text(page, encoding="utf-8")
        subprocess.run([args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", f"--user-data-dir={Path(tmp) / 'profile'}", "--hide-scrollbars",
                        f"--window-size={args.size}", f"--screenshot={out}", html.as_uri()],
                       check=True, timeout=60, capture_output=True)
    if args.keep_html:
        out.with_suffix(".html").write_text(page, encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
