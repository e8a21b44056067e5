"""The conversation: extract facts, keep sessions, retrieve, evaluate, compose a grounded reply."""
