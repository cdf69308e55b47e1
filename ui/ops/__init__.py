"""The window's side of running terminals in stores (kiosk/ops/ is the core's)."""
