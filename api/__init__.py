"""HTTP (FastAPI) and the console script: thin layers over `assistant`."""
