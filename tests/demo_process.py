"""Run ``python -m bot demo`` in a subprocess for tests: start it, read its URLs, stop it, find leftovers."""
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIMULATOR_LINE = re.compile(r"(http://\S+/simulator/)")


def start_demo(instance: Path, *args: str, timeout: float = 90, path: str | None = None) -> tuple[subprocess.Popen, str]:
    """Start the demo with its data in ``instance`` (and ``path`` as PATH); return the process and the simulator's URL."""
    instance.mkdir(parents=True, exist_ok=True)
    # No training data: the demo then starts on keyword rules at once instead of training for half a
    # minute (training and loading the trained model are tested in tests/test_retraining.py).
    env = {**os.environ, "BOT_INSTANCE": str(instance), "PYTHONUNBUFFERED": "1",
           "BOT_TRAINING_DATA": str(instance / "no-training-data")}
    for name in ("DATABASE_URL", "REDIS_URL", "BOT_CONFIG"):
        env.pop(name, None)  # the demo brings its own; a developer's settings must not leak in
    if path is not None:
        env["PATH"] = path
    log = open(instance / "demo-stderr.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "bot", "demo", *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=log)
    log.close()
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    output = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            # Raw reads: a buffered readline would hide lines already read from the pipe from select().
            output += os.read(process.stdout.fileno(), 4096)
            if match := SIMULATOR_LINE.search(output.decode(errors="replace")):
                return process, match.group(1)
        if process.poll() is not None:
            break
    stop_demo(process)
    raise AssertionError(f"the demo did not start; its log ends:\n{_tail(instance / 'demo-stderr.log')}")


def stop_demo(process: subprocess.Popen, signum: int = signal.SIGINT, timeout: float = 30) -> int:
    """Signal the demo as Ctrl-C does and wait for it to exit; return its exit code."""
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError("the demo did not stop within %d s" % timeout) from None
    process.stdout.close()
    return process.returncode


def processes_of(instance: Path) -> list[str]:
    """Command lines of live processes started for ``instance``: their environment or command line names it.

    (Redis rewrites its process title over its environment, but its title names the socket in ``instance``.)
    """
    marker = f"BOT_INSTANCE={instance}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == str(os.getpid()):
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if marker in (entry / "environ").read_bytes().split(b"\0") or f"{instance}/" in cmdline:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":  # a zombie is already dead; its parent just has not reaped it
                    found.append(cmdline)
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
