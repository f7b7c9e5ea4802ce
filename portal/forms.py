"""The credentials form: normalising what customers paste and catching the usual mistakes.

Every message says what is wrong in the customer's terms and the template links it to the guide
step that shows where the right value is.
"""

from contextlib import suppress
from datetime import date

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict
from wtforms import (
    DateField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from . import fast_path, pending_certificates
from .identifiers import (
    NIL_GUID,
    WRAPPING,
    canonical_domain,
    canonical_guid,
    contains_guid,
    subscription_guid,
    unwrap,
)
from .models import AzureAccount

# The guide step that produces each value: the form shows each field inside its step.
GUIDE_STEP = {
    "tenant_id": 1,
    "client_id": 2,
    "credential_type": 3,
    "client_secret": 3,
    "secret_expires_on": 3,
    "subscription_id": 5,
}
# Secrets that Azure creates today are 40 characters; older ones 32 to 44.
SECRET_MIN_LENGTH = 30
SECRET_MAX_LENGTH = 512


class GuidField(StringField):
    """Text that holds a GUID in canonical form once valid, and what was typed until then."""

    canonical = staticmethod(canonical_guid)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        text = (self.data or "").strip()
        self.data = self.canonical(text) or text


class SubscriptionIdField(GuidField):
    """A Subscription ID, canonical once valid, also when pasted as its resource ID."""

    canonical = staticmethod(subscription_guid)


class TenantField(StringField):
    """A Tenant ID: a GUID or the directory's domain name, both kept canonical."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        text = (self.data or "").strip()
        self.data = canonical_guid(text) or canonical_domain(text) or text


class ExpiryDateField(DateField):
    """A date from the browser's date picker, or typed as year-month-day."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter the date as year-month-day, such as 2028-11-26.") from None


class CommandOutputField(TextAreaField):
    """What the one-command setup printed. It holds the client secret, so like a password field
    it is never rendered back; the browser keeps it across an answer (hx-preserve)."""

    def _value(self):
        return ""


def required(message):
    return DataRequired(message=message)


def guid_shaped(example_source):
    """Refuse anything but a real GUID, saying where the right one is copied from."""

    def check(form, field):
        if field.data == NIL_GUID:
            raise StopValidation("This is an all-zero placeholder, not a real ID.")
        if canonical_guid(field.data) is None:
            raise StopValidation(
                f"Enter a GUID like 1b4e28ba-2fa1-11d2-883f-0016d3cca427, {example_source}."
            )

    return check


def printable(form, field):
    # Control characters have no place in a name, and PostgreSQL refuses NUL outright.
    if field.data and not field.data.isprintable():
        raise StopValidation("Use letters, digits, spaces and punctuation only.")


def tenant_shaped(form, field):
    if field.data == NIL_GUID:
        raise StopValidation("This is an all-zero placeholder, not a real Tenant ID.")
    if canonical_guid(field.data) or canonical_domain(field.data):
        return
    if "/" in field.data and contains_guid(field.data):
        raise StopValidation("This is a web address. Paste only the Tenant ID, the GUID in it.")
    raise StopValidation(
        "Enter the Tenant ID as a GUID like 1b4e28ba-2fa1-11d2-883f-0016d3cca427, "
        "or as the directory's domain name, such as contoso.onmicrosoft.com."
    )


def for_secret_only(form, field):
    """Leave a secret's field out of a form whose app signs in with a certificate."""
    if form.credential_type.data == "certificate":
        field.errors[:] = []
        raise StopValidation()


def secret_shaped(form, field):
    """Catch the secret mistakes that Azure would only report as a failed sign-in."""
    secret = field.data or ""
    if "*" in secret and secret.rstrip("*") != secret:
        raise StopValidation(
            "This is the hidden form Azure shows once you leave the page. Create a new client "
            "secret and copy its Value straight away."
        )
    if canonical_guid(secret):
        raise StopValidation(
            "This is the Secret ID. ColdSend needs the secret's Value, in the column beside it. "
            "If Azure no longer shows the Value, create a new secret and copy its Value."
        )
    if secret != secret.strip(WRAPPING):
        raise StopValidation(
            "The secret starts or ends with a space or quotation mark, which a client secret "
            "never does. Paste the Value again, without them."
        )
    if any(character.isspace() for character in secret):
        raise StopValidation(
            "The secret contains a space or line break, which a client secret never does. "
            "Paste the Value again."
        )
    if not secret.isprintable():
        raise StopValidation(
            "The secret contains a character a client secret never has. Paste the Value again."
        )
    if len(secret) < SECRET_MIN_LENGTH:
        raise StopValidation(
            f"This is too short for a client secret ({len(secret)} characters; those Azure "
            "creates have 40). Copy the whole Value."
        )
    if len(secret) > SECRET_MAX_LENGTH:
        raise StopValidation("This is too long for a client secret. Copy only the Value.")


class Form(FlaskForm):
    """Our forms hold text only: a file sent under a field's name counts as absent, where
    Flask-WTF would hand the field a FileStorage."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            return request.form if isinstance(formdata, CombinedMultiDict) else formdata


class AccountForm(Form):
    """The five values that connect an Azure subscription, and the secret's expiry date."""

    name = StringField(
        "Account Name",
        description="A name you will recognise in ColdSend, such as “Production”.",
        render_kw={"maxlength": 64},
        filters=[lambda value: unwrap(value) if value else value],
        validators=[
            required("Enter a name for this account, such as “Production”."),
            Length(max=64, message="Use 64 characters or fewer."),
            printable,
        ],
    )
    tenant_id = TenantField(
        "Tenant ID",
        description="Also called Directory ID.",
        validators=[required("Enter the Tenant ID."), tenant_shaped],
    )
    client_id = GuidField(
        "Client ID",
        description="The Application (client) ID of the app you registered.",
        validators=[
            required("Enter the Client ID."),
            guid_shaped("copied from Application (client) ID on the app's Overview page"),
        ],
    )
    credential_type = RadioField(
        "How the app proves who it is",
        choices=[
            SelectChoice("secret", "A secret you create in Azure and paste below"),
            SelectChoice(
                "certificate",
                "A certificate ColdSend makes, which you upload to your app: no secret to copy",
            ),
        ],
        default="secret",
        validators=[required("Choose a client secret or a certificate.")],
    )
    client_secret = PasswordField(
        "Client Secret",
        description="The secret's Value, shown only once when you create it.",
        validators=[for_secret_only, required("Enter the client secret's Value."), secret_shaped],
    )
    secret_expires_on = ExpiryDateField(
        "Secret expiry date (optional)",
        description="The date in the Expires column, so we can remind you before it lapses.",
        validators=[for_secret_only, Optional()],
    )
    # The thumbprint of the certificate made for this form (pending_certificates), or of the
    # account's own: which one the app signs in with once saved. Sent from a hidden input that
    # the template writes beside the certificate; not a HiddenField, which hidden_tag() would
    # also render, empty, at the top of the form.
    client_certificate = StringField("Certificate")
    subscription_id = SubscriptionIdField(
        "Subscription ID",
        description="The subscription you gave the Contributor role on.",
        validators=[
            required("Enter the Subscription ID."),
            guid_shaped("copied from the Subscription ID column on the Subscriptions page"),
        ],
    )

    command_output = CommandOutputField(
        "What the command printed",
        description="Paste all of it: the fields below fill themselves. It is never stored.",
        validators=[Optional()],
    )

    def __init__(self, *args, workspace, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.account = account

    def validate(self, extra_validators=None):
        with suppress(fast_path.OutputError):  # validate_command_output says why
            self.take_command_output()
        return super().validate(extra_validators)

    def take_command_output(self, pasting=False):
        """Fill fields from the pasted output; return the names of the fields filled. Raises
        fast_path.OutputError if the output cannot be read.

        At the paste (`pasting`) its values replace the fields' (an earlier paste's, a typo),
        all but a name already given; on Verify they fill only what is still empty, so what
        the customer changed since wins."""
        if not self.command_output.data:
            return []
        values = fast_path.read(self.command_output.data)
        filled = [name for name in values if not self[name].data or (pasting and name != "name")]
        for name in filled:
            self[name].process_formdata([values[name]])
        if "client_secret" in values:  # the command makes a secret, whatever was chosen
            self.credential_type.data = "secret"
        return filled

    def validate_command_output(self, field):
        if field.data:
            try:
                fast_path.read(field.data)
            except fast_path.OutputError as error:
                raise StopValidation(str(error)) from None

    def fields_of(self, step_number):
        """The fields whose values guide step `step_number` produces (none for steps 4, 6)."""
        return [self[name] for name, step in GUIDE_STEP.items() if step == step_number]

    def validate_name(self, field):
        key = AzureAccount.name_key_for(field.data)
        if any(
            other.name_key == key and other is not self.account for other in self.workspace.accounts
        ):
            raise ValidationError(self.name_taken())

    def name_taken(self):
        return f"You already have an account called “{self.name.data}”."

    def validate_client_id(self, field):
        if field.data == self.tenant_id.data:
            raise ValidationError(
                "This is your Tenant ID. The Client ID is the other GUID on the app "
                "registration's Overview page: Application (client) ID."
            )

    def validate_subscription_id(self, field):
        if field.data == self.tenant_id.data:
            raise ValidationError(
                "This is your Tenant ID. Copy the Subscription ID from the Subscriptions page."
            )
        if field.data == self.client_id.data:
            raise ValidationError(
                "This is your Client ID. Copy the Subscription ID from the Subscriptions page."
            )

    def validate_client_certificate(self, field):
        if self.credential_type.data != "certificate":
            return
        if field.data and field.data == self.current_thumbprint:
            return
        if pending_certificates.find(self.workspace, field.data) is None:
            raise ValidationError(
                "Make the certificate first (the button in step 3), upload it to your app in "
                "Azure, then verify."
                if not field.data
                else "This certificate is no longer on offer here: make a new one, upload it "
                "to your app, then verify."
            )

    def certificate_gone(self):
        self.client_certificate.errors = [
            "This certificate was just used for another account, or can no longer be used: "
            "make a new one, upload it to your app, then verify."
        ]

    @property
    def current_thumbprint(self):
        """The thumbprint of the certificate the account signs in with now, or None."""
        certificate = self.account and self.account.certificate
        return certificate.thumbprint if certificate else None

    @property
    def certificate(self):
        """The certificate this form offers at step 3: the one it names, else the account's,
        else the one the workspace made last (before coming back through a new link)."""
        named = self.client_certificate.data
        return (
            (named and pending_certificates.find(self.workspace, named))
            or (self.account and self.account.certificate)
            or (not named and pending_certificates.latest(self.workspace))
            or None
        )

    def validate_secret_expires_on(self, field):
        unchanged = self.account is not None and field.data == self.account.secret_expires_on
        if unchanged and field.data and self.client_secret.data:
            raise ValidationError(
                "This is the replaced secret's date. Enter the new secret's expiry date, or "
                "clear the field if you do not know it."
            )
        if field.data and field.data < date.today() and not unchanged:
            raise ValidationError(
                "This date has passed, so the secret has expired. Create a new secret and paste "
                "its Value."
            )

    def fill(self, account):
        """Copy the validated values onto `account`: a new secret or certificate replaces the
        stored one; none given keeps it. Raises pending_certificates.Gone if the certificate
        was taken meanwhile (`certificate_gone` says so on the form)."""
        # A credential that works is kept to go back to, should its replacement not.
        working = self.account is not None and account.status == "verified"
        account.rename(self.name.data)
        account.change_credentials(
            self.tenant_id.data, self.client_id.data, self.subscription_id.data
        )
        certificate = self.credential_type.data == "certificate"
        new_certificate = certificate and self.client_certificate.data != self.current_thumbprint
        new_secret = not certificate and bool(self.client_secret.data)
        if working and (new_certificate or new_secret):
            account.keep_previous_credential()
        if new_certificate:
            account.set_client_certificate(
                *pending_certificates.take(self.workspace, self.client_certificate.data)
            )
        elif new_secret:
            account.set_client_secret(self.client_secret.data)
        if not certificate:
            account.secret_expires(self.secret_expires_on.data)


def secret_kept_or_replaced(form, field):
    """An empty secret keeps the stored one, if the app signs in with a secret today."""
    if field.data:
        return
    if form.account.credential_type == "certificate":
        raise StopValidation(
            "Enter the client secret's Value: until now the app signed in with a certificate."
        )
    field.errors[:] = []
    raise StopValidation()


class EditAccountForm(AccountForm):
    """The same values for an existing account; an empty secret keeps the stored one."""

    client_secret = PasswordField(
        "Client Secret",
        description="Leave empty to keep the stored secret. Paste a new Value to replace it, "
        "with its own expiry date below.",
        validators=[
            for_secret_only,
            secret_kept_or_replaced,
            secret_shaped,
        ],
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, account=account, **kwargs)
        if account.credential_type == "certificate":
            # Switching to a secret: there is no stored secret to keep, nor a date of one.
            self.client_secret.description = AccountForm.client_secret.kwargs["description"]
            if not self.is_submitted():
                self.secret_expires_on.data = None
        if not self.is_submitted():
            # A certificate made on this form since the current credential was set, and not
            # saved yet, is offered again: it may be uploaded already.
            made = pending_certificates.latest(self.workspace, account, since=account.secret_set_at)
            self.credential_type.data = "certificate" if made else account.credential_type
            self.client_certificate.data = made.thumbprint if made else self.current_thumbprint


class ConfirmForm(Form):
    """A confirmation button: nothing but the CSRF token."""


class ReportForm(Form):
    """ColdSend's staff open a report with an API token, over a period."""

    token = PasswordField(
        "API token",
        description="One of PORTAL_API_TOKENS, as the ColdSend back end sends it.",
        validators=[DataRequired("Enter an API token.")],
    )
    days = IntegerField(
        "Over the last (days)",
        description="From 1 to 366.",
        default=90,
        validators=[NumberRange(1, 366, "Choose from 1 to 366 days.")],
    )
    bucket = SelectField(
        "Counted per",
        description="Failures over time, per day or per week (from Monday).",
        choices=["day", "week"],
        default="day",
    )
