"""spaCy loaded without the pipes our NLU pipeline never reads: the dependency parser, the
sentence recognizer and the named-entity recognizer.

Rasa's SpacyNLP loads the whole `fr_core_news_md` pipeline with only the parser disabled: a
disabled pipe still sits in memory, and the NER runs on every message although no component
of config.yml reads `doc.ents` (entities come from DIET and the regexes). What Rasa does read
— tokens, lemmas (rule lemmatizer fed by the morphologizer), tags and the static word vectors —
comes from tok2vec, morphologizer, attribute_ruler and lemmatizer, which stay; the features
are the same (tests/test_rasa_speedups.py compares them on the training data).

Installed by `rasa_extensions/__init__.py`, imported by Rasa before it loads the model.
"""

from __future__ import annotations

import functools

from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP

UNUSED_PIPES = ("parser", "senter", "ner")
ORIGINAL = SpacyNLP.load_model


@functools.cache
def load_model(spacy_model_name: str) -> SpacyModel:
    """`SpacyNLP.load_model` with `exclude=UNUSED_PIPES` instead of `disable=["parser"]`;
    Rasa's own method (and its error messages) for a missing or incompatible model. Loaded
    once per process: Rasa's model graph creates SpacyNLP twice at start (two « Trying to load
    SpaCy model » lines), and each copy of fr_core_news_md holds about 390 MB; the pipeline
    is only read (nlp(text), nlp.pipe), on Rasa's one event loop."""
    import spacy

    if not spacy_model_name:
        return ORIGINAL(spacy_model_name)
    try:
        language = spacy.load(spacy_model_name, exclude=list(UNUSED_PIPES))
    except OSError:
        return ORIGINAL(spacy_model_name)
    required = (spacy.info(spacy_model_name) or {}).get("spacy_version") or ""
    if not spacy.util.is_compatible_version(spacy.about.__version__, required):
        return ORIGINAL(spacy_model_name)  # raises Rasa's InvalidModelError
    return SpacyModel(model=language, model_name=spacy_model_name)


def install() -> None:
    """Replace Rasa's loader (idempotent)."""
    SpacyNLP.load_model = staticmethod(load_model)  # type: ignore[method-assign]
