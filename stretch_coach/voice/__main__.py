"""``python -m stretch_coach.voice --wav FILE...``: see :mod:`stretch_coach.voice.cli`."""

import sys

from .cli import main

sys.exit(main())
