"""Shared fixtures: the repo's own files, and small inline corpora written to tmp_path."""
from __future__ import annotations

import builtins
from pathlib import Path

import pytest

from browser import browser  # noqa: F401  (the fixture: a real headless Chromium)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED_DATA = ROOT.parent / "shared" / "data" / "checkthat2025-en"


@pytest.fixture
def write(tmp_path):
    """Write ``content`` (str or bytes) to ``tmp_path/name`` and return the path as a string."""

    def _write(name: str, content: str | bytes) -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return str(path)

    return _write


# A tiny labelled corpus (our own sentences), enough to train a real model in a second.
TINY_REPORT = [
    "The council said the road would reopen on Monday.", "Police arrested two men on Tuesday night.",
    "The minister announced a review of the rules.", "Prices rose by 3.5 per cent in March, figures showed.",
    "The court heard that the company had lost £2m.", "A spokesman said the firm would appeal.",
    "The report was published on Friday.", "Officials confirmed that 40 people were evacuated.",
    "The bill passed by 312 votes to 250.", "Shares fell 4% after the announcement.",
    "She told reporters: \"We will fight this decision in every court.\"", "The trial is expected to last six weeks.",
]
TINY_COMMENT = [
    "Frankly, this is an utter disgrace.", "I think they should all resign.", "What a shameful failure this is!",
    "Surely nobody believes this nonsense any more?", "It is obvious that the system is rotten.",
    "This is exactly what we warned about, and nobody listened.", "Clearly the government has lost its mind.",
    "How much longer must we put up with this?", "The whole scheme is a ridiculous waste of money.",
    "We should be outraged by this.", "Sadly, this was entirely predictable.", "It is hard to imagine a worse outcome.",
]


@pytest.fixture(autouse=True)
def _cores(monkeypatch):
    """``jobs=N`` starts N workers in tests on any machine, even one with fewer cores (where it would be lowered
    to them: see parallel.local_workers; the tests of that set their own count). Tests that kill a worker
    would otherwise kill the test run on one core, where the work is done in process."""
    from factcomment import parallel

    monkeypatch.setattr(parallel, "usable_cores", lambda: 8)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A model trained on the tiny corpus with the real recipe, saved and loaded like any other."""
    import json

    from factcomment.inference import load_model
    from factcomment.readers import InputOptions, Tally
    from factcomment.training import train_files

    folder = tmp_path_factory.mktemp("tiny")
    data = folder / "tiny.jsonl"
    rows = [{"text": t, "label": "report"} for t in TINY_REPORT] + [{"text": t, "label": "comment"} for t in TINY_COMMENT]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    train_files([str(data)], InputOptions(), Tally(), folder / "model", folds=3)
    return load_model(folder / "model")


@pytest.fixture(scope="session")
def shipped_model():
    from factcomment.inference import load_model
    from factcomment.persist import default_model_dir

    try:
        default_model_dir()
    except Exception as error:  # the model is committed; its absence is a broken checkout
        pytest.fail(f"the shipped model is missing: {error}")
    return load_model()


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory):
    """A tiny BERT config and a WordPiece tokenizer over the tiny corpus's words (needs transformers: a test
    module using it skips without torch first)."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import BertConfig

    split = pre_tokenizers.BertPreTokenizer().pre_tokenize_str
    words = sorted({word for text in TINY_REPORT + TINY_COMMENT for word, _ in split(text.lower())})
    vocab = {token: i for i, token in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *words])}
    tokenizer = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    path = tmp_path_factory.mktemp("base") / "tokenizer.json"
    tokenizer.save(str(path))
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    return config, path


@pytest.fixture
def no_matplotlib(monkeypatch):
    """Imports of matplotlib fail, as where the plot extra is not installed."""
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
