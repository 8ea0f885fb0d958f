"""A plain intent classifier for `make nlu-report` to measure the project's pipeline against:
TF-IDF of words (1-2) and of characters within words (2-5), then a logistic regression.

Its settings are common defaults chosen once, before any measure, and never tuned on these
data. It is trained and scored on the folds that Rasa's cross-validation used (nlu_folds.py),
then trained on all the data and scored on the held-out file. It runs in the Rasa runtime only
because scikit-learn is installed there (Rasa needs it); it uses nothing of Rasa:

    python -m rasa_extensions.nlu_baseline FOLDS.json HELD_OUT_EXAMPLES.json OUT_DIR

writes OUT_DIR/cv_report.json and OUT_DIR/heldout_report.json, scikit-learn classification
reports (the shape of Rasa's intent_report.json), the first with the macro-F1 of each fold.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SEED = 2026


def classifier() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    def tfidf(analyzer: str, ngrams: tuple[int, int]) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer=analyzer, ngram_range=ngrams, strip_accents="unicode", sublinear_tf=True
        )

    return make_pipeline(
        make_union(tfidf("word", (1, 2)), tfidf("char_wb", (2, 5))),
        LogisticRegression(C=10.0, max_iter=2000, random_state=SEED),
    )


def report(truth: list[str], predicted: list[str]) -> dict[str, Any]:
    from sklearn.metrics import classification_report

    result: dict[str, Any] = classification_report(
        truth, predicted, output_dict=True, zero_division=0
    )
    return result


def cross_validate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Scores over all folds' test examples together, as Rasa's cross-validation report does."""
    from sklearn.metrics import f1_score

    truth: list[str] = []
    predicted: list[str] = []
    per_fold = []
    for fold in sorted({row["fold"] for row in rows}):
        train = [row for row in rows if row["fold"] != fold]
        test = [row for row in rows if row["fold"] == fold]
        model = classifier().fit([r["text"] for r in train], [r["intent"] for r in train])
        guesses = list(model.predict([r["text"] for r in test]))
        fold_truth = [r["intent"] for r in test]
        per_fold.append(float(f1_score(fold_truth, guesses, average="macro", zero_division=0)))
        truth += fold_truth
        predicted += guesses
    result = report(truth, predicted)
    result["folds_macro_f1"] = per_fold
    return result


def held_out(rows: list[dict[str, Any]], examples: list[dict[str, Any]]) -> dict[str, Any]:
    examples = [e for e in examples if e.get("intent")]
    model = classifier().fit([r["text"] for r in rows], [r["intent"] for r in rows])
    guesses = list(model.predict([e["text"] for e in examples]))
    return report([e["intent"] for e in examples], guesses)


def main(folds: str, examples: str, out: str) -> int:
    rows = json.loads(Path(folds).read_text(encoding="utf-8"))
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {"cv_report.json": cross_validate(rows)}
    if Path(examples).exists():
        test = json.loads(Path(examples).read_text(encoding="utf-8"))
        results["heldout_report.json"] = held_out(rows, test)
    for name, result in results.items():
        (out_dir / name).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
