"""Award rules as data and a small deterministic engine; knows nothing about text or chat."""
