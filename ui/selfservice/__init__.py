"""The self-service kiosk's screen: the window and its frame, and the shopper's screens."""
