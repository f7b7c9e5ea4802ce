"""The run command, in a copy of the repository: a second start harms nothing, Ctrl-C is quiet."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import urllib.request

import pytest

from .servers import free_port, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def checkout(tmp_path):
    """The repository's files in a folder of their own, sharing the virtualenv; whatever runs
    from it is gone after the test, even one that failed."""
    copy = tmp_path / "portal"
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        target = copy / name.decode()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.join(ROOT, name.decode()), target)
    (copy / ".venv").symlink_to(os.path.join(ROOT, ".venv"))
    yield copy
    for pid in portal_processes(copy):  # left by a test that failed before stopping them
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


class Output:
    """A process's output lines, read as they come."""

    def __init__(self, stream):
        self.lines = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line)

    @property
    def text(self):
        return "".join(self.lines)


def run(checkout, port):
    process = subprocess.Popen(
        ["scripts/run"],
        cwd=checkout,
        env={"PATH": os.environ["PATH"], "PORT": str(port), "HOME": os.environ.get("HOME", "/")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal would give it
    )
    return process, Output(process.stdout), Output(process.stderr)


def processes_in(folder):
    """Processes whose working directory is `folder`: what a stop must leave behind is none."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.readlink(f"/proc/{entry}/cwd") == str(folder):
                found.append(int(entry))
        except OSError:
            continue
    return found


@pytest.mark.reliability("scripts/run started twice; Ctrl-C", "refused, first intact; quiet stop")
def test_a_second_start_is_refused_and_harms_nothing_and_ctrl_c_stops_all_quietly(checkout):
    port = free_port()
    first, out, err = run(checkout, port)
    wait_for(lambda: "/embed?token=" in out.text, "the portal", timeout=120)

    second = subprocess.run(
        ["scripts/run"],
        cwd=checkout,
        env={"PATH": os.environ["PATH"], "PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert second.returncode == 1
    assert "already running" in second.stderr
    assert "/embed?token=" not in second.stdout
    link = next(line.strip() for line in out.lines if "/embed?token=" in line)
    assert urllib.request.urlopen(link).status == 200  # the first still serves, Redis intact
    assert (checkout / "instance" / "redis.sock").exists()

    os.killpg(first.pid, signal.SIGINT)

    assert first.wait(timeout=30) == 130
    wait_for(lambda: not processes_in(checkout), "every child's end", timeout=15)
    assert "Traceback" not in err.text, err.text


@pytest.mark.reliability("Redis or the worker killed under scripts/run", "said, started again")
def test_a_child_that_dies_is_said_and_started_again_and_the_portal_serves_on(checkout):
    port = free_port()
    process, out, err = run(checkout, port)
    wait_for(lambda: "/embed?token=" in out.text, "the portal", timeout=120)

    for name, command in (("Redis", "redis-server"), ("RQ worker", "worker.py")):
        (pid,) = [p for p in portal_processes(checkout) if command in cmdline(p)]
        os.kill(pid, signal.SIGKILL)
        said = f"The {name} stopped; starting it again."
        wait_for(lambda said=said: said in err.text, name)
        wait_for(lambda command=command: running(checkout, command), name)

    assert process.poll() is None
    wait_for(lambda: (checkout / "instance" / "redis.sock").exists(), "Redis's socket")
    base = f"http://127.0.0.1:{port}"
    link = subprocess.run(
        [".venv/bin/flask", "--app", "wsgi", "dev-link", "--base-url", base],
        cwd=checkout,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert urllib.request.urlopen(link).status == 200
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=30) == 130
    wait_for(lambda: not portal_processes(checkout), "every child's end", timeout=15)


@pytest.mark.reliability(
    "the RQ clock stopping 5 times in a minute (Redis stalled)",
    "started again after growing pauses; pages served",
)
def test_a_child_that_keeps_stopping_is_started_again_after_growing_pauses(checkout):
    port = free_port()
    process, out, err = run(checkout, port)
    wait_for(lambda: "/embed?token=" in out.text, "the portal", timeout=120)

    pauses = ("starting it again.", "again in 2 s.", "again in 4 s.", "again in 8 s.", "16 s.")
    for said in pauses:
        wait_for(lambda: running(checkout, "rq cron"), "the RQ clock", timeout=30)
        (pid,) = [p for p in portal_processes(checkout) if "rq cron" in cmdline(p)]
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda said=said: said in err.text, said, timeout=15)

    assert process.poll() is None  # before, the fifth stop in a minute stopped the portal
    assert urllib.request.urlopen(f"http://127.0.0.1:{port}/static/portal.css").status == 200
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=30) == 130


def portal_processes(folder):
    """What scripts/run started from `folder` (Redis works in instance/)."""
    return processes_in(folder) + processes_in(folder / "instance")


def running(folder, command):
    return any(command in cmdline(pid) for pid in portal_processes(folder))


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return file.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.reliability("scripts/run on a busy port", "refused before starting anything")
def test_a_busy_port_is_refused_before_anything_starts(checkout):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = subprocess.run(
            ["scripts/run"],
            cwd=checkout,
            env={"PATH": os.environ["PATH"], "PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert not (checkout / "instance" / "redis.sock").exists()


@pytest.mark.reliability("scripts/demo twice; demo killed", "refused; the portal stops with it")
def test_a_second_demo_is_refused_and_stopping_the_demo_stops_the_portal(checkout):
    environment = {
        "PATH": os.environ["PATH"],
        "PORT": str(free_port()),
        "FAKE_AZURE_PORT": str(free_port()),
    }
    demo = subprocess.Popen(
        ["scripts/demo"],
        cwd=checkout,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    out, err = Output(demo.stdout), Output(demo.stderr)
    wait_for(lambda: "/embed?token=" in out.text, "the demo", timeout=120)
    certificate = (checkout / "instance" / "fake-azure" / "ca.pem").read_bytes()

    second = subprocess.run(
        ["scripts/demo"], cwd=checkout, env=environment, capture_output=True, text=True
    )

    assert second.returncode == 1
    assert "already running" in second.stderr
    assert (checkout / "instance" / "fake-azure" / "ca.pem").read_bytes() == certificate

    demo.terminate()  # as `kill <pid>` does: the demo alone, not its process group

    assert demo.wait(timeout=30) == 143
    wait_for(lambda: not processes_in(checkout), "every child's end", timeout=15)
    assert "Traceback" not in err.text, err.text
