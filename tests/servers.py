"""Real servers for the tests, each in a throwaway directory: Redis, and PostgreSQL when asked."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {timeout} s")
        time.sleep(0.02)


class RedisServer:
    """redis-server on a Unix socket only, in a throwaway folder; it can stop and start again
    at the same address, as a Redis that restarts does."""

    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="portal-redis-")
        self.socket_path = os.path.join(self.directory, "redis.sock")
        self.url = f"unix://{self.socket_path}"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                "0",
                "--unixsocket",
                self.socket_path,
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory,
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: os.path.exists(self.socket_path), "redis-server")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@contextmanager
def redis_server():
    """Run redis-server on a Unix socket only, and yield its URL."""
    server = RedisServer()
    try:
        server.start()
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)


@contextmanager
def postgresql_server():
    """Run a throwaway PostgreSQL cluster on a loopback port, and yield its SQLAlchemy URL."""
    bin_dir = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version)[-1]
    # Under /tmp itself: the postgres user cannot reach into pytest's private temp folders.
    directory = tempfile.mkdtemp(prefix="portal-pg-")
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(directory, "postgres", "postgres")
    data, port = os.path.join(directory, "data"), free_port()

    def run(*command):
        line = " ".join(command)
        subprocess.run(
            ["su", "postgres", "-c", line] if as_root else ["sh", "-c", line],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    run(
        f"{bin_dir}/initdb",
        "-D",
        data,
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    )
    options = f"'-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off'"
    run(f"{bin_dir}/pg_ctl", "-D", data, "-l", f"{directory}/log", "-o", options, "-w", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(directory, ignore_errors=True)


def _version(path):
    return int(path.split("/")[-2])
