"""`python -m bot.flows test …` (the same as `qp flows test …`)."""

import sys

from bot.flows.cli import main

sys.exit(main())
