"""Operations: /healthz, /metrics, masked and structured logs."""
import json
import logging

from bot import create_app
from bot.logs import JsonFormatter, MaskFilter, mask
from tests import wechat
from tests.roster_fixture import build, resident


def test_healthz_is_ok_when_database_and_redis_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_names_the_part_that_is_down(settings_overrides, tmp_path):
    app = create_app({**settings_overrides, "REDIS_URL": f"unix://{tmp_path / 'gone.sock'}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "ok" and body["redis"].startswith("unreachable")
    app.extensions["bot"].engine.dispose()


def test_metrics_count_messages_cases_pushes_queue_and_latency(client, runtime):
    with runtime.Session.begin() as session:
        resident(session, "o_ah", build(session)["village"])
    wechat.say(client, "o_ah", "村口的路坏了很久，晚上路灯也不亮，出行很危险")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'bot_messages_total{failed="false",kind="text"} 1.0' in text
    assert "bot_cases_created_total 1.0" in text
    assert 'bot_pushes{state="pending"}' in text or 'bot_pushes{state="sending"}' in text
    assert "bot_queue_depth" in text
    assert 'bot_request_duration_seconds_count{endpoint="gateway.incoming"}' in text


def test_phones_and_openids_are_masked_in_the_apps_logs(settings_overrides, caplog):
    caplog.set_level(logging.INFO)
    app = create_app(settings_overrides)  # installs the filter on the handlers present, caplog's included
    logging.getLogger("bot.test").info("resident %s called from %s", "oAbCdEfGh1234567890_xyzQRST", "13812345678")
    assert "oAbCdEfGh1234567890_xyzQRST" not in caplog.text and "13812345678" not in caplog.text
    assert "o***QRST" in caplog.text and "138****5678" in caplog.text
    app.extensions["bot"].engine.dispose()


def test_masking_covers_tracebacks_and_leaves_ordinary_words():
    try:
        raise ValueError("bad phone 13912345678")
    except ValueError:
        record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "failed for %s", ("o_lin",), True)
        import sys
        record.exc_info = sys.exc_info()
    MaskFilter().filter(record)
    assert record.getMessage() == "failed for o***" and "13912345678" not in record.exc_text
    assert mask("open options for order 12345678901234") == "open options for order 12345678901234"


def test_json_log_lines():
    record = logging.LogRecord("bot.inbox.receive", logging.WARNING, __file__, 1, "duplicate %s", ("msg:1",), None)
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["level"], entry["logger"], entry["message"]) == ("WARNING", "bot.inbox.receive", "duplicate msg:1")
