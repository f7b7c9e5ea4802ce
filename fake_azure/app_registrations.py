"""The one page of the Azure portal the demo needs: an app's Certificates & secrets, where a
certificate the ColdSend portal made is uploaded (Upload certificate). Not an API of
Microsoft's: a stand-in for the page a customer uses."""

from html import escape

from flask import Blueprint, current_app, request

from . import scenarios

bp = Blueprint("app_registrations", __name__, url_prefix="/portal")

PAGE = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>Certificates &amp; secrets (fake Azure)</title>
<h1>Certificates &amp; secrets</h1>
<p>{message}</p>
<form method="post" enctype="multipart/form-data">
<label>App registration <select name="client_id">{apps}</select></label>
<label>Certificate (.cer, .pem or .crt) <input type="file" name="certificate" required></label>
<button>Add</button>
</form>
<h2>Certificates</h2><table><tr><th>App<th>Thumbprint<th>Start date<th>Expires</tr>{rows}</table>
"""


@bp.route("/certificates", methods=["GET", "POST"])
def certificates():
    fake = current_app.extensions["fake_azure"]
    message, status = "Upload a certificate to an app registration.", 200
    if request.method == "POST":
        client_id = request.form.get("client_id", "")
        upload = request.files.get("certificate")
        try:
            if client_id.lower() not in scenarios.APPS or upload is None:
                raise ValueError
            key = fake.upload_certificate(client_id, upload.read())
            message = f"Added the certificate {key.sha1.hex().upper()} to {escape(client_id)}."
        except ValueError:
            message, status = "Choose an app and a certificate file (.cer, .pem or .crt).", 400
    apps = "".join(
        f'<option value="{client_id}">{escape(app.name)} ({client_id})</option>'
        for client_id, app in scenarios.APPS.items()
    )
    with fake.lock:
        uploaded = [(app, key) for app, keys in fake.key_credentials.items() for key in keys]
    rows = "".join(
        f"<tr><td>{app}<td>{key.sha1.hex().upper()}<td>{key.start:%Y-%m-%d}<td>{key.end:%Y-%m-%d}"
        for app, key in uploaded
    )
    return PAGE.format(message=message, apps=apps, rows=rows), status
