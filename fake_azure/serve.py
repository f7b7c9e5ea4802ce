"""Run the fake Azure over HTTPS on a loopback port, in a thread or as `python -m fake_azure`."""

import argparse
import os
import ssl
import threading
from contextlib import contextmanager

from werkzeug.serving import make_server

from .server import FakeAzure, create_app
from .tls import write_certificates


@contextmanager
def running(directory, port=0, latency=0.0):
    """Serve the fake in a background thread; yield (base URL, CA file, FakeAzure)."""
    ca_path, cert_path, key_path = write_certificates(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    fake = FakeAzure(latency=latency)
    server = make_server("127.0.0.1", port, create_app(fake), threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}", ca_path, fake
    finally:
        server.shutdown()
        thread.join()


def main():
    parser = argparse.ArgumentParser(description="Serve a fake Microsoft Entra ID and ARM.")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--directory", default="instance/fake-azure", help="for its certificates")
    parser.add_argument("--latency-ms", type=float, default=0, help="added to every response")
    arguments = parser.parse_args()
    os.makedirs(arguments.directory, exist_ok=True)
    with running(arguments.directory, arguments.port, arguments.latency_ms / 1000) as (url, ca, _):
        print(f"Fake Azure on {url}; its CA certificate is {ca}", flush=True)
        threading.Event().wait()
