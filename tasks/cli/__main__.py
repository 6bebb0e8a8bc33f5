"""`python -m tasks.cli …` is `ecoflow …` (for hosts where the console script is not on PATH)."""

import sys

from tasks.cli.commands import main

sys.exit(main())
