"""Placeholder replaced below."""


def mount_ui(app, assistant):
    from fastapi.responses import RedirectResponse

    @app.get("/", include_in_schema=False)
    def root():
        return RedirectResponse("/docs")
