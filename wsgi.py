"""The WSGI entry point: `gunicorn wsgi:app`, and `flask --app wsgi` for the CLI."""

import sys

from portal import create_app
from portal.config import ConfigError

try:
    app = create_app()
except ConfigError as problem:
    sys.exit(f"ColdSend Azure Connect cannot start: {problem}")
