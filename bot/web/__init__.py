"""The web server: the embeddable chat widget's files and the demo territory website.

`python -m bot.web` serves them (settings: the `web` section of `settings`, README
« Configuration »); the widget itself is plain JavaScript in static/, talking to Rasa's
socket.io channel from the browser.
"""
