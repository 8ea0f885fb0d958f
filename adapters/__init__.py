"""Wrappers of the outside systems the assistant calls, one small module per system (ban.py:
the Base Adresse Nationale geocoder), used by both `actions/` and `bot/`. They depend on
`catalog` for the domain types they return, never on `bot`, `actions` or `rasa`; tests replace
each system by a local fake over real HTTP (tests/fake_ban.py)."""
