"""``python -m bot demo``: the whole bot on one machine, with a WeChat-like simulator in the browser.

It prepares ``instance/`` (SQLite, the demo roster, cadres bound to ``o_<WeChat ID>`` openids),
starts the project's own Redis, the fake WeChat API, an RQ worker and the webhook with the
simulator, prints the URLs, and on Ctrl-C or SIGTERM stops everything it started.
"""
import logging
import os
import secrets
import signal
import socket
from pathlib import Path

import click
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.demo.data import DEMO_PASSWORD
from bot.demo.processes import ProcessDied, Processes
from bot.settings import DEFAULT_CONFIG, instance_path, read_config

log = logging.getLogger(__name__)

DEMO_ROSTER = Path(__file__).with_name("roster.yaml")
# The demo's own official account and WeCom app: fixed, so a second run finds the same data.
ACCOUNT = {
    "WECHAT_TOKEN": "demotoken",
    "WECHAT_APP_ID": "wxd0d0d0d0d0d0d0d0",
    "WECHAT_APP_SECRET": "demosecret0123456789",
    "WECHAT_AES_KEY": "DemoDemoDemoDemoDemoDemoDemoDemoDemoDemo123",
    "WECOM_CORP_ID": "wwd0d0d0d0d0d0d0d0",
    "WECOM_SECRET": "demowecomsecret0123456789",
    "WECOM_AGENT_ID": "1000002",
    "WECOM_TOKEN": "demowecomtoken",  # the WeCom app's callback (/wecom), where cadres with a WeCom id reply
    "WECOM_AES_KEY": "DemoWeComDemoWeComDemoWeComDemoWeComDemo123",
}
DATA_FILES = ("bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm", "bot.sqlite3-journal", "redis.rdb")


class Stop(Exception):
    """SIGINT or SIGTERM arrived: shut down."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def check_port(host: str, port: int) -> None:
    """Refuse a chosen port someone already listens on (else the old server would answer for us)."""
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            raise click.ClickException(f"端口 {port} 已被占用，请换一个端口，或不指定 --port 自动选择。") from None


def reset(instance: Path) -> None:
    """Forget the demo's data: stop its Redis, delete the database and Redis dump."""
    from bot.redis_server import stop_own_redis

    stop_own_redis(instance)
    for name in DATA_FILES:
        (instance / name).unlink(missing_ok=True)
    log.info("demo data in %s deleted", instance)


def dashboard_key(instance: Path) -> str:
    """The demo dashboard's session key, made once and kept in the instance folder."""
    path = instance / "dashboard.key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def demo_env(instance: Path, redis_url: str, fake_url: str) -> dict:
    """The environment every demo process runs with."""
    return {**ACCOUNT, "BOT_INSTANCE": str(instance), "REDIS_URL": redis_url,
            # The demo serves plain http on this machine only: cookies cannot be Secure there.
            "DASHBOARD_SECRET_KEY": dashboard_key(instance), "DASHBOARD_INSECURE_COOKIES": "1",
            "DATABASE_URL": f"sqlite:///{instance / 'bot.sqlite3'}", "WECHAT_API_BASE_URL": fake_url,
            "PYTHONUNBUFFERED": "1"}


def _redis_running(instance: Path) -> bool:
    """Whether the project's own Redis already answers in ``instance``."""
    try:
        # No retries: redis-py's default backoff spends seconds on a socket nobody listens on.
        client = redis.Redis(unix_socket_path=str(instance / "redis.sock"), socket_timeout=0.5,
                             retry=Retry(NoBackoff(), 0))
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def _ignore_stops() -> None:
    """A second Ctrl-C or SIGTERM (`timeout` and `pkill` both send one) must not cut the clean-up short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _raise_stop(signum, _frame) -> None:
    _ignore_stops()  # before anything else: the next signal may come while this one is handled
    raise Stop(signal.Signals(signum).name)


def run_demo(fresh: bool, host: str, port: int) -> None:
    """Prepare the data, start every process, print the URLs and wait for Ctrl-C."""
    from bot.demo.data import DemoDataError, prepare, write_demo_config
    from bot.redis_server import ensure_own_redis, stop_own_redis

    if port:
        check_port(host, port)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    instance = instance_path()
    instance.mkdir(parents=True, exist_ok=True)
    if fresh:
        reset(instance)
    ours = not _redis_running(instance)  # a Redis left by `serve` belongs to that, not to us
    processes = Processes(instance / "logs")
    try:
        redis_url = ensure_own_redis(instance)
        fake_port, web_port = free_port(host), port or free_port(host)
        fake_url = f"http://{host}:{fake_port}/"
        env = demo_env(instance, redis_url, fake_url)
        env["BOT_CONFIG"] = str(write_demo_config(instance, Path(os.environ.get("BOT_CONFIG") or DEFAULT_CONFIG)))
        login_phone = prepare(env, DEMO_ROSTER)
        train_once(instance, env)
        processes.start("fakewechat", ["-m", "bot.wechat.fake", "--host", host, "--port", str(fake_port)], env)
        processes.wait_http("fakewechat", f"{fake_url}_fake/messages?since=0")
        processes.start("worker", ["-m", "bot", "worker"], env)
        processes.start("scheduler", ["-m", "bot", "scheduler"], env)  # reminders, follow-ups, the periodic relay
        processes.start("web", ["-m", "bot.simulator", "--host", host, "--port", str(web_port)], env)
        simulator = f"http://{host}:{web_port}/simulator/"
        processes.wait_http("web", simulator + "healthz", timeout=60)
        dashboard = f"http://{host}:{web_port}/dashboard/（督查 {login_phone}，密码 {DEMO_PASSWORD}）" if login_phone else ""
        _banner(instance, simulator, f"http://{host}:{web_port}/wechat", fake_url, dashboard)
        processes.watch()
    except Stop as why:
        log.info("stopping the demo (%s)", why)
    except (ProcessDied, DemoDataError) as failure:
        log.error("the demo cannot run: %s", failure)
        raise SystemExit(1) from None
    finally:
        _ignore_stops()  # also when the demo ends for another reason
        processes.stop_all()
        if ours:
            stop_own_redis(instance)
        click.echo("演示已停止。")


def train_once(instance: Path, env: dict) -> None:
    """Train the classifier from the shipped data on the first run (later runs reuse the model)."""
    from bot.cases.training import ensure_model, training_files

    model = instance / "classifier.joblib"
    if not model.exists() and training_files():
        click.echo("首次启动：正在用样本数据训练分类模型，约需一两分钟……")
    ensure_model(model, read_config(env).get("categories") or {})


def _banner(instance: Path, simulator: str, webhook: str, fake_url: str, dashboard: str) -> None:
    """Tell the user where everything is (click.echo: this is the demo's console output)."""
    click.echo("\n驻点联系 bot 演示已启动")
    click.echo(f"  模拟器（在浏览器打开）: {simulator}")
    click.echo(f"  公众号接口 /wechat:     {webhook}")
    click.echo(f"  模拟微信服务器:         {fake_url}")
    if dashboard:
        click.echo(f"  看板:                   {dashboard}")
    click.echo(f"  数据与日志:             {instance}")
    click.echo("按 Ctrl-C 停止。\n", nl=True)
