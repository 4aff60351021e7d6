"""The package's layout: each module imports only from its own layer or the layers below it (docs/development.md),
and nothing below the CLI imports the package ``__init__``."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "factcomment"
# The CLI sits on top and the package __init__ only re-exports: both may name the package's re-exports.
ABOVE = {"__init__.py", "__main__.py"}
LIBRARY = sorted(p for p in PACKAGE.glob("*.py") if p.name not in ABOVE)


def _is_submodule(name: str) -> bool:
    return (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name / "__init__.py").is_file()


def upward_imports(source: str) -> list[str]:
    """The imports in ``source`` that go through ``factcomment/__init__.py`` for a name it re-exports.

    ``from factcomment import features`` names a submodule, like ``import factcomment.features``, and is
    fine; ``from factcomment import classify`` or ``import factcomment`` reaches up to the package.

    >>> upward_imports("from factcomment import __version__\\nfrom factcomment import segment")
    ['line 1: from factcomment import __version__']
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name == "factcomment"]
        elif isinstance(node, ast.ImportFrom) and (node.module == "factcomment" and node.level == 0
                                                   or node.module is None and node.level == 1):
            found += [f"line {node.lineno}: from {node.module or '.'} import {a.name}"
                      for a in node.names if not _is_submodule(a.name)]
    return found


def test_there_are_library_modules_to_check():
    assert len(LIBRARY) > 20 and PACKAGE.joinpath("segment.py") in LIBRARY


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_no_library_module_imports_the_package_init(path):
    assert upward_imports(path.read_text(encoding="utf-8")) == [], (
        f"{path.name} imports factcomment/__init__.py; import from the module that defines the name "
        "(e.g. factcomment._version, factcomment.segment)")


@pytest.mark.parametrize("source, found", [
    ("import factcomment", ["line 1: import factcomment"]),
    ("def f():\n    from factcomment import classify", ["line 2: from factcomment import classify"]),
    ("from . import load_model", ["line 1: from . import load_model"]),
    ("import factcomment.segment\nfrom factcomment.results import LABELS\nfrom factcomment import features", []),
])
def test_upward_imports_are_found_anywhere_in_a_module(source, found):
    assert upward_imports(source) == found


# From the bottom up, as docs/development.md lists them. A module may import from its own layer and those below.
LAYERS = [
    {"errors", "_version", "atomic", "features", "card"},
    {"segment", "results", "explain"},
    {"linear", "scorer", "encoder", "accurate", "paragraphs"},
    {"persist"},
    {"inference"},
    {"readers", "writers", "cluster", "parallel"},
    {"api", "batch"},
    {"labelled", "evaluation", "model", "training", "encoder_training", "distil", "report", "plots"},
    {"cli"},
]
LAYER = {name: level for level, names in enumerate(LAYERS) for name in names}


def imported_modules(source: str) -> set[str]:
    """The factcomment modules ``source`` imports, at the top or inside functions (``cli.app`` counts as ``cli``).

    >>> sorted(imported_modules("import factcomment.segment\\ndef f():\\n    from factcomment.cli.app import app\\n"
    ...                         "from factcomment import features"))
    ['cli', 'features', 'segment']
    """
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from factcomment import features` imports the submodule features.
            names = ([f"factcomment.{a.name}" for a in node.names if _is_submodule(a.name)]
                     if node.module == "factcomment" else [node.module])
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("factcomment.")}
    return found


def test_every_module_has_a_layer():
    modules = {p.stem for p in LIBRARY} | {"cli"}
    assert modules == set(LAYER)


@pytest.mark.parametrize("path", [*LIBRARY, *sorted((PACKAGE / "cli").glob("*.py"))],
                         ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_imports_one_above_it(path):
    name = "cli" if path.parent.name == "cli" else path.stem
    above = sorted(m for m in imported_modules(path.read_text(encoding="utf-8")) if LAYER[m] > LAYER[name])
    assert above == [], f"{name} (layer {LAYER[name]}) imports {above} from above it; see docs/development.md"


def test_version_is_defined_once():
    import factcomment
    from factcomment._version import __version__

    assert factcomment.__version__ is __version__
    defined = [p.name for p in PACKAGE.rglob("*.py") if "__version__ =" in p.read_text(encoding="utf-8")]
    assert defined == ["_version.py"]


def test_labels_are_defined_once():
    from factcomment import evaluation, model, persist, results

    defined = [p.name for p in PACKAGE.rglob("*.py") if "\nLABELS = " in p.read_text(encoding="utf-8")]
    assert defined == ["results.py"]
    assert model.LABELS is evaluation.LABELS is persist.LABELS is results.LABELS


def _imported(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported after running ``code``."""
    probe = f"import sys\n{code}\nprint(sorted(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)})
    return ast.literal_eval(out.stdout)


def test_optional_tiers_import_their_heavy_packages_lazily():
    # pytest --doctest-modules imports every module of the package: that must not pull in torch or onnxruntime.
    code = "import factcomment.encoder, factcomment.encoder_training, factcomment.accurate, factcomment.distil"
    assert _imported(code, ("torch", "onnxruntime", "transformers", "tokenizers", "onnx")) == []


def test_classifying_a_list_imports_only_the_inference_path():
    # The cold start (import, load, classify one text) is a target: input readers, output writers and the
    # numerical libraries are for other paths (files, batches of 64 or more, training).
    code = "from factcomment import classify; classify(['The council met on Tuesday.'])"
    assert _imported(code, ("numpy", "scipy", "sklearn", "joblib", "factcomment.readers", "factcomment.writers",
                            "factcomment.batch", "factcomment.parallel")) == []
