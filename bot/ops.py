"""Operations endpoints: ``/healthz`` (database and Redis reachable) and ``/metrics`` (Prometheus).

Counts (messages, cases, pushes, queue depth) are read from the database and Redis at scrape
time, so every gunicorn worker reports the same figures. Request latency is per process: with
``PROMETHEUS_MULTIPROC_DIR`` set, prometheus-client's multiprocess mode adds up all workers.
"""
import logging
import os
import time

import redis
from flask import Blueprint, Response, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from rq import Queue
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from bot.delivery.jobs import QUEUE
from bot.runtime import current_runtime
from models import Case, InboundMessage, Notification

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__)
LATENCY = Histogram("bot_request_duration_seconds", "Time to answer an HTTP request", ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=None)


@bp.before_app_request
def _start_timer() -> None:
    g.ops_started = time.perf_counter()


@bp.after_app_request
def _observe(response):
    started = g.pop("ops_started", None)
    if started is not None:
        LATENCY.labels(request.endpoint or "unmatched").observe(time.perf_counter() - started)
    return response


def _check_database(runtime) -> str:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError as error:
        return f"unreachable ({error.__class__.__name__})"


def _check_redis(runtime) -> str:
    try:
        runtime.redis.ping()
        return "ok"
    except redis.RedisError as error:
        return f"unreachable ({error.__class__.__name__})"


@bp.get("/healthz")
def healthz():
    """200 when the database and Redis answer, else 503 naming the part that failed."""
    runtime = current_runtime()
    parts = {"database": _check_database(runtime), "redis": _check_redis(runtime)}
    healthy = all(state == "ok" for state in parts.values())
    if not healthy:
        log.warning("health check failed: %s", parts)
    return jsonify(status="ok" if healthy else "unhealthy", **parts), 200 if healthy else 503


class StoreCollector:
    """Figures computed from the database and Redis when Prometheus scrapes."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime

    def collect(self):
        """Yield message, case, push and queue figures (a part that is down is left out)."""
        try:
            yield from self._database()
        except SQLAlchemyError as error:
            log.warning("metrics: database unavailable (%s)", error.__class__.__name__)
        try:
            depth = GaugeMetricFamily("bot_queue_depth", "Jobs waiting on the RQ queue")
            depth.add_metric([], Queue(QUEUE, connection=self.runtime.redis).count)
            yield depth
        except redis.RedisError as error:
            log.warning("metrics: Redis unavailable (%s)", error.__class__.__name__)

    def _database(self):
        with self.runtime.Session() as session:
            messages = session.execute(select(InboundMessage.kind, InboundMessage.failed, func.count())
                                       .group_by(InboundMessage.kind, InboundMessage.failed)).all()
            cases = session.scalar(select(func.count()).select_from(Case))
            pushes = session.execute(select(Notification.state, func.count()).group_by(Notification.state)).all()
        received = CounterMetricFamily("bot_messages", "Messages stored, by kind and whether their handler failed",
                                       labels=["kind", "failed"])
        for kind, failed, count in messages:
            received.add_metric([kind, str(bool(failed)).lower()], count)
        created = CounterMetricFamily("bot_cases_created", "Cases created")
        created.add_metric([], cases)
        states = GaugeMetricFamily("bot_pushes", "Notifications by delivery state", labels=["state"])
        for state, count in pushes:
            states.add_metric([state], count)
        return [received, created, states]


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(current_runtime()))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # every worker's latency files, summed
    else:
        registry.register(LATENCY)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
