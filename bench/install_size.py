"""Disk taken by each install a user makes, measured in fresh virtual environments.

    python bench/install_size.py [--keep DIR]     # with --keep, also what the accurate tier adds, package by package

Builds the wheels of factcomment and factcomment-accurate from this checkout, then installs into fresh venvs:
``factcomment`` alone (the fast tier), and ``factcomment[accurate]`` with the accurate weights. Prints the
wheel sizes and each venv's site-packages size, and the accurate tier's cost over the base install
(onnxruntime, tokenizers and the weights). Needs the package registries (pip downloads the dependencies).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def site_packages(env: Path) -> Path:
    return next(env.glob("lib/python*/site-packages"))


def install(env: Path, *requirements: str) -> int:
    venv.create(env, with_pip=True)
    subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", "-q", *requirements], check=True)
    packages = site_packages(env)
    # pip and setuptools come with every venv; they are not what the user installed.
    baseline = sum(size(p) for p in packages.iterdir() if p.name.split("-")[0] in ("pip", "setuptools", "_distutils_hack"))
    return size(packages) - baseline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build and install here instead of a temporary directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or Path(scratch)
        wheels = work / "wheels"
        for project in (ROOT, ROOT / "model" / "accurate"):
            subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(project)],
                           check=True)
        built = {w.name.split("-")[0]: w for w in wheels.glob("*.whl")}
        fast_wheel, accurate_wheel = built["factcomment"], built["factcomment_accurate"]
        base = install(work / "fast", str(fast_wheel))
        accurate = install(work / "accurate", f"{fast_wheel}[accurate]", str(accurate_wheel))
        sizes = fast_wheel.stat().st_size, accurate_wheel.stat().st_size
    print(f"wheel factcomment:           {sizes[0] / 1e6:7.2f} MB")
    print(f"wheel factcomment-accurate:  {sizes[1] / 1e6:7.2f} MB")
    print(f"install, fast tier:          {base / 1e6:7.1f} MB (site-packages, without pip/setuptools)")
    print(f"install, with accurate tier: {accurate / 1e6:7.1f} MB; the accurate tier adds {(accurate - base) / 1e6:.1f} MB")
    if args.keep:
        print("what the accurate tier adds, by top-level entry of site-packages (MB):")
        fast, added = site_packages(work / "fast"), site_packages(work / "accurate")
        present = {entry.name for entry in fast.iterdir()}
        sizes = sorted(((size(e) if e.is_dir() else e.stat().st_size, e.name) for e in added.iterdir()
                        if e.name not in present and not e.name.endswith(".dist-info")), reverse=True)
        for taken, name in sizes:
            if taken >= 100_000:
                print(f"  {taken / 1e6:7.2f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
