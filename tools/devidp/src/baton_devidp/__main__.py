"""``python -m baton_devidp``: serve the development identity provider."""

import sys

import uvicorn

from baton_devidp.app import create_app
from baton_devidp.settings import NotForProduction, Settings


def main() -> None:
    settings = Settings()
    try:
        app = create_app(settings)
    except NotForProduction as exc:
        sys.exit(f"baton-devidp: {exc}")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
