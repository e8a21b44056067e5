"""The Gradio web UI for enterprises, mounted on the API's FastAPI app."""
