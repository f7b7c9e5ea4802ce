"""Azure clouds: where to sign in, where Resource Manager is, and where customers click."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Cloud:
    authority_host: str
    resource_manager: str
    portal: str
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
    ),
    "usgov": Cloud(
        "https://login.microsoftonline.us",
        "https://management.usgovcloudapi.net",
        "https://portal.azure.us",
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
        known_authority=any(authority == known.authority_host for known in CLOUDS.values()),
    )
