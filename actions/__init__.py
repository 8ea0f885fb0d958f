"""Thin rasa-sdk actions: read the slots, call `catalog`, turn results into messages."""
