"""Entry point of the frozen executable: the same `event-composer` command line as the
installed package (plain start opens the desktop app; `--self-test` checks the bundle)."""

import sys

from composer.cli import main

if __name__ == "__main__":
    sys.exit(main())
