"""The advisors' console: a web application mounted at /console by the web server (bot/web).

One module per page group: auth (sign in, sessions, permissions), home (dashboard, audit log),
conversations, debug_chat, corrections, leads, catalogue. Data comes from the catalogue
database (catalog/) and, read-only, from Rasa's tracker store (bot/console/tracker.py).
"""
