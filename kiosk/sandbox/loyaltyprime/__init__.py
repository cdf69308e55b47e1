"""A local Loyalty Prime: the demo programme in Prime's paths, envelope and auth (README.md)."""
