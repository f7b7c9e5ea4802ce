"""Azure clients built for verification: our timeouts and bounded retries, our cloud endpoints.

azure-core's defaults suit long-running services, not a customer waiting for an answer: 10
retries with 300 s timeouts, Retry-After honoured however long, and management clients that
register a resource provider by themselves on a 409 and poll it with no deadline. Everything
here is built fresh for one verification, so no cached token reply is ever reused.
"""

from functools import cached_property
from urllib.parse import quote

from azure.core import PipelineClient
from azure.core.pipeline import policies
from azure.core.rest import HttpRequest
from azure.identity import CertificateCredential, ClientSecretCredential
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy
from azure.mgmt.resource.deployments import DeploymentsMgmtClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient

from ..certificates import ClientCertificate

PERMISSIONS_API_VERSION = "2022-04-01"
USER_AGENT = "coldsend-azure-connect"


class BoundedRetryPolicy(policies.RetryPolicy):
    """Retry as azure-core does, but never sleep longer than `retry_after_max` for Retry-After."""

    def __init__(self, retry_after_max=10, **kwargs):
        super().__init__(**kwargs)
        self.retry_after_max = retry_after_max

    def is_retry(self, settings, response):
        retry_after = self.get_retry_after(response)
        if retry_after is not None and retry_after > self.retry_after_max:
            return False
        return super().is_retry(settings, response)


class AzureSession:
    """The clients one verification uses, all signed in as the customer's app."""

    def __init__(self, cloud, limits, tenant_id, client_id, proof, request_id, transport=None):
        """`proof` is the app's client secret (str) or a ClientCertificate. `transport` (an
        azure-core HttpTransport) carries every request; by default each client makes its
        own, as in a verification."""
        self.cloud, self.limits, self.tenant_id = cloud, limits, tenant_id
        self.request_id = request_id
        self._client_id, self._proof = client_id, proof
        self._transport = {"transport": transport} if transport else {}

    @cached_property
    def credential(self):
        """The app's credential; azure-identity refuses a malformed tenant here (ValueError)."""
        settings = {
            "authority": self.cloud.authority_host,
            "disable_instance_discovery": not self.cloud.known_authority,
            "retry_policy_class": BoundedRetryPolicy,
            **self._timeouts(),
            **self._retry_settings(),
        }
        if isinstance(self._proof, ClientCertificate):
            return CertificateCredential(
                self.tenant_id,
                self._client_id,
                certificate_data=self._proof.pem.encode(),
                **settings,
            )
        return ClientSecretCredential(self.tenant_id, self._client_id, self._proof, **settings)

    def _timeouts(self):
        return {
            "connection_timeout": self.limits.connect_timeout,
            "read_timeout": self.limits.read_timeout,
            **self._transport,
        }

    def _retry_settings(self):
        return {
            "retry_total": self.limits.retries,
            "retry_backoff_max": self.limits.backoff_max,
            "retry_after_max": self.limits.retry_after_max,
        }

    def _retry(self):
        return BoundedRetryPolicy(**self._retry_settings())

    def _arm_policies(self):
        return [
            policies.RequestIdPolicy(request_id=self.request_id),
            policies.HeadersPolicy(),
            policies.UserAgentPolicy(base_user_agent=USER_AGENT),
            policies.ContentDecodePolicy(),
            # Left out on purpose: ARMAutoResourceProviderRegistrationPolicy, which answers a
            # 409 MissingSubscriptionRegistration by registering the provider itself.
            policies.RedirectPolicy(),
            self._retry(),
            ARMChallengeAuthenticationPolicy(self.credential, self.cloud.scope),
            policies.SensitiveHeaderCleanupPolicy(),
            ARMHttpLoggingPolicy(),
        ]

    def _arm_settings(self):
        return {
            "base_url": self.cloud.resource_manager,
            "credential_scopes": [self.cloud.scope],
            "policies": self._arm_policies(),
            **self._timeouts(),
        }

    def openid_configuration(self):
        """GET the tenant's OpenID configuration: no credentials needed, GUID or domain alike."""
        client = PipelineClient(
            base_url=self.cloud.authority_host,
            policies=[
                policies.RequestIdPolicy(request_id=self.request_id),
                policies.UserAgentPolicy(base_user_agent=USER_AGENT),
                self._retry(),
            ],
            **self._timeouts(),
        )
        path = f"/{quote(self.tenant_id, safe='')}/v2.0/.well-known/openid-configuration"
        with client:
            return client.send_request(HttpRequest("GET", self.cloud.authority_host + path))

    def management_token(self):
        return self.credential.get_token(self.cloud.scope)

    def subscriptions(self):
        return SubscriptionClient(self.credential, **self._arm_settings())

    def resources(self, subscription_id):
        return ResourceManagementClient(self.credential, subscription_id, **self._arm_settings())

    def deployments(self, subscription_id):
        return DeploymentsMgmtClient(
            self.credential,
            subscription_id,
            polling_interval=self.limits.poll_interval,
            **self._arm_settings(),
        )

    def permissions(self, subscription_id):
        """GET what the app may do on the subscription: the SDK offers this only per group."""
        path = (
            f"/subscriptions/{quote(subscription_id)}/providers/Microsoft.Authorization/"
            f"permissions?api-version={PERMISSIONS_API_VERSION}"
        )
        with self.resources(subscription_id) as client:
            response = client.send_request(HttpRequest("GET", path))
            response.read()
            return response

    def close(self):
        if "credential" in self.__dict__:
            self.credential.close()
