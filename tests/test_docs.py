"""The docs keep up with the CLI: every command is in the README, every option of every command in the docs."""
from __future__ import annotations

import re

import pytest
import typer

from conftest import ROOT
from factcomment.cli import app

COMMAND = typer.main.get_command(app)
COMMANDS = sorted(COMMAND.commands)
OPTIONS = sorted({(name, opt) for name, command in COMMAND.commands.items() for param in command.params
                  if param.param_type_name == "option" for opt in param.opts if opt.startswith("--")}
                 | {("factcomment", opt) for param in COMMAND.params if param.param_type_name == "option"
                    for opt in param.opts if opt.startswith("--")})
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))


def test_the_walk_finds_the_commands_and_their_options():
    assert {"split", "classify", "train", "evaluate", "report", "review"} <= set(COMMANDS)
    assert ("train", "--refit-with-heldout") in OPTIONS and ("factcomment", "--version") in OPTIONS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command):
    assert re.search(rf"`factcomment {command}\b", README), f"README.md does not show `factcomment {command} ...`"


@pytest.mark.parametrize("command, option", OPTIONS)
def test_every_option_is_in_the_docs(command, option):
    assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", DOCS), (
        f"factcomment {command} {option} is in no page: describe it in README.md or docs/*.md")


def test_the_readme_is_short():
    assert len(README.encode("utf-8")) <= 10_500, "README.md is for users; move details into docs/"


# Pages other branches are writing (the fast model's, the accurate tier's, distillation's): the README and
# docs link to them already. Take a page off this list when it lands.
PENDING: set[str] = set()
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_lead_to_files(page):
    text = page.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        path = (page.parent / target).resolve()
        if not path.exists() and path.relative_to(ROOT).as_posix() not in PENDING:
            broken.append(target)
    assert broken == []


def _pages():
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.name)
def test_every_repository_path_and_link_in_the_docs_exists(page):
    # A renamed or deleted file (docs/data.md once listed a lexicon removed long before) leaves a stale mention.
    text = page.read_text(encoding="utf-8")
    paths = re.finditer(r"`((?:src|bench|docs|tests|model|data|seeds|\.ci)/[^`\s]*)`", text)
    named = [m.group(1).rstrip("/") for m in paths if not any(mark in m.group(1) for mark in "*…<>{}$")]
    linked = [m.group(1) for m in re.finditer(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text)
              if not m.group(1).startswith(("http://", "https://", "mailto:"))]
    missing = [p for p in named if not (ROOT / p).exists()] + [p for p in linked if not (page.parent / p).exists()]
    assert not missing, f"{page.name} names files that do not exist: {missing}"


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py")))
def test_every_bench_script_is_in_the_development_page(script):
    page = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    assert f"python bench/{script}" in page, f"bench/{script} is not listed in docs/development.md"
