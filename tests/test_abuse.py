"""Abuse control: the per-openid rate limit (Redis) and the ban list (database, managed by CLI)."""
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import cli
from bot.inbox.ratelimit import RateLimiter
from bot.runtime import redis_client
from models import InboundMessage
from tests.dialog import Chat
from tests.roster_fixture import NOW


def stored(runtime, openid: str) -> int:
    with runtime.Session() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage).where(InboundMessage.openid == openid))


def test_the_21st_message_in_a_minute_gets_a_polite_reply_and_others_are_unaffected(runtime):
    chat, texts = Chat(runtime, NOW), runtime.config["texts"]
    replies = [chat.say("o_spammer", "帮助") for _ in range(21)]
    limited = texts["rate_limited"]
    assert limited not in replies[:20] and replies[20] == limited
    assert chat.say("o_neighbour", "帮助") != limited  # someone else writing meanwhile
    assert stored(runtime, "o_spammer") == 20  # the refused message was not processed
    chat.tick(minutes=1)
    assert chat.say("o_spammer", "帮助") != limited


def test_without_redis_the_limit_lets_messages_through_quickly(tmp_path, monkeypatch):
    dead = redis_client(f"unix://{tmp_path / 'none.sock'}")  # the app's client: no slow retries
    asked = []
    get_connection = dead.connection_pool.get_connection
    monkeypatch.setattr(dead.connection_pool, "get_connection", lambda *a, **k: asked.append(a) or get_connection(*a, **k))
    limiter = RateLimiter(dead, per_minute=1)
    assert all(limiter.allow("o_someone", NOW) for _ in range(50))
    assert len(asked) == 1  # after one failure the limiter stops asking: a dead Redis costs nothing per message


def test_the_limit_is_configurable(runtime):
    runtime.config["abuse"] = {"rate_limit_per_minute": 3}
    chat = Chat(runtime, NOW)
    replies = [chat.say("o_busy", "帮助") for _ in range(4)]
    assert replies[3] == runtime.config["texts"]["rate_limited"] and replies[2] != replies[3]


@pytest.fixture
def cli_env(monkeypatch, settings_overrides):
    """The CLI reads its settings from the environment: point it at the test's database."""
    for name, value in settings_overrides.items():
        monkeypatch.setenv(name, value)


def test_ban_list_by_cli_stops_processing_and_unban_restores_it(runtime, cli_env):
    runner, chat, texts = CliRunner(), Chat(runtime, NOW), runtime.config["texts"]
    assert "banned o_troll" in runner.invoke(cli, ["ban", "add", "o_troll", "--reason", "骚扰"]).output
    assert "already" in runner.invoke(cli, ["ban", "add", "o_troll"]).output
    listed = runner.invoke(cli, ["ban", "list"]).output
    assert "o_troll" in listed and "骚扰" in listed
    assert chat.say("o_troll", "村口路灯坏了") == texts["banned"]
    assert stored(runtime, "o_troll") == 0
    assert chat.say("o_other", "帮助") != texts["banned"]
    assert "unbanned o_troll" in runner.invoke(cli, ["ban", "remove", "o_troll"]).output
    assert "was not banned" in runner.invoke(cli, ["ban", "remove", "o_troll"]).output
    assert chat.say("o_troll", "帮助") != texts["banned"] and stored(runtime, "o_troll") == 1
