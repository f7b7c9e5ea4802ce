"""Development only: a page that plays the ColdSend app around the portal."""

from flask import Blueprint, abort, current_app, g, render_template, request

from .. import signed_links

bp = Blueprint("dev", __name__, url_prefix="/dev")
# The other name of this machine: framing the portal from it makes a real cross-site iframe.
OTHER_NAME = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}


# The page mints a working link for any workspace: only someone at this machine may ask.
LOOPBACK = {"127.0.0.1", "::1"}


@bp.before_request
def only_from_this_machine():
    if request.remote_addr not in LOOPBACK:
        abort(404)


@bp.get("/host")
def host():
    """Frame the portal from another site, as the ColdSend app does, and log its events."""
    name, _, port = request.host.partition(":")
    host_origin = f"{request.scheme}://{request.host}"
    portal_origin = f"{request.scheme}://{OTHER_NAME.get(name, name)}{':' + port if port else ''}"
    appearance = {key: request.args[key] for key in ("theme", "accent") if request.args.get(key)}
    token = signed_links.mint(
        current_app.config["EMBED_SECRET"],
        request.args.get("workspace", "dev-workspace"),
        request.args.get("name", "Dev workspace"),
        origin=host_origin,
        **appearance,
    )
    g.frame_src = portal_origin
    return render_template(
        "dev/host.html",
        portal_src=f"{portal_origin}/embed?token={token}",
        portal_origin=portal_origin,
        host_origin=host_origin,
    )
