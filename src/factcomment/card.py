"""The readable model card (``model/README.md``), rendered from ``card.json``."""
from __future__ import annotations

import json
from typing import Any


def render_card(card: dict[str, Any]) -> str:
    """Markdown for a model card dict as written by :func:`factcomment.persist.save_model`."""
    accurate = card.get("tier") == "accurate"
    repeats = card.get("settings", {}).get("threshold_repeats", 1)
    rule = (f"the mean of the cuts that maximised out-of-fold macro-F1 in {repeats} repeats of cross-validation"
            if repeats > 1 else "the threshold that maximised cross-validated macro-F1")
    # The stack keeps the fast model only when it ranks better with it (then it has a scorer.json).
    stacked = " stacked with a TF-IDF linear model" if card.get("stacking", {}).get("fast") else ""
    what = (f"A fine-tuned sentence encoder (all-MiniLM-L6-v2, int8 ONNX){stacked},"
            if accurate else "A linear classifier (TF-IDF word n-grams plus stance cues)")
    lines = [
        "# factcomment model card" + (" (accurate tier)" if accurate else ""),
        "",
        f"{what} that labels a news paragraph or sentence `report` (reported fact, including quoted or attributed",
        "opinions of others) or `comment` (the writer's own editorial view), with a calibrated",
        f"probability `p_comment`. A text is labelled `comment` when `p_comment >= {card['threshold']:.4f}`",
        f"({rule}).",
        "",
        f"Created {card.get('created', '?')} with factcomment {card['versions'].get('factcomment')}, "
        f"scikit-learn {card['versions'].get('scikit-learn')}, Python {card['versions'].get('python')}; "
        f"seed {card.get('seed')}; training took {card.get('training_seconds', '?')} s"
        + (f" (fine-tunes already in checkpoint `{card['checkpoint']}` were read, not rerun)." if card.get("checkpoint")
           else "."),
        "",
        "## Training data",
        "",
        "| file | rows | labels | SHA-256 | licence | source |",
        "|---|---:|---|---|---|---|",
    ]
    for entry in card.get("training_data", []):
        labels = ", ".join(f"{k} {v}" for k, v in entry.get("labels", {}).items())
        # Only corpora known by their hash (training.KNOWN_CORPORA) carry a licence and a source; of any other
        # file (the user's own data, say) the card knows nothing and claims nothing.
        lines.append(f"| {entry['file']} | {entry['rows']} | {labels} | `{entry.get('sha256', '-')[:16]}…` | "
                     f"{entry.get('licence', 'not recorded')} | {entry.get('attribution', '-')} |")
    credited = {e["attribution"]: e for e in card.get("training_data", []) if "attribution" in e}
    for attribution, entry in credited.items():
        lines += ["", f"Contains data from *{attribution}*, licensed {entry['licence']}; obtain it from "
                      f"{entry['obtain']}. The data itself is not distributed with factcomment."]
    lines += _base_model(card) + _background(card) + _distillation(card)
    metrics = card.get("metrics", {})
    cv = metrics.get("cross_validation", {})
    lines += ["", "## Quality", ""]
    if cv:
        lines += _figures(f"Cross-validated (out-of-fold) on the training data ({cv.get('folds', '?')} folds, "
                          f"n={cv.get('n', '?')})", cv)
    if held := metrics.get("heldout"):
        names = ", ".join(f["file"] for f in held["files"])
        lines += _figures(f"Held-out ({names}), same recipe trained without it", held)
    lines += ["", "## Settings", "", "```json", json.dumps(card.get("settings", {}), indent=2, sort_keys=True), "```",
              "", "## Files", "", "| file | bytes | SHA-256 |", "|---|---:|---|"]
    for name, info in card["files"].items():
        lines.append(f"| {name} | {info['bytes']} | `{info['sha256']}` |")
    lines += ["", "## Use and limits", "",
              "- Trained on English news sentences and a few reposted articles; expect lower accuracy on other",
              "  genres and languages. The label is a hint for a human reviewer, not a verdict.",
              *(["- `model.joblib` is a pickle: loading it runs code. factcomment checks its SHA-256 against this card",
                 "  before loading, which catches damage, not tampering. Only load models you trained or trust."]
                if not accurate else
                ["- Inference reads " + ", ".join(f"`{name}`" for name in card["files"]) + " (no pickle), each checked",
                 "  against its SHA-256 on this card first; that catches damage, not tampering. Only load models you trust."]),
              ""]
    return "\n".join(lines)


def _figures(what: str, metrics: dict[str, Any]) -> list[str]:
    """Figures in the shape of :meth:`factcomment.evaluation.Evaluation.as_dict` (older cards lack some)."""
    accuracy = f", accuracy {metrics['accuracy']:.3f}" if "accuracy" in metrics else ""
    return [f"- {what}: macro-F1 **{metrics.get('macro_f1', 0):.3f}**{accuracy}.",
            *(f"  - {label}: precision {s['precision']:.3f}, recall {s['recall']:.3f}, F1 {s['f1']:.3f}, "
              f"support {s['support']}" for label, s in metrics.get("per_class", {}).items())]


def _base_model(card: dict[str, Any]) -> list[str]:
    if not (encoder := card.get("encoder")):
        return []
    stacking = card.get("stacking", {})
    export = card.get("export", {})
    return ["", "## Base model and export", "",
            f"- Encoder: {encoder.get('base', '?')}, licence {encoder.get('licence', '?')}, installed from the "
            f"`{encoder.get('package', '?')}` package (no download). Fine-tuned on the CPU with "
            f"`{json.dumps(encoder.get('settings', {}), sort_keys=True)}`.",
            f"- Stacking: `p_comment = sigmoid({stacking.get('encoder', 0):.4f} * encoder_logit + "
            f"{stacking.get('fast', 0):.4f} * fast_decision + {stacking.get('bias', 0):.4f})`, fitted on "
            "out-of-fold scores.",
            f"- Export: ONNX opset {export.get('opset', '?')}, {export.get('quantised') or 'float32'}; largest "
            f"logit difference from torch on check sentences: float {export.get('max_abs_diff_float', float('nan')):.2e}"
            + (f", int8 {export['max_abs_diff_int8']:.3f}" if "max_abs_diff_int8" in export else "") + "."
            + (f" Graph: {export['graph']}." if "graph" in export else "")]


def _background(card: dict[str, Any]) -> list[str]:
    if not (background := card.get("background")):
        return []
    return ["", "## Background IDF", "",
            f"- The IDF of the word features also counts {background.get('rows', '?')} unlabelled sentences: "
            f"{background.get('corpus', '?')}, licence {background.get('licence', '?')}, attribution "
            f"\"{background.get('attribution', '?')}\". The model keeps only the IDF values of its own vocabulary; "
            "the sentences are not distributed with factcomment."]


def _distillation(card: dict[str, Any]) -> list[str]:
    if not (distil := card.get("distillation")):
        return []
    taught = (f"{distil['lexicon_words']:,} words" if "lexicon_words" in distil else
              f"transfer rows weighted {distil.get('transfer_weight', '?')} against gold rows")
    return ["", "## Distillation", "",
            f"- Teacher: {distil.get('teacher', '?')}; passed as {distil.get('labels', '?')}; {taught}.",
            f"- Transfer corpus: {distil.get('corpus', '?')} ({distil.get('rows', '?')} sentences), licence "
            f"{distil.get('licence', '?')}, attribution \"{distil.get('attribution', '?')}\". The sentences are not "
            "distributed with factcomment.",
            "- The cross-validated figures below flatter a distilled model: the teacher learnt from the gold rows "
            "that each fold holds out. Only data the teacher never saw gives a fair test (docs/distillation.md)."]
