"""The only Python of ours that runs inside the Rasa runtime (Python 3.10), loaded by Rasa
itself from config.yml. Everything else of ours talks to Rasa over HTTP."""
