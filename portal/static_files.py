"""Static files under fingerprinted names, compressed, and cached for good.

Flask-Static-Digest writes each file of `static/` again under a name that carries its MD5
(`portal-<md5>.css`), with a gzip copy beside each, and a manifest that `static_url_for` reads
in the templates. WhiteNoise serves `static/` ahead of Flask: the gzip copy to a browser that
accepts it, and a fingerprinted file as immutable (WhiteNoise: ten years), since its content
can never change under that name. The generated files are rebuilt whenever a source changed
(they are not kept in git), under a lock, so that web workers starting at once build them once.
"""

import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
from urllib.parse import quote

from flask_static_digest import FlaskStaticDigest, digester
from whitenoise import WhiteNoise

from .headers import security_headers

MANIFEST = "cache_manifest.json"
FINGERPRINTED = re.compile(r"-[a-f\d]{32}(\.\w+)?$")


def register(app):
    """Build the fingerprinted files if a source changed; serve them through WhiteNoise."""
    folder = app.static_folder
    lock = os.open(folder, os.O_RDONLY)  # the folder itself: a checked-out tree is all it takes
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built(folder):
            build(folder)
    finally:
        os.close(lock)
    FlaskStaticDigest(app)
    # In the page itself: a first visit then costs no request for it (the CSP allows data:).
    with open(os.path.join(folder, "favicon.svg")) as icon:
        app.add_template_global("data:image/svg+xml," + quote(icon.read().strip()), "icon")
    production = app.config["PORTAL_ENV"] == "production"

    def add_headers(headers, _path, _url):
        for name, value in security_headers("'none'", production=production).items():
            headers[name] = value

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=folder,
        prefix="static/",
        max_age=60,
        immutable_file_test=lambda _path, url: bool(FINGERPRINTED.search(url)),
        # In development a source edited while the portal runs is served as it is now.
        autorefresh=not production,
        add_headers_function=add_headers,
    )


def sources(folder):
    """The files of `folder` that are ours, relative to it: not the ones built from them."""
    for directory, _, names in os.walk(folder):
        for name in names:
            path = os.path.relpath(os.path.join(directory, name), folder)
            if not (
                FINGERPRINTED.search(name) or name.endswith((".gz", ".br")) or name == MANIFEST
            ):
                yield path


def built(folder):
    """Whether the manifest names, for every source, a fingerprint of its content now."""
    try:
        with open(os.path.join(folder, MANIFEST)) as file:
            manifest = json.load(file)
    except (OSError, ValueError):
        return False
    for path in sources(folder):
        with open(os.path.join(folder, path), "rb") as file:
            digest = hashlib.md5(file.read(), usedforsecurity=False).hexdigest()
        if manifest.get(path, "").rsplit("-", 1)[-1].split(".")[0] != digest:
            return False
    return True


def build(folder):
    """Fingerprint and compress every source again. What was built before stays: a page
    loaded before a restart still finds the files it names."""
    root = folder.rstrip("/") + "/"
    with contextlib.redirect_stdout(io.StringIO()):  # the library reports to stdout
        digester.compile(root, root, [], gzip_files=True, brotli_files=False)
