"""Documents and nothing about people: parse policy files, chunk them by structure, index and search them."""
