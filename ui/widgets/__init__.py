"""Small widgets shared by the cashier screen and, later, the self-service kiosk."""
