"""Azure clouds: where to sign in, where Resource Manager is, and where customers click."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Cloud:
    authority_host: str
    resource_manager: str
    portal: str
    # What Entra ID's OpenID discovery calls this cloud (`cloud_instance_name`), and its name.
    instance_name: str = "microsoftonline.com"
    name: str = "global Azure"
    # Where ColdSend creates its resource group unless PORTAL_RESOURCE_LOCATION says otherwise.
    region: str = "eastus"
    # MSAL knows Microsoft's authority hosts; for any other it must skip instance discovery.
    known_authority: bool = True

    @property
    def scope(self):
        return self.resource_manager.rstrip("/") + "/.default"


CLOUDS = {
    "public": Cloud(
        "https://login.microsoftonline.com",
        "https://management.azure.com",
        "https://portal.azure.com",
    ),
    "china": Cloud(
        "https://login.chinacloudapi.cn",
        "https://management.chinacloudapi.cn",
        "https://portal.azure.cn",
        "partner.microsoftonline.cn",
        "Azure operated by 21Vianet (China)",
        "chinaeast2",
    ),
    "usgov": Cloud(
        "https://login.microsoftonline.us",
        "https://management.usgovcloudapi.net",
        "https://portal.azure.us",
        "microsoftonline.us",
        "Azure Government",
        "usgovvirginia",
    ),
}


def cloud_from(config):
    """Return the configured cloud, with the endpoint overrides for a private cloud or our fake."""
    cloud = CLOUDS[config["AZURE_CLOUD"]]
    authority = config.get("AZURE_AUTHORITY_HOST") or cloud.authority_host
    return Cloud(
        authority_host=authority.rstrip("/"),
        resource_manager=(config.get("AZURE_RESOURCE_MANAGER_URL") or cloud.resource_manager),
        portal=cloud.portal,
        instance_name=cloud.instance_name,
        name=cloud.name,
        region=cloud.region,
        known_authority=any(authority == known.authority_host for known in CLOUDS.values()),
    )


# `tenant_region_scope` of Azure Government directories: USG (Fairfax) or USGov (Arlington).
# Source: learn.microsoft.com/azure/azure-government/documentation-government-plan-identity
GOVERNMENT_REGION_SCOPES = {"USG", "USGov"}


def directory_cloud(document):
    """Return the `cloud_instance_name` of the directory that an OpenID discovery document
    describes (such as "microsoftonline.us"), or None where it does not say.

    Global discovery answers for directories of every cloud. GCC (region scope NA, sub-scope
    GCC) lives in global Azure; GCC High and DoD say USGov or USG.
    """
    instance = document.get("cloud_instance_name")
    if isinstance(instance, str) and instance:
        return instance
    if document.get("tenant_region_scope") in GOVERNMENT_REGION_SCOPES:
        return CLOUDS["usgov"].instance_name
    return None


def cloud_named(instance_name):
    """Name the cloud an OpenID discovery document's `cloud_instance_name` stands for."""
    for cloud in CLOUDS.values():
        if cloud.instance_name == instance_name:
            return cloud.name
    return f"another Azure cloud ({instance_name})"
