"""Records stage: mentions → intervention records (detect, assemble, classify)."""
