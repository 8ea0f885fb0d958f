"""The edges of the product: command line, process runner, channels and web server."""
