"""Importers: turn records of outside aid catalogues into records of our aid schema.

They read files only; fetching from the network belongs to the edges (`bot/`).
"""
