"""The readable model card (README.md beside card.json), rendered from the card dict."""
from __future__ import annotations

from factcomment.card import render_card

CARD = {
    "threshold": 0.4321, "created": "2026-11-23", "seed": 0, "training_seconds": 1.5,
    "versions": {"factcomment": "0.1.0", "scikit-learn": "1.5.0", "python": "3.11.7"},
    "training_data": [{"file": "train.jsonl", "rows": 20, "labels": {"comment": 8, "report": 12},
                       "sha256": "ab" * 32}],
    "metrics": {"cross_validation": {"macro_f1": 0.7512, "folds": 5, "n": 20}},
    "settings": {"C": 10},
    "files": {"scorer.json": {"bytes": 10, "sha256": "cd" * 32}},
}
HELDOUT = {"files": [{"file": "dev_test.tsv", "rows": 8}, {"file": "more.jsonl", "rows": 2}],
           "trained_without_them": True, "n": 10, "threshold": 0.4321, "macro_f1": 0.6234, "accuracy": 0.7,
           "per_class": {"report": {"precision": 0.8, "recall": 0.75, "f1": 0.7742, "support": 8},
                         "comment": {"precision": 0.4, "recall": 0.5, "f1": 0.4444, "support": 2}}}


def test_card_without_heldout_has_no_heldout_section():
    text = render_card(CARD)
    assert "- Cross-validated (out-of-fold) on the training data (5 folds, n=20): macro-F1 **0.751**." in text
    assert "Held-out" not in text
    assert "`p_comment >= 0.4321`" in text


def test_card_claims_no_licence_or_source_for_a_file_it_does_not_know():
    # It said "project data | factcomment seeds" of any file, a user's own data included.
    assert "| train.jsonl | 20 | comment 8, report 12 | `abababababababab…` | not recorded | - |" in render_card(CARD)


def test_card_says_how_the_threshold_was_chosen():
    assert "(the threshold that maximised cross-validated macro-F1)." in render_card(CARD)
    repeated = render_card({**CARD, "settings": {"C": 10, "threshold_repeats": 5}})
    assert ("`p_comment >= 0.4321`\n(the mean of the cuts that maximised out-of-fold macro-F1 in 5 repeats of "
            "cross-validation).") in repeated


def test_card_heldout_section_names_the_files_and_every_class():
    card = {**CARD, "metrics": {**CARD["metrics"], "heldout": HELDOUT}}
    lines = render_card(card).splitlines()
    start = lines.index("## Quality")
    assert lines[start + 2:start + 6] == [
        "- Cross-validated (out-of-fold) on the training data (5 folds, n=20): macro-F1 **0.751**.",
        "- Held-out (dev_test.tsv, more.jsonl), same recipe trained without it: macro-F1 **0.623**, accuracy 0.700.",
        "  - report: precision 0.800, recall 0.750, F1 0.774, support 8",
        "  - comment: precision 0.400, recall 0.500, F1 0.444, support 2",
    ]


def test_cross_validated_and_held_out_figures_are_rendered_alike():
    from factcomment.evaluation import score

    figures = score(["report", "report", "comment"], [0.1, 0.7, 0.8], 0.5).as_dict()
    card = {**CARD, "metrics": {"cross_validation": {**figures, "folds": 3},
                                "heldout": {**figures, "files": [{"file": "held.tsv"}]}}}
    lines = render_card(card).splitlines()
    start = lines.index("## Quality")
    assert lines[start + 2:start + 8] == [
        "- Cross-validated (out-of-fold) on the training data (3 folds, n=3): macro-F1 **0.667**, accuracy 0.667.",
        "  - report: precision 1.000, recall 0.500, F1 0.667, support 2",
        "  - comment: precision 0.500, recall 1.000, F1 0.667, support 1",
        "- Held-out (held.tsv), same recipe trained without it: macro-F1 **0.667**, accuracy 0.667.",
        "  - report: precision 1.000, recall 0.500, F1 0.667, support 2",
        "  - comment: precision 0.500, recall 1.000, F1 0.667, support 1",
    ]


def test_card_names_the_files_inference_reads_for_its_tier_only():
    # A conditional once bound to one line of the list: each card ended with a stray line of the other tier's.
    fast = render_card(CARD)
    assert fast.endswith("before loading, which catches damage, not tampering. Only load models you trained or trust.\n")
    assert "Inference reads" not in fast and "its SHA-256 on this card first" not in fast
    files = {name: CARD["files"]["scorer.json"] for name in ("model.onnx.gz", "tokenizer.json", "scorer.json")}
    accurate = render_card({**CARD, "tier": "accurate", "files": files, "stacking": {"fast": 0.1}})
    assert accurate.endswith("Inference reads `model.onnx.gz`, `tokenizer.json`, `scorer.json` (no pickle), each "
                             "checked\n  against its SHA-256 on this card first; that catches damage, not tampering. "
                             "Only load models you trust.\n")
    assert "model.joblib" not in accurate and "int8 ONNX) stacked with a TF-IDF linear model, that" in accurate


def test_an_accurate_card_whose_stack_dropped_the_fast_model_claims_neither_it_nor_its_file():
    # The stack keeps the fast model only when it raises the AUC; without it no scorer.json is written, but the
    # card still said "stacked with a TF-IDF linear model" and "Inference reads ... scorer.json".
    files = {name: CARD["files"]["scorer.json"] for name in ("model.onnx.gz", "tokenizer.json")}
    text = render_card({**CARD, "tier": "accurate", "files": files, "stacking": {"encoder": 0.5, "fast": 0.0}})
    assert "A fine-tuned sentence encoder (all-MiniLM-L6-v2, int8 ONNX), that labels" in text
    assert "TF-IDF" not in text and "- Inference reads `model.onnx.gz`, `tokenizer.json` (no pickle)" in text


def test_card_credits_a_background_corpus():
    background = {"rows": 77770, "corpus": "a.txt, b.txt", "licence": "CC BY 2.5",
                  "attribution": "Wikinews contributors, https://en.wikinews.org"}
    lines = render_card({**CARD, "background": background}).splitlines()
    start = lines.index("## Background IDF")
    assert lines[start + 2] == (
        "- The IDF of the word features also counts 77770 unlabelled sentences: a.txt, b.txt, licence CC BY 2.5, "
        "attribution \"Wikinews contributors, https://en.wikinews.org\". The model keeps only the IDF values of its "
        "own vocabulary; the sentences are not distributed with factcomment.")
    assert "## Background IDF" not in render_card(CARD)
