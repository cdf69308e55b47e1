"""What both screens share: the bridge from the core's hub, background work, notices, the status line, the hand-scanner filter, controls and the theme."""
