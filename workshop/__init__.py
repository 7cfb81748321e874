"""The Flask application of the workshop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

STATIC_FOLDER = Path(__file__).resolve().parent.parent / "static"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application; configuration comes from the instance folder and WORKSHOP_*."""
    import os

    from workshop import database, web
    from workshop.config import load_config

    instance_path = os.environ.get("WORKSHOP_INSTANCE_PATH") or None
    if test_config and test_config.get("INSTANCE_PATH"):
        instance_path = test_config["INSTANCE_PATH"]
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        instance_relative_config=True,
        static_folder=str(STATIC_FOLDER),
        static_url_path="/static",
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    load_config(app, test_config)
    database.init_app(app)
    web.init_app(app)
    return app
