"""Settings: config.yaml with the files it includes, and one-line errors naming what is wrong."""
import pytest

from bot.settings import DEFAULT_CONFIG, SettingsError, load_settings, read_config


def test_texts_and_categories_come_from_their_own_files():
    config = read_config({})
    assert "include" not in config
    assert "help" in config["texts"] and "gave_up_unbound" in config["notifications"]["texts"]
    assert "城乡建设" in config["categories"]
    assert config["notifications"]["schedules"], "merging the texts must keep config.yaml's own notifications"


def test_a_copied_config_can_override_an_included_text(tmp_path):
    copy = tmp_path / "config.yaml"
    copy.write_text(DEFAULT_CONFIG.read_text(encoding="utf-8") + "texts:\n  help: 自定义帮助\n", encoding="utf-8")
    config = read_config({"BOT_CONFIG": str(copy)})
    assert config["texts"]["help"] == "自定义帮助"
    assert "help_cadre" in config["texts"], "an override replaces one text, not the whole file"


def test_a_missing_included_file_is_named(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("include: [nowhere/texts.yaml]\nwechat: {}\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="nowhere/texts.yaml"):
        read_config({"BOT_CONFIG": str(config)})


def test_include_must_be_a_list_of_paths(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("include: 3\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="include"):
        read_config({"BOT_CONFIG": str(config)})


def test_an_unknown_holiday_rule_for_station_days_stops_start_up(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("include: [bot/texts.yaml]\nstation_days: {on_holiday: postpone}\n", encoding="utf-8")
    env = {"BOT_CONFIG": str(config), "WECHAT_TOKEN": "abc123", "WECHAT_APP_ID": "wx1234567890",
           "WECHAT_APP_SECRET": "secret123"}
    with pytest.raises(SettingsError, match="station_days.on_holiday .* expected skip, next_working_day or keep"):
        load_settings(env)
