"""Kiosk's Qt side. Imports kiosk; kiosk never imports this."""
