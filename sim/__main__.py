"""Allow ``python -m sim``."""

import sys

from sim.cli import finish, main

finish(main(), sys.argv[1:])
