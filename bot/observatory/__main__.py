"""`python -m bot.observatory`: the consumer the runner starts (bot/observatory/consumer.py)."""

import sys

from bot.observatory.consumer import main

sys.exit(main())
