class IngestError(Exception):
    """A document that cannot be read or indexed; the message says why, for a person."""
