"""Scanner: camera and hand-scanner input, decoding, payload parsing (README.md here)."""
