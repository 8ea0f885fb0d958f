"""The aid catalogue: data, place resolution, eligibility and ranking.

Knows nothing of Rasa, channels or HTTP. `catalog.engine.recommend` is the entry point used by
the action server and by `qp recommend`.
"""
