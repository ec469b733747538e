"""Helpers for the Open311 tests: the app served on a real port, a webhook receiver, CLI keys.

The tests talk to the server with plain ``requests`` only, as a county system would.
"""
import hashlib
import hmac
import json
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
import requests
from click.testing import CliRunner
from werkzeug.serving import make_server

from bot.cli import cli
from bot.roster.names import village_keys
from models.roster import VillageName
from tests import roster_fixture
from tests.wechat import push_xml, signed_query


class Served:
    """The app on a free local port, in a thread."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.api = self.url + "/open311/v2"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def say(self, openid: str, text: str) -> str | None:
        """A chat message through /wechat, signed as WeChat signs it; the reply's text."""
        response = requests.post(f"{self.url}/wechat?{urlencode(signed_query())}",
                                 data=push_xml(openid, Content=text).encode(), headers={"Content-Type": "text/xml"},
                                 timeout=10)
        assert response.status_code == 200, response.text
        return None if response.text == "success" else ET.fromstring(response.text).findtext("Content")

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


class Receiver:
    """A webhook receiver: records each POST; answers with the next queued status (default 200)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = outer.statuses.pop(0) if outer.statuses else 200
                if status == 200:
                    outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def events(self, secret: str) -> list[dict]:
        """Every received body, after checking its signature with ``secret``."""
        out = []
        for headers, body in self.received:
            timestamp = headers["x-open311-timestamp"]
            expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["x-open311-signature"], f"sha256={expected}")
            out.append(json.loads(body))
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_cli(settings: dict, *args: str) -> str:
    """``python -m bot`` with the test's settings; its output (fails the test on a non-zero exit)."""
    result = CliRunner().invoke(cli, list(args), env=settings, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def last_line(output: str) -> str:
    """What a CLI command printed last (a key, a secret)."""
    return output.strip().splitlines()[-1]


@pytest.fixture
def people(runtime) -> dict:
    """The shared small roster (county 揭西县), with village names to look up; ids by short name."""
    with runtime.Session.begin() as session:
        r = roster_fixture.build(session)
        for village in (r["village"], r["village2"], r["other_village"]):
            keys = village_keys(village.name, village.aliases)
            session.add_all(VillageName(village=village, key=key) for key in keys)
        resident = roster_fixture.resident(session, "o_resident", r["village"])
        return {name: row.id for name, row in r.items()} | {"resident": resident.id}


@pytest.fixture
def served(app):
    server = Served(app)
    yield server
    server.close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()
