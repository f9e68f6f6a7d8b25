"""csminer: mine citizen-security interventions from report PDFs into structured records."""

__version__ = "0.1.0"
