"""The design system: tokens.json (colours by role, spacing, type) and the style sheet template."""
