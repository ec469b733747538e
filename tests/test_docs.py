"""Every example in the docs works: the roster example imports, each ``python -m bot`` line of
docs/connect.md runs and prints what the doc says success looks like, and every example of the
cadres' guide is a command the bot understands from a cadre of that role."""
import re
import shlex
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from bot import create_app
from bot.cli import cli
from bot.settings import read_config
from bot.timefmt import CHINA
from bot.wechat.fake import FakeWeChatServer
from models import Case, Village
from tests import servers, wechat
from tests.case_factory import known_world
from tests.dialog import Chat
from tests.roster_fixture import NOW

DOCS = Path(__file__).resolve().parent.parent / "docs"
LONG_RUNNING = {"worker", "scheduler", "serve", "demo"}  # started by systemd; here only their --help


def code_blocks(path: Path, language: str) -> list[str]:
    """The fenced blocks of ``language`` in a Markdown file."""
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


@pytest.fixture
def bot_cli(monkeypatch, tmp_path):
    """``python -m bot`` as the county's officer runs it: a fresh database, Redis, the fake WeChat API."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roster.yaml").write_text(code_blocks(DOCS / "roster.md", "yaml")[0], encoding="utf-8")
    with FakeWeChatServer() as fake:
        env = {"WECHAT_TOKEN": wechat.TOKEN, "WECHAT_APP_ID": wechat.APP_ID, "WECHAT_APP_SECRET": wechat.APP_SECRET,
               "WECHAT_AES_KEY": wechat.AES_KEY, "WECHAT_API_BASE_URL": fake.url,
               "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}", "REDIS_URL": servers.redis_url(),
               "BOT_INSTANCE": str(tmp_path / "instance"), "DASHBOARD_SECRET_KEY": "docs-test-secret"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        runner = CliRunner()
        yield lambda args: runner.invoke(cli, args)


def test_the_roster_example_imports(bot_cli):
    assert bot_cli(["db", "upgrade"]).exit_code == 0
    result = bot_cli(["roster", "import", "roster.yaml"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("imported") and "cadres created: 6" in result.output


def test_every_command_of_the_connect_guide_runs_and_prints_its_success(bot_cli):
    lines = [line for block in code_blocks(DOCS / "connect.md", "sh") for line in block.splitlines()
             if line.startswith("python -m bot ")]
    assert len(lines) >= 12
    for line in lines:
        command, _, comment = line.partition("#")
        args = shlex.split(command)[3:]
        if args[0] in LONG_RUNNING:
            args.append("--help")
        result = bot_cli(args)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        for expected in re.findall(r"`([^`]+)`", comment):
            assert expected in result.output, f"{line}: expected {expected!r} in\n{result.output}"


def test_the_first_villagers_case_goes_as_connect_md_says(bot_cli):
    """Steps 6, 9 and 10 of docs/connect.md in chat, on 1 Dec 2026 (a Tuesday, 上坪村's station day)."""
    for args in (["db", "upgrade"], ["roster", "import", "roster.yaml"]):
        assert bot_cli(args).exit_code == 0
    code = bot_cli(["invite", "13900000002"]).output.strip().splitlines()[-1]
    runtime = create_app().extensions["bot"]
    chat = Chat(runtime, datetime(2026, 12, 1, 10, 0, tzinfo=CHINA))
    assert chat.say("o_chen", f"认证 {code}").startswith("认证成功！陈组长")
    with runtime.Session() as session:
        village = session.scalar(select(Village).where(Village.name == "上坪村"))
    assert "已绑定：青山镇上坪村" in chat.send("o_villager", kind="event", event="scan", event_key=f"village_{village.id}")
    assert "QS-2026-00001" in chat.say("o_villager", "村口的路塌了一个坑")
    assert "已接单 QS-2026-00001" in chat.say("o_chen", "接单 QS-2026-00001")
    assert chat.say("o_chen", "驻点 取消 上坪村 12月8日").startswith("已取消上坪村12月8日的驻点，已通知绑定群众 1 人")
    assert "12月10日（星期四）下午，村文化室" in chat.say("o_chen", "驻点 改期 上坪村 12月10日 村文化室")
    runtime.engine.dispose()


def test_the_guide_is_a_page_naming_every_command(bot_cli, tmp_path):
    result = bot_cli(["card", "--guide", "--out", str(tmp_path / "print")])
    page = Path(result.output.strip()).read_text(encoding="utf-8")
    guide = read_config()["cadre_guide"]
    assert page.startswith("<!doctype html>") and guide["title"] in page
    for section in guide["sections"]:
        assert all(item["example"] in page for item in section["commands"])


GUIDE_SENDERS = {"member": "o_huang", "leader": "o_chen", "secretary": "o_lin", "supervisor": "o_zhao"}
NOT_UNDERSTOOD = ("用法", "没有使用", "系统暂时出了点问题", "没有找到")


def test_every_example_of_the_guide_is_understood_from_its_role(runtime):
    """Each example, sent by a cadre of its section's role, reaches its command (no usage, refusal or error)."""
    with runtime.Session.begin() as session:
        r, _, cases = known_world(session)
        number = session.get(Case, next(iter(cases.values())).id).number
    chat = Chat(runtime, NOW)
    guide = yaml.safe_load((Path(__file__).resolve().parent.parent / "bot/texts.yaml").read_text())["cadre_guide"]
    for section in guide["sections"]:
        for item in section["commands"]:
            said = item["example"].replace("JH-2026-00001", number)
            reply = chat.say(GUIDE_SENDERS[section["role"]], said) or ""
            assert reply and not any(word in reply for word in NOT_UNDERSTOOD), (section["role"], said, reply)
