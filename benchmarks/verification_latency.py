"""How long one verification takes when every Azure answer costs `--latency-ms` (default 100).

Runs the real job (real SDKs, the fake Azure over HTTPS) in this process, against a throwaway
SQLite database and Redis, and prints the median time, the requests Azure received and the
sequential round trips that time amounts to.
With `--certificate` the app signs in with a certificate made as the portal makes them, uploaded
to the fake, instead of a client secret.
Usage: .venv/bin/python benchmarks/verification_latency.py [--certificate]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask_migrate import upgrade  # noqa: E402

from fake_azure import scenarios as azure  # noqa: E402
from fake_azure.serve import running  # noqa: E402
from portal import certificates, config, create_app, jobs  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import AzureAccount, StepResult, Verification, Workspace, utcnow  # noqa: E402
from portal.verification.steps import Step  # noqa: E402
from tests.servers import redis_server  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--certificate", action="store_true", help="sign in with a certificate")
    arguments = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="portal-benchmark-")
    azure_running = running(directory, latency=arguments.latency_ms / 1000)
    with azure_running as (url, ca_path, fake), redis_server() as redis_url:
        os.environ["REQUESTS_CA_BUNDLE"] = ca_path
        environment = {
            "DATABASE_URL": f"sqlite:///{directory}/portal.db",
            "REDIS_URL": redis_url,  # each commit is announced there, as it runs
            "AZURE_AUTHORITY_HOST": url,
            "AZURE_RESOURCE_MANAGER_URL": url,
        }
        app = create_app(config.load(environment, directory))
        with app.app_context():
            upgrade()
            account = make_account()
            if arguments.certificate:
                account.set_client_certificate(*certificates.make("Benchmark"))
                db.session.commit()
            timings, requests = [], []
            for _ in range(arguments.runs):
                fake.reset()
                if arguments.certificate:
                    fake.upload_certificate(azure.APP_CONTRIBUTOR, account.certificate.der)
                verification = make_verification(account)
                started = time.perf_counter()
                jobs.verify(verification.id)
                timings.append(time.perf_counter() - started)
                requests.append(len(fake.requests))
                state = db.session.get(Verification, verification.id).state.value
                if state != "passed":
                    sys.exit(f"the verification ended {state}, not passed: nothing to measure")
    median = statistics.median(timings)
    signing_in = "a certificate" if arguments.certificate else "a client secret"
    print(f"latency added per response: {arguments.latency_ms:.0f} ms; runs: {arguments.runs}")
    print(f"the app signs in with {signing_in}")
    print(
        f"one verification: median {median * 1000:.0f} ms "
        f"(min {min(timings) * 1000:.0f}, max {max(timings) * 1000:.0f})"
    )
    print(f"requests Azure received per verification: {statistics.median(requests):.0f}")
    if arguments.latency_ms > 0:  # at 0 ms the time is our own work: no round trips to count
        print(f"sequential round trips: {median / (arguments.latency_ms / 1000):.1f}")


def make_account(workspace="benchmark", subscription_id=azure.SUB_READY):
    """An account whose every check passes, in its own workspace, committed."""
    account = AzureAccount(workspace=Workspace(external_id=workspace))
    account.rename("Benchmark")
    account.change_credentials(azure.TENANT, azure.APP_CONTRIBUTOR, subscription_id)
    account.set_client_secret(azure.SECRET)
    db.session.add(account)
    db.session.commit()
    return account


def make_verification(account, deadline_at=None):
    """A verification of `account` about to run, committed: its job sets the deadline."""
    verification = Verification(account=account, deadline_at=deadline_at or utcnow())
    verification.steps = [StepResult(step=step, position=step.number) for step in Step]
    db.session.add(verification)
    db.session.commit()
    return verification


if __name__ == "__main__":
    main()
