"""The advisors' console: a web application mounted at /console by the web server (bot/web).

One module per page group: auth (sign in, sessions, permissions), home (dashboard, audit log),
conversations, debug_chat, corrections, leads, catalogue. Data comes from the catalogue
database (catalog/), the observatory's tables among them, and a conversation's transcript from
Rasa's HTTP API (bot/console/tracker.py, bot/rasa_api.py); never from Rasa's database.
"""
