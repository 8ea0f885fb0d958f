"""Rasa's TensorFlow models (DIET here) loaded in about a second instead of about twenty.

To load a trained model, Rasa 3.6 (`RasaModel.load`) builds an empty one, trains it for one
step on one example so that Keras creates its weights, reads the trained weights over them,
then predicts once to trace the prediction graph. The training step ran as a traced
TensorFlow graph: tracing and optimising the whole training function (transformer, CRF
entity loss) took 18 of the 28 seconds of Rasa's start on this project's machine (issue 17,
`python -m bot.profile --demarrage`), for a step whose results are thrown away. Here that one
step runs eagerly — the same operations, the same weight shapes, no graph to build: 1.5 s —
and the model is switched back to graph mode before the warm-up prediction, so every
prediction is traced and runs exactly as before (the trained weights are read over whatever
the step produced; tests/test_rasa_speedups.py compares the parses of the two loaders).

A model loaded to be trained further (`finetune_mode`) is loaded by Rasa's own method.

Installed by `rasa_extensions/__init__.py`, which Rasa imports before it loads a model.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from rasa.utils.tensorflow.constants import LEARNING_RATE
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.models import RasaModel

ORIGINAL = RasaModel.load.__func__  # type: ignore[attr-defined]


def load(
    cls: type[RasaModel],
    model_file_name: str,
    model_data_example: Any,
    predict_data_example: Any = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    """`RasaModel.load` of Rasa 3.6.21 with the weight-building step run eagerly."""
    if finetune_mode:
        return ORIGINAL(  # type: ignore[no-any-return]
            cls, model_file_name, model_data_example, predict_data_example, True, *args, **kwargs
        )
    model = cls(*args, **kwargs)
    learning_rate = kwargs.get("config", {}).get(LEARNING_RATE, 0.001)
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), run_eagerly=True)
    model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
    model.load_weights(model_file_name)
    model.run_eagerly = False  # predictions traced as with Rasa's loader
    if predict_data_example:
        model.run_inference(predict_data_example)
    return model


def install() -> None:
    """Replace Rasa's loader (idempotent)."""
    RasaModel.load = classmethod(load)  # type: ignore[assignment,method-assign]
