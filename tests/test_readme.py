"""The README's Python examples work as printed: ColdSend integrates from them alone."""

import re
import time
from pathlib import Path

from portal.webhooks import sign

README = (Path(__file__).parent.parent / "README.md").read_text()


def python_example(containing):
    (code,) = [
        block for block in re.findall(r"```python\n(.*?)```", README, re.S) if containing in block
    ]
    return code


def test_the_signed_link_example_opens_the_portal(app):
    namespace = {"PORTAL_EMBED_SECRET": app.config["EMBED_SECRET"]}
    exec(python_example("def azure_connect_url"), namespace)  # noqa: S102 (our own README)
    app.config["FRAME_ANCESTORS"] = "https://app.coldsend.io"

    url = namespace["azure_connect_url"]("ws_123", "Acme Ltd")
    client = app.test_client()
    response = client.get(url.removeprefix("https://azure-connect.coldsend.io"))

    assert response.status_code == 200
    assert "Acme Ltd" in client.get("/accounts/new").text
    assert '"origin": "https://app.coldsend.io"' in response.text


def test_the_webhook_check_example_accepts_our_signature_and_nothing_else():
    namespace = {}
    exec(python_example("def verified"), namespace)  # noqa: S102 (our own README)
    verified, body, secret = namespace["verified"], b'{"type":"verification.finished"}', "s" * 40

    header = sign(secret, int(time.time()), body)

    assert verified(header, body, secret)
    assert not verified(header, body + b" ", secret)
    assert not verified(header, body, "another secret")
    assert not verified(sign(secret, int(time.time()) - 3600, body), body, secret)
