"""The demo's child processes: start them with logs in ``instance/logs``, watch them, stop them all."""
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.settings import ROOT

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
STOP_SECONDS = 10


class ProcessDied(Exception):
    """A demo process exited on its own; the message names it and quotes its log."""


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the demo dies, even by SIGKILL, so nothing is left behind."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the demo's own clean-up still stops the children


def _tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Processes:
    """The processes the demo started, by name."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], env: dict) -> None:
        """Start ``python args...`` in its own session, output to ``logs/<name>.log``."""
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "ab") as out:
            # Own session: a terminal's Ctrl-C reaches only the demo, which stops children in order.
            self.children[name] = subprocess.Popen(
                [sys.executable, *args], cwd=ROOT, env={**os.environ, **env}, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
        log.info("started %s (pid %d)", name, self.children[name].pid)

    def check(self) -> None:
        """Raise ProcessDied if any child has exited."""
        for name, child in self.children.items():
            if child.poll() is not None:
                raise ProcessDied(f"{name} exited with code {child.returncode}; its log ends:\n"
                                  f"{_tail(self.logs / f'{name}.log')}")

    def wait_http(self, name: str, url: str, timeout: float = 30) -> None:
        """Wait until ``url`` answers 200, failing early if the process serving it dies."""
        deadline = time.monotonic() + timeout
        while True:
            self.check()
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise ProcessDied(f"{name} did not answer {url} within {timeout:.0f} s; see {self.logs}")
            time.sleep(0.2)

    def watch(self) -> None:
        """Block until a child dies (raising ProcessDied) or a signal interrupts."""
        while True:
            self.check()
            time.sleep(0.5)

    def stop_all(self) -> None:
        """SIGTERM every child's process group, newest first; SIGKILL what is still there after a while."""
        for name, child in reversed(list(self.children.items())):
            if child.poll() is None:
                _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for name, child in self.children.items():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %d s: killing it", name, STOP_SECONDS)
                _signal_group(child, signal.SIGKILL)
                child.wait()
            _signal_group(child, signal.SIGKILL)  # anything the child forked and left behind
            log.info("stopped %s", name)
        self.children.clear()


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    """Signal the child's whole process group (anything it forked goes too)."""
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        pass  # already gone
