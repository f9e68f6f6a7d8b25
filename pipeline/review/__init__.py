"""The review app: analysts check records on the PDF page; their decisions stick (issue 18)."""
