"""A stand-in for Microsoft Entra ID and Azure Resource Manager, for tests and the demo.

It answers over HTTPS on a loopback address with the statuses and bodies Microsoft documents,
chosen by the credentials it receives (see `scenarios.py`). The portal never imports it: the
real Azure SDKs reach it through the cloud endpoint overrides.
"""
