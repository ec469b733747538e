"""Roster import and export: round trips, every kind of bad row, idempotence, deactivation, the CLI."""
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker

import models
from bot.cli import cli
from bot.roster import RosterError, read_roster, write_roster
from bot.roster.export import export_roster
from bot.roster.generate import generate
from bot.roster.importer import import_roster
from bot.roster.yaml_format import nest
from bot.settings import read_config
from models import Cadre, Membership, Team, Township, Village

DEMO = Path(__file__).resolve().parent.parent / "bot" / "demo" / "roster.yaml"
CATEGORIES = set(read_config({})["categories"])  # the project's configured categories


@pytest.fixture
def Session(database_url):
    """Sessions on a fresh database (SQLite and PostgreSQL)."""
    engine = create_engine(database_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def fresh_sqlite(tmp_path, name: str):
    """A second, empty database, for importing an export."""
    engine = create_engine(f"sqlite:///{tmp_path / name}")
    models.Base.metadata.create_all(engine)
    return sessionmaker(engine, expire_on_commit=False)


def exported(Session) -> dict:
    with Session() as session:
        return nest(export_roster(session))


def cadre(Session, name: str) -> Cadre:
    with Session() as session:
        return session.scalar(select(Cadre).where(Cadre.name == name))


def count(Session, model) -> int:
    with Session() as session:
        return session.scalar(select(func.count()).select_from(model))


def demo_dict() -> dict:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


def write_yaml(tmp_path, data: dict, name: str = "roster.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_demo_import_builds_teams_roles_and_scopes(Session):
    counts = import_roster(Session, DEMO, CATEGORIES)
    assert (counts["townships created"], counts["villages created"], counts["cadres created"]) == (2, 5, 15)
    with Session() as session:
        villages = {(v.township.name, v.name): v for v in session.scalars(select(Village))}
        shared = villages[("青山镇", "上坪村")].team
        assert shared.leader.name == "陈组长" and shared.leader.role == "leader"
        assert villages[("青山镇", "东山村")].team is shared  # one leader, two villages, one team
        assert {(m.cadre.name, m.auxiliary) for m in shared.memberships} == {
            ("黄干部", False), ("周干部", False), ("吴主任", True), ("郑书记", True)}
        assert villages[("白水街道", "云岭村")].remote and str(villages[("白水街道", "云岭村")].anchor) == "2026-11-17"
        assert villages[("青山镇", "上坪村")].aliases == ["上坪", "上坪村委"]
    secretary = cadre(Session, "林书记")
    assert (secretary.role, secretary.township_id is not None) == ("secretary", True)
    assert (cadre(Session, "郭督查").role, cadre(Session, "郭督查").county) == ("supervisor", "南岭县")
    assert cadre(Session, "马管理员").role == "admin"
    assert cadre(Session, "周干部").wecom_userid == "zhou.gb"
    assert cadre(Session, "黄干部").categories == ["农业生产", "土地纠纷"]


def test_second_import_changes_nothing(Session):
    import_roster(Session, DEMO, CATEGORIES)
    before = exported(Session)
    assert +import_roster(Session, DEMO, CATEGORIES) == {}
    assert exported(Session) == before
    assert count(Session, Cadre) == 15 and count(Session, Team) == 4


def test_yaml_round_trip(Session, tmp_path):
    import_roster(Session, DEMO, CATEGORIES)
    first = tmp_path / "export.yaml"
    with Session() as session:
        write_roster(export_roster(session), first)
    assert +import_roster(Session, first, CATEGORIES) == {}  # the export describes exactly what is stored
    other = fresh_sqlite(tmp_path, "other.sqlite3")
    import_roster(other, first, CATEGORIES)
    assert exported(other) == exported(Session)


def test_xlsx_round_trip(Session, tmp_path):
    import_roster(Session, DEMO, CATEGORIES)
    sheet = tmp_path / "export.xlsx"
    with Session() as session:
        rows = export_roster(session)
    write_roster(rows, sheet)
    assert openpyxl.load_workbook(sheet).sheetnames == ["townships", "villages", "cadres"]
    assert read_roster(sheet, CATEGORIES) == rows
    assert +import_roster(Session, sheet, CATEGORIES) == {}
    other = fresh_sqlite(tmp_path, "other.sqlite3")
    import_roster(other, sheet, CATEGORIES)
    assert exported(other) == exported(Session)


def test_missing_cadre_is_deactivated_not_deleted_and_comes_back(Session, tmp_path):
    import_roster(Session, DEMO, CATEGORIES)
    data = demo_dict()
    river = data["townships"][0]["villages"][2]
    assert river["name"] == "河口社区"
    river["team"]["members"] = []
    counts = import_roster(Session, write_yaml(tmp_path, data), CATEGORIES)
    assert counts["cadres deactivated"] == 1 and counts["memberships removed"] == 1
    gone = cadre(Session, "赵干部")
    assert gone is not None and not gone.active
    assert count(Session, Cadre) == 15
    assert "赵干部" not in str(exported(Session))
    assert import_roster(Session, DEMO, CATEGORIES)["cadres updated"] == 1
    assert cadre(Session, "赵干部").active


def test_changes_are_updates_and_a_dropped_village_is_detached(Session, tmp_path):
    import_roster(Session, DEMO, CATEGORIES)
    data = demo_dict()
    data["townships"][0]["station_day"] = {"weekday": 4, "half": "morning"}
    data["townships"][1]["villages"].pop()  # 云岭村
    data["townships"][1]["villages"][0]["team"]["leader"]["position"] = "街道办副主任"
    counts = import_roster(Session, write_yaml(tmp_path, data), CATEGORIES)
    assert counts["townships updated"] == 1 and counts["cadres updated"] == 1
    assert counts["villages detached (not in file)"] == 1 and counts["cadres deactivated"] == 2
    with Session() as session:
        town = session.scalar(select(Township).where(Township.name == "青山镇"))
        assert (town.station_weekday, town.station_half) == (4, "morning")
        cloud = session.scalar(select(Village).where(Village.name == "云岭村"))
        assert cloud is not None and cloud.team_id is None
    assert "云岭村" not in str(exported(Session))


def test_township_codes_are_derived_once_and_kept(Session, tmp_path):
    data = demo_dict()
    for town in data["townships"]:
        del town["code"]
    path = write_yaml(tmp_path, data)
    import_roster(Session, path, CATEGORIES)
    with Session() as session:
        codes = dict(session.execute(select(Township.name, Township.code)).tuples().all())
    assert codes == {"青山镇": "QSZ", "白水街道": "BSJD"}  # pinyin initials
    data["townships"].reverse()  # order no longer matters once codes are stored
    assert +import_roster(Session, write_yaml(tmp_path, data), CATEGORIES) == {}


def test_townships_with_the_same_initials_get_unique_codes_shown_on_import(cli_env, tmp_path):
    data = demo_dict()
    for town, name in zip(data["townships"], ("白石镇", "百善镇")):
        del town["code"]
        town["name"] = name
    result = cli_env.invoke(cli, ["roster", "import", str(write_yaml(tmp_path, data))])
    assert result.exit_code == 0, result.output
    assert "case numbers: 白石镇 BSZ-…, 百善镇 BSZ2-…" in result.output


BAD_YAML = [
    (lambda d: d["townships"][0]["villages"][0]["team"]["leader"].pop("phone"),
     "townships[0].villages[0].team.leader (line", "field phone: is required"),
    (lambda d: d["townships"][0]["villages"][0]["team"]["members"][1].update(phone="12345"),
     "townships[0].villages[0].team.members[1] (line", "field phone: '12345' is not a phone number"),
    (lambda d: d["townships"][1].update(station_day={"weekday": 8}), "townships[1] (line", "field weekday"),
    (lambda d: d["townships"][1].update(station_day={"weekday": 2, "half": "evening"}), "townships[1] (line", "field half"),
    (lambda d: d["townships"][1]["villages"][1].update(remote="maybe"), "townships[1].villages[1] (line", "field remote"),
    (lambda d: d["townships"][1]["villages"][1].update(anchor="2026-13-01"), "townships[1].villages[1] (line", "field anchor"),
    (lambda d: d["townships"][0]["villages"][2].update(plase="x"), "townships[0].villages[2] (line", "field plase: is not a known field"),
    (lambda d: d["townships"][0].pop("county"), "townships[0] (line", "field county: is required"),
    (lambda d: d["townships"][0]["villages"].append(dict(d["townships"][0]["villages"][0])),
     "townships[0].villages[3] (line", "field name: village 上坪村 appears twice"),
    (lambda d: d["townships"][1]["villages"][0]["team"]["leader"].update(phone="13900000002"),
     "townships[1].villages[0].team.leader (line", "field phone: 13900000002 is also given to 陈组长"),
    (lambda d: d["townships"][1]["villages"][1].pop("team"), "townships[1].villages[1] (line", "field team.leader"),
    (lambda d: d["townships"][1].update(code="QS"), "townships[1] (line", "field code: code QS is already used by 青山镇"),
    (lambda d: d["supervisors"][0].pop("county"), "supervisors[0] (line", "field county: is required"),
    (lambda d: d["townships"][0]["villages"][0]["team"]["members"][0].update(categories=["天气"]),
     "townships[0].villages[0].team.members[0] (line", "field categories: 天气 not in config.yaml's categories"),
]


@pytest.mark.parametrize("spoil, where, problem", BAD_YAML, ids=lambda v: v if isinstance(v, str) else "")
def test_bad_yaml_row_is_named_and_nothing_is_applied(Session, tmp_path, spoil, where, problem):
    import_roster(Session, DEMO, CATEGORIES)
    before = exported(Session)
    data = demo_dict()
    data["townships"][0]["station_day"]["weekday"] = 5  # a good change that must not be applied either
    spoil(data)
    with pytest.raises(RosterError) as raised:
        import_roster(Session, write_yaml(tmp_path, data, "bad.yaml"), CATEGORIES)
    assert any(line.startswith(f"bad.yaml: {where}") and problem in line for line in raised.value.errors), raised.value.errors
    assert exported(Session) == before


def test_broken_yaml_names_the_line(Session, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("townships:\n  - name: [unclosed\n", encoding="utf-8")
    with pytest.raises(RosterError, match=r"broken.yaml: line \d+: not valid YAML"):
        import_roster(Session, path, CATEGORIES)


def spoil_xlsx(path: Path, sheet: str, cell: str, value) -> None:
    book = openpyxl.load_workbook(path)
    book[sheet][cell] = value
    book.save(path)


BAD_XLSX = [
    ("cadres", "G3", "abc", "sheet cadres, row 3, field phone: 'abc' is not a phone number"),
    ("cadres", "A4", "boss", "sheet cadres, row 4, field role: 'boss' must be one of"),
    ("cadres", "E2", None, "sheet cadres, row 2, field name: is required"),
    ("villages", "B3", "火星镇", "sheet villages, row 3, field township: township 火星镇 (南岭县) is not in the file"),
    ("villages", "F2", "也许", "sheet villages, row 2, field remote"),
    ("townships", "D2", "Tuesday", "sheet townships, row 2, field weekday"),
    ("townships", "F1", "colour", "sheet townships, row 1, field colour: is not a known column"),
]


@pytest.mark.parametrize("sheet, cell, value, problem", BAD_XLSX, ids=lambda v: v if isinstance(v, str) else "")
def test_bad_xlsx_cell_is_named_and_nothing_is_applied(Session, tmp_path, sheet, cell, value, problem):
    import_roster(Session, DEMO, CATEGORIES)
    before = exported(Session)
    path = tmp_path / "bad.xlsx"
    with Session() as session:
        write_roster(export_roster(session), path)
    spoil_xlsx(path, sheet, cell, value)
    with pytest.raises(RosterError) as raised:
        import_roster(Session, path, CATEGORIES)
    assert any(line.startswith("bad.xlsx: ") and problem in line for line in raised.value.errors), raised.value.errors
    assert exported(Session) == before


def test_xlsx_second_leader_and_missing_sheet(Session, tmp_path):
    path = tmp_path / "r.xlsx"
    write_roster(read_roster(DEMO, CATEGORIES), path)
    book = openpyxl.load_workbook(path)
    cadres = book["cadres"]
    cadres.append(["leader", "南岭县", "青山镇", "河口社区", "另一组长", "", "13900000099", "", "", ""])
    book.save(path)
    with pytest.raises(RosterError, match=r"sheet cadres, row \d+, field role: village 河口社区 already has a leader"):
        import_roster(Session, path, CATEGORIES)
    del book["villages"]
    book.save(path)
    with pytest.raises(RosterError, match="sheet villages is missing"):
        import_roster(Session, path, CATEGORIES)
    assert count(Session, Village) == 0


def test_generated_roster_imports_twice_without_changes(Session, tmp_path):
    rows = generate(townships=4, villages=50)
    path = tmp_path / "generated.yaml"
    write_roster(rows, path)
    first = import_roster(Session, path, CATEGORIES)
    assert (first["townships created"], first["villages created"]) == (4, 50)
    assert first["cadres created"] == len({p.phone for p in rows.people})
    assert +import_roster(Session, path, CATEGORIES) == {}
    assert count(Session, Membership) == first["memberships created"]


@pytest.fixture
def cli_env(monkeypatch, settings_overrides):
    """The environment a CLI run sees: the test database and Redis."""
    for name, value in settings_overrides.items():
        monkeypatch.setenv(name, value)
    return CliRunner()


def test_cli_import_export_and_errors(cli_env, tmp_path, Session):
    result = cli_env.invoke(cli, ["roster", "import", str(DEMO)])
    assert result.exit_code == 0, result.output
    assert "villages created: 5" in result.output
    assert "no changes" in cli_env.invoke(cli, ["roster", "import", str(DEMO)]).output
    out = tmp_path / "out.xlsx"
    assert cli_env.invoke(cli, ["roster", "export", str(out)]).exit_code == 0
    with Session() as session:
        assert read_roster(out, CATEGORIES) == export_roster(session)
    bad = write_yaml(tmp_path, {"townships": [{"name": "镇", "county": "县", "station_day": {"weekday": 9}}]})
    result = cli_env.invoke(cli, ["roster", "import", str(bad)])
    assert result.exit_code == 1 and "field weekday" in result.output and "nothing was imported" in result.output


def test_cli_generate(cli_env, tmp_path):
    path = tmp_path / "g.xlsx"
    result = cli_env.invoke(cli, ["roster", "generate", "--townships", "3", "--villages", "20", str(path)])
    assert result.exit_code == 0, result.output
    assert len(read_roster(path, CATEGORIES).villages) == 20
