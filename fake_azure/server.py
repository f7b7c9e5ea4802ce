"""The fake's HTTP side: Entra ID discovery and tokens, and the few ARM reads the portal makes.

Bodies follow Microsoft's documented shapes: Entra errors as
`{"error", "error_description": "AADSTSnnnn: …", "error_codes", "timestamp", "trace_id",
"correlation_id", "error_uri"}`, ARM errors as `{"error": {"code", "message"}}`.
"""

import base64
import json
import re
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime

from flask import Flask, g, jsonify, request

from . import app_registrations, certificates, preflight, scenarios

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", re.I)
# Reads of a provider that is registering before it reports Registered.
REGISTRATION_READS = 2
SLOW_SECONDS = 3


class FakeAzure:
    """The fake's state: subscriptions as they change, and every request it received."""

    def __init__(self, latency=0.0):
        self.latency = latency
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        """Forget every request and change, as if freshly started."""
        with self.lock:
            self.subscriptions = scenarios.subscriptions()
            self.requests = []
            self.sign_ins = Counter()
            self.registering = Counter()
            # Deployment bodies ARM was asked to validate, and polls of asynchronous ones.
            self.validated = []
            self.operations = Counter()
            # Certificates uploaded under each app's Certificates & secrets, by client id.
            self.key_credentials = defaultdict(list)

    def upload_certificate(self, client_id, data):
        """Add a certificate (`.cer` DER or `.pem` bytes) to an app, as the Azure portal's
        Upload certificate does; return its KeyCredential. Raises ValueError if unreadable."""
        key = certificates.key_credential(data)
        with self.lock:
            self.key_credentials[client_id.lower()].append(key)
        return key


def create_app(fake):
    app = Flask(__name__)
    app.extensions["fake_azure"] = fake
    app.register_blueprint(app_registrations.bp)

    @app.before_request
    def record_and_delay():
        with fake.lock:
            fake.requests.append((request.method, request.path))
        if fake.latency:
            time.sleep(fake.latency)

    @app.get("/<tenant>/v2.0/.well-known/openid-configuration")
    def openid_configuration(tenant):
        if tenant == scenarios.TENANT_BEHIND_PROXY:
            return "<html><body>Sign in to the network first</body></html>", 200
        directory = directory_of(tenant)
        if directory is None:
            return tenant_error(tenant)
        base = request.host_url.rstrip("/")
        instance, region, login_host = scenarios.TENANT_CLOUDS.get(
            directory, scenarios.GLOBAL_CLOUD
        )
        # As global discovery answers for a directory of another cloud: that cloud's issuer,
        # name and region. Real Azure puts the endpoints on that cloud's host too; ours stay on
        # the fake, the only host a test can reach, so the sign-in meets AADSTS900382.
        return jsonify(
            issuer=f"https://{login_host}/{directory}/v2.0",
            token_endpoint=f"{base}/{directory}/oauth2/v2.0/token",
            authorization_endpoint=f"{base}/{directory}/oauth2/v2.0/authorize",
            jwks_uri=f"{base}/{directory}/discovery/v2.0/keys",
            tenant_region_scope=region,
            cloud_instance_name=instance,
            cloud_graph_host_name=f"graph.windows.{'net' if region != 'USGov' else 'us'}",
            token_endpoint_auth_methods_supported=["client_secret_post", "private_key_jwt"],
        )

    def refused_credential(client_id, tenant, directory):
        """The app's proof refused as Entra ID refuses it, or None: a client assertion signed
        with an uploaded certificate's key, else a client secret."""
        assertion = request.form.get("client_assertion")
        if assertion:
            with fake.lock:
                keys = list(fake.key_credentials[client_id.lower()])
            base = request.host_url.rstrip("/")
            audiences = {f"{base}/{name}/oauth2/v2.0/token" for name in (tenant, directory)}
            refusal = certificates.refusal(assertion, keys, client_id, audiences)
            return entra_error(*refusal) if refusal else None
        return refused_secret(request.form.get("client_secret", ""), client_id)

    @app.post("/<tenant>/oauth2/v2.0/token")
    def token(tenant):
        directory = directory_of(tenant)
        if directory is None:
            return tenant_error(tenant)
        if directory == scenarios.TENANT_TOKEN_OUTAGE:
            return jsonify(error="temporarily_unavailable"), 503
        malformed = malformed_token_request()
        if malformed:
            return malformed
        if directory in scenarios.TENANT_CLOUDS:
            return entra_error(
                400,
                "invalid_request",
                900382,
                "Confidential Client is not supported in Cross Cloud request.",
            )
        client_id = request.form.get("client_id", "")
        app_registration = scenarios.TENANT_APPS[directory].get(client_id.lower())
        if app_registration is None:
            return entra_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{directory}'. This can happen if the application has not been installed by "
                "the administrator of the tenant or consented to by any user in the tenant. You "
                "may have sent your authentication request to the wrong tenant.",
            )
        if app_registration.disabled:
            return entra_error(
                400,
                "unauthorized_client",
                7000112,
                f"Application '{client_id}'({app_registration.name}) is disabled.",
            )
        if app_registration.service_principal == "missing":
            return entra_error(
                401,
                "invalid_client",
                7000229,
                f"The client application {client_id} is missing service principal in the "
                f"tenant {directory}. See instructions here: "
                "https://go.microsoft.com/fwlink/?linkid=2225119",
            )
        refused = refused_credential(client_id, tenant, directory)
        if refused:
            return refused
        if app_registration.blocked_by_conditional_access:
            return entra_error(
                400,
                "invalid_grant",
                53003,
                "Access has been blocked by Conditional Access policies. The access policy does "
                "not allow token issuance.",
                suberror="message_only",
            )
        if client_id.lower() == scenarios.APP_UNKNOWN_ANSWER:
            return entra_error(
                400,
                "unauthorized_client",
                500014,
                "The service principal for resource 'https://management.azure.com' is disabled. "
                "This indicate that a subscription within the tenant has lapsed, or that the "
                "administrator for this tenant has disabled the application, preventing tokens "
                "from being issued for it.",
            )
        with fake.lock:
            fake.sign_ins[client_id.lower()] += 1
        claims = {"tid": directory, "appid": client_id.lower()}
        if app_registration.service_principal == "present":
            claims["oid"] = f"0b1ec700-0000-4000-8000-{client_id.lower()[-12:]}"
        encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode()
        return jsonify(
            token_type="Bearer", expires_in=3599, ext_expires_in=3599, access_token=encoded
        )

    @app.before_request
    def check_arm_request():
        match = re.match(r"^/subscriptions/([^/]+)", request.path)
        if not match:
            return None
        principal = principal_of(request.headers.get("Authorization", ""))
        if principal is None:
            return arm_error(
                401, "InvalidAuthenticationToken", "The access token is invalid or missing."
            )
        if "oid" not in principal:
            return arm_error(
                401,
                "InvalidAuthenticationToken",
                "The received access token is not valid: at least one of the claims 'puid' or "
                "'altsecid' or 'oid' should be present. If you are accessing as application "
                "please make sure service principal is properly created in the tenant.",
            )
        g.principal = principal
        g.subscription_id = match.group(1).lower()
        subscription = fake.subscriptions.get(g.subscription_id)
        if subscription is None:
            return arm_error(
                404,
                "SubscriptionNotFound",
                f"The subscription '{g.subscription_id}' could not be found.",
            )
        if subscription.tenant != principal["tid"]:
            return arm_error(
                401,
                "InvalidAuthenticationTokenTenant",
                "The access token is from the wrong issuer "
                f"'https://sts.windows.net/{principal['tid']}/'. It must match the tenant "
                f"'https://sts.windows.net/{subscription.tenant}/' associated with this "
                "subscription. Please use the authority (URL) "
                f"'https://login.windows.net/{subscription.tenant}' to get the token. Note, if "
                "the subscription is transferred to another tenant there is no impact to the "
                "services, but information about new tenant could take time to propagate (up "
                "to an hour). If you just transferred your subscription and see this error "
                "message, please try back later.",
            )
        g.subscription = subscription
        return injected_fault(subscription)

    def injected_fault(subscription):
        if subscription.fault == "throttled" and request.path not in subscription.seen:
            subscription.seen.add(request.path)
            response = arm_error(
                429,
                "SubscriptionRequestsThrottled",
                f"Number of read requests for subscription '{g.subscription_id}' exceeded the "
                "limit of '12000' for time interval '01:00:00'. Please try again after '1' "
                "seconds.",
            )
            response[0].headers["Retry-After"] = "1"
            return response
        if subscription.fault == "outage":
            return arm_error(503, "ServiceUnavailable", "The service is temporarily unavailable.")
        if subscription.fault == "slow":
            time.sleep(SLOW_SECONDS)
        return None

    @app.get("/subscriptions/<subscription_id>")
    def subscription(subscription_id):
        if role_of(g.principal) is None and has_role_below(g.principal):
            return authorization_failed("Microsoft.Resources/subscriptions/read")
        if role_of(g.principal) is None:
            return arm_error(
                404,
                "SubscriptionNotFound",
                f"The subscription '{g.subscription_id}' could not be found.",
            )
        return jsonify(
            id=f"/subscriptions/{g.subscription_id}",
            subscriptionId=g.subscription_id,
            tenantId=g.subscription.tenant,
            displayName=g.subscription.name,
            state=g.subscription.state,
            subscriptionPolicies={
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
            authorizationSource="RoleBased",
        )

    @app.get("/subscriptions/<subscription_id>/providers/Microsoft.Authorization/permissions")
    def permissions(subscription_id):
        if g.subscription.trap:
            return arm_error(
                409,
                "MissingSubscriptionRegistration",
                "The subscription is not registered to use namespace 'Microsoft.Authorization'. "
                "See https://aka.ms/rps-not-found for how to register subscriptions.",
            )
        role = role_of(g.principal)
        return jsonify(value=[scenarios.ROLE_PERMISSIONS[role]] if role else [])

    @app.get("/subscriptions/<subscription_id>/providers/<namespace>")
    def provider(subscription_id, namespace):
        if role_of(g.principal) is None:
            return authorization_failed("Microsoft.Resources/subscriptions/providers/read")
        subscription = g.subscription
        with fake.lock:
            if subscription.provider == "Registering":
                fake.registering[subscription_id] += 1
                if fake.registering[subscription_id] > REGISTRATION_READS:
                    subscription.provider = "Registered"
        return jsonify(provider_body(namespace, subscription.provider))

    @app.post("/subscriptions/<subscription_id>/providers/<namespace>/register")
    def register(subscription_id, namespace):
        if role_of(g.principal) != "Contributor":
            return authorization_failed(f"{namespace}/register/action")
        if g.subscription.state == "Disabled":
            return arm_error(
                409,
                "ReadOnlyDisabledSubscription",
                f"The subscription '{g.subscription_id}' is disabled and therefore marked as "
                "read only. You cannot perform any write actions on this subscription until it "
                "is re-enabled.",
            )
        with fake.lock:
            if g.subscription.provider != "Registered":
                g.subscription.provider = "Registering"
                fake.registering[subscription_id] = 0
        return jsonify(provider_body(namespace, g.subscription.provider))

    @app.post(
        "/subscriptions/<subscription_id>/providers/Microsoft.Resources/deployments/<name>/validate"
    )
    def validate_deployment(subscription_id, name):
        if role_of(g.principal) != "Contributor":
            return authorization_failed("Microsoft.Resources/deployments/validate/action")
        body = request.get_json(silent=True) or {}
        with fake.lock:
            fake.validated.append(body)
        status, answer, _ = preflight.validate(
            g.subscription_id, name, body, g.subscription.preflight, g.principal["oid"]
        )
        if status == 202:
            operation = str(uuid.uuid4())
            with fake.lock:
                fake.operations[operation] = 0
            return still_validating(operation)
        response = jsonify(answer)
        response.headers["x-ms-request-id"] = str(uuid.uuid4())
        response.headers["x-ms-correlation-request-id"] = str(uuid.uuid4())
        return response, status

    @app.get("/subscriptions/<subscription_id>/operationResults/<operation>")
    def operation_result(subscription_id, operation):
        with fake.lock:
            if operation not in fake.operations:
                return arm_error(404, "NotFound", f"The operation '{operation}' was not found.")
            fake.operations[operation] += 1
            polls = fake.operations[operation]
        if polls < 2:
            return still_validating(operation)
        return jsonify(preflight.valid(g.subscription_id, "coldsend-dry-run", "coldsend-email"))

    def still_validating(operation):
        response = app.response_class(status=202)
        response.headers["Location"] = (
            f"{request.host_url}subscriptions/{g.subscription_id}/operationResults/{operation}"
            "?api-version=2025-04-01"
        )
        return response

    def role_of(principal):
        """The app's role at subscription scope, where ColdSend needs it."""
        app_registration = scenarios.APPS.get(principal["appid"])
        if app_registration is None or app_registration.role is None:
            return None
        if app_registration.role_scope != "subscription":
            return None
        if fake.sign_ins[principal["appid"]] <= app_registration.role_delay_sign_ins:
            return None
        return app_registration.role

    def has_role_below(principal):
        app_registration = scenarios.APPS.get(principal["appid"])
        return app_registration is not None and app_registration.role_scope == "resource-group"

    def authorization_failed(action):
        return arm_error(
            403,
            "AuthorizationFailed",
            f"The client '{g.principal['appid']}' with object id '{g.principal['appid']}' does "
            f"not have authorization to perform action '{action}' over scope "
            f"'/subscriptions/{g.subscription_id}' or the scope is invalid. If access was "
            "recently granted, please refresh your credentials.",
        )

    return app


def directory_of(tenant):
    """Return the directory GUID a tenant GUID or domain names, or None."""
    tenant = tenant.lower()
    if tenant == scenarios.TENANT_DOMAIN:
        return scenarios.TENANT
    return tenant if tenant in scenarios.TENANT_APPS else None


def tenant_error(tenant):
    if GUID.match(tenant) or DOMAIN.match(tenant):
        return entra_error(
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
            "are signing into the correct cloud. Check with your subscription administrator, "
            "this may happen if there are no active subscriptions for the tenant.",
        )
    return entra_error(
        400,
        "invalid_request",
        900023,
        f"Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid "
        "external domain.",
    )


def refused_secret(secret, client_id):
    if secret == scenarios.EXPIRED_SECRET:
        return entra_error(
            401,
            "invalid_client",
            7000222,
            f"The provided client secret keys for app '{client_id}' are expired. Visit the "
            "Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, "
            "or consider using certificate credentials for added security: "
            "https://aka.ms/certCreds.",
        )
    if secret != scenarios.SECRET:
        return entra_error(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is "
            "the client secret value, not the client secret ID, for a secret added to app "
            f"'{client_id}'.",
        )
    return None


def malformed_token_request():
    """Refuse a token request as Entra ID does when the client, not the customer, got it wrong."""
    if request.form.get("grant_type") != "client_credentials":
        return entra_error(
            400,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        )
    if not request.form.get("client_secret") and not request.form.get("client_assertion"):
        return entra_error(
            401,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the "
            "'client_credentials' grant type.",
        )
    resource = request.host_url.rstrip("/")
    scopes = request.form.get("scope", "").split()
    if f"{resource}/.default" not in scopes:
        asked = scopes[0].rsplit("/.default", 1)[0] if scopes else ""
        return entra_error(
            400,
            "invalid_resource",
            500011,
            f"The resource principal named {asked} was not found in the tenant named "
            f"{request.view_args['tenant']}. This can happen if the application has not been "
            "installed by the administrator of the tenant or consented to by any user in the "
            "tenant. You might have sent your authentication request to the wrong tenant.",
        )
    return None


def entra_error(status, error, code, text, **extra):
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return jsonify(
        **extra,
        error=error,
        error_description=(
            f"AADSTS{code}: {text}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}"
            f"\r\nTimestamp: {timestamp}"
        ),
        error_codes=[code],
        timestamp=timestamp,
        trace_id=trace_id,
        correlation_id=correlation_id,
        error_uri=f"{request.host_url}error?code={code}",
    ), status


def arm_error(status, code, message):
    response = jsonify(error={"code": code, "message": message})
    response.headers["x-ms-request-id"] = str(uuid.uuid4())
    response.headers["x-ms-correlation-request-id"] = str(uuid.uuid4())
    return response, status


def principal_of(authorization):
    try:
        scheme, token = authorization.split(" ", 1)
        claims = json.loads(base64.urlsafe_b64decode(token.encode()))
        return claims if scheme == "Bearer" and {"tid", "appid"} <= claims.keys() else None
    except ValueError:
        return None


def provider_body(namespace, state):
    return {
        "id": f"/subscriptions/{g.subscription_id}/providers/{namespace}",
        "namespace": namespace,
        "registrationState": state,
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [
            {"resourceType": "communicationServices", "locations": ["Global"]},
            {"resourceType": "emailServices", "locations": ["Global"]},
        ],
    }
