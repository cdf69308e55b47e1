"""What the process's exit status tells whoever started it (cage's systemd unit, Windows
Shell Launcher, a shell loop).

EXIT_OK: staff chose to leave the kiosk, or the session ended (SIGTERM, the display gone):
nothing is wrong, so a unit with Restart=on-failure leaves it stopped.
EXIT_RESTART: "start me again" (75 is EX_TEMPFAIL of sysexits.h: a temporary failure, such as
the terminal not starting because the network or the backend was not there yet).
Any other status is a crash (2: the settings are wrong, which a restart will not mend).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_RESTART = 75
