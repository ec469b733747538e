"""Hostile input, a small budget per run (bench/fuzz.py runs 10^5+): never a 5xx from the webhook,
never an exception out of a handler (the inbox would mark the message failed)."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import wechat
from tests.dialog import Chat
from tests.fuzz_inputs import COMMANDS, ROLES, command, failed_messages, post_raw, prepare, push, query
from tests.roster_fixture import NOW

BUDGET = settings(max_examples=100, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def world(runtime):
    """The runtime with a roster to act on."""
    prepare(runtime)
    return runtime


def test_the_fuzzer_knows_every_command(world):
    names = {route.name for route in world.registry.routes}
    assert names - set(COMMANDS) <= {"intake", "read_text", "scanned"}, names  # the catch-alls take any text


@BUDGET
@given(body=push(), args=query())
def test_webhook_never_answers_5xx(world, client, body, args):
    response = post_raw(client, body, args)
    assert response.status_code < 500, (body, args, response.get_data(as_text=True))
    assert failed_messages(world) == []


@BUDGET
@given(body=push())
def test_signed_hostile_pushes_never_5xx(world, client, body):
    response = post_raw(client, body, wechat.signed_query())
    assert response.status_code < 500, (body, response.get_data(as_text=True))
    assert failed_messages(world) == []


@BUDGET
@given(role=st.sampled_from(sorted(ROLES)), text=command())
def test_commands_never_raise_in_a_handler(world, role, text):
    Chat(world, NOW).say(ROLES[role], text.replace("\x00", ""))  # bot/wechat/protocol.py drops NUL before the inbox
    assert failed_messages(world) == [], (role, text)
