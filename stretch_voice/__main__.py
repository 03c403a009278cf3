"""``python -m stretch_voice --wav FILE...``: see :mod:`stretch_voice.cli`."""

import sys

from .cli import main

sys.exit(main())
