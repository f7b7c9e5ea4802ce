"""What the templates use: dates as customers read them, the guide's steps, Azure links."""

from datetime import UTC, date

from flask import current_app
from markupsafe import Markup

from . import audit, fast_path, framing, secret_expiry
from .models import CREDENTIAL_NAMES, shown_version
from .verification import catalogue
from .verification.clouds import cloud_from
from .verification.codes import NOT_ASKED
from .verification.steps import Step


def register(app):
    app.add_template_filter(day)
    app.add_template_filter(moment)
    app.add_template_filter(clock)
    app.add_template_filter(instant)
    app.add_template_global(date.today, "today")
    app.add_template_global(catalogue.guidance_for)
    app.add_template_global(catalogue.troubleshooting)
    app.add_template_global(catalogue.say)
    app.add_template_global(portal_link)
    app.add_template_global(portal_page)
    app.add_template_global(framing.queued_events)
    app.add_template_global(catalogue.USER_IMPERSONATION_NOTE, "user_impersonation_note")
    app.add_template_global(catalogue.FIELD_LABELS, "field_labels")
    app.add_template_global(guide_facts)
    app.add_template_global(frozenset(catalogue.CATALOGUE), "catalogue_codes")
    app.add_template_global([step for step in Step if step.in_guide], "guide_steps")
    app.add_template_global(Step.DRY_RUN, "dry_run_step")
    app.add_template_global(STEP_NAMES, "step_names")
    app.add_template_global(catalogue.RENEWAL, "renewal_codes")
    app.add_template_global(CREDENTIAL_NAMES, "credential_names")
    app.add_template_global(fast_path.commands, "cloud_shell_commands")
    app.add_template_global(secret_expiry.secret_status)
    app.add_template_global(audit.actor_name, "audit_actor")
    app.add_template_global(audit.ACTIONS, "audit_actions")
    app.add_template_global(shown_version)
    app.add_template_global(frozenset(code.value for code in NOT_ASKED), "not_asked_codes")


# Each step as staff read it in reports: "3 · Client secret or certificate", "Dry run".
STEP_NAMES = {
    step.value: f"{step.number} · {step.title}" if step.in_guide else "Dry run" for step in Step
}


def guide_facts():
    """What the guide's texts can name before any verification: ColdSend's cloud and what it
    creates there."""
    provisioning = current_app.config["PROVISIONING"]
    return {
        "resource_group": provisioning.resource_group,
        "location": provisioning.location,
        "portal_cloud": cloud_from(current_app.config).name,
    }


def azure_portal():
    """The Azure portal of the configured cloud."""
    return cloud_from(current_app.config).portal


def portal_page(name):
    """A page of the configured cloud's Azure portal that the guide links to, by name."""
    return catalogue.GUIDE_PAGES[name].format(portal=azure_portal())


def portal_link(guidance, account, facts=None):
    """Link to the Azure portal page that fixes `guidance`, for this account's own IDs."""
    values = {
        "portal": azure_portal(),
        "tenant_id": account.tenant_id,
        "client_id": account.client_id,
        "subscription_id": account.subscription_id,
        **(facts or {}),
    }
    return catalogue.link_for(guidance, values)


def clock(value):
    """A time of day to the second, such as 14:05:30 UTC, which the page shows in the
    customer's own time zone when the browser tells it (portal.js)."""
    return _time(value, "clock", f"{value:%H:%M:%S} UTC")


def moment(value):
    """A day and minute, such as 26 November 2026, 14:05 UTC, shown like `clock`."""
    return _time(value, "moment", f"{day(value)}, {value:%H:%M} UTC")


def instant(value):
    """A day and time to the second, such as 26 November 2026, 14:05:30 UTC: for a log, where
    the order of two things done in one minute matters."""
    return _time(value, "instant", f"{day(value)}, {value:%H:%M:%S} UTC")


def _time(value, style, text):
    # Stored times are naive UTC.
    instant = value.replace(tzinfo=UTC).isoformat()
    return Markup('<time datetime="{}" data-style="{}">{}</time>').format(instant, style, text)


def day(value):
    """Show a date or time as a day, such as 26 November 2026."""
    return f"{value.day} {value:%B %Y}"
