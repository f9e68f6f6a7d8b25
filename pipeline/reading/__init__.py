"""Reading stage: turn a report PDF into a :class:`pipeline.document.Document`."""
