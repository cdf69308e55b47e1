"""The frozen app's first module: the same `kiosk` command as the source tree's entry point."""

import sys

from ui.app import main

if __name__ == "__main__":
    sys.exit(main())
