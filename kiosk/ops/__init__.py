"""Running terminals in stores: environments, log files, exception hooks, doctor, support bundle.

Each part is its own module; `doctor.CHECKS` is a registry that other parts of Kiosk
extend by adding an entry.
"""
