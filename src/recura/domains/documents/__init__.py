"""The documents of an issued invoice or credit note that a person reads: the PDF."""
