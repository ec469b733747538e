"""Residents' photos, voice and locations: copied out of WeChat into the media store, shown to cadres."""
import io
import re
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws
from PIL import Image
from sqlalchemy import select

from bot.media import download
from bot.media.store import LocalStore, S3Store, media_store
from models import Case, CaseEvent, MediaFile, utcnow
from tests.dialog import Chat
from tests.pushes import roster, write_config

SECRET = "test-secret-key-0123456789abcdef"
LEADER = "o-13800000001"
RESIDENT = "o-resident-0"


@pytest.fixture
def settings_overrides(settings_overrides, fake, own_redis, tmp_path):
    """The fake WeChat API, our own Redis, and the dashboard on (links are signed with its key)."""
    return {**settings_overrides, "WECHAT_API_BASE_URL": fake.url, "REDIS_URL": own_redis.url,
            "BOT_CONFIG": write_config(tmp_path), "DASHBOARD_SECRET_KEY": SECRET}


@pytest.fixture
def chat(runtime):
    with runtime.Session.begin() as session:
        roster(session)
    return Chat(runtime, utcnow())


def jpeg(color=(200, 120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return buffer.getvalue()


def download_due(runtime, now=None) -> list[str | None]:
    """Claim what is due and download it in this process (no queue); the new states."""
    now = now or utcnow()
    with runtime.Session.begin() as session:
        claims = download.claim(session, now, runtime.config["media"])
    return [download.fetch(runtime, file_id, attempt, now) for file_id, attempt in claims]


def the_case(runtime) -> Case:
    with runtime.Session() as session:
        return session.scalars(select(Case)).one()


def files(runtime) -> list[MediaFile]:
    with runtime.Session() as session:
        return list(session.scalars(select(MediaFile).order_by(MediaFile.id)))


def test_a_photo_is_stored_and_detail_links_to_it(chat, runtime, fake, app):
    photo = jpeg()
    chat.say(RESIDENT, "村口的路灯坏了好几天，晚上很黑")
    media_id = fake.add_media(photo, "image/jpeg")
    chat.send(RESIDENT, "image", media_id=media_id)
    chat.send(RESIDENT, "location", latitude=22.52, longitude=113.03, label="龙湾村村口")
    [row] = files(runtime)
    assert (row.kind, row.state, row.media_id) == ("photo", "pending", media_id)
    number = the_case(runtime).number
    assert "正在保存" in chat.say(LEADER, f"详情 {number}")

    assert download_due(runtime) == ["stored"]
    [row] = files(runtime)
    assert row.content_type == "image/jpeg" and row.size == len(photo) and row.key.endswith(".jpg")
    assert media_store(runtime).get(row.key) == photo
    assert (runtime.settings.instance_path / "media" / row.key).read_bytes() == photo

    detail = chat.say(LEADER, f"详情 {number}")
    link = re.search(r"照片：(\S+)", detail).group(1)
    assert "位置：龙湾村村口 https://uri.amap.com/marker?position=113.03,22.52" in detail
    answer = app.test_client().get(link)
    assert answer.status_code == 200 and answer.data == photo and answer.mimetype == "image/jpeg"
    assert app.test_client().get(link[:-3] + "abc").status_code == 404  # a forged token opens nothing


def test_voice_is_stored_as_amr(chat, runtime, fake):
    amr = b"#!AMR\n" + bytes(200)
    media_id = fake.add_media(amr, "audio/amr", kind="voice")
    chat.send(RESIDENT, "voice", media_id=media_id, text="村里的垃圾好几天没人清运了")
    assert download_due(runtime) == ["stored"]
    [row] = files(runtime)
    assert row.kind == "voice" and row.key.endswith(".amr") and media_store(runtime).get(row.key) == amr


def test_a_failed_download_is_retried(chat, runtime, fake):
    media_id = fake.add_media(jpeg(), "image/jpeg")
    chat.send(RESIDENT, "image", media_id=media_id)
    fake.fail(500, times=1, path="media/get")
    assert download_due(runtime) == ["pending"]
    [row] = files(runtime)
    assert row.attempts == 1 and "500" in row.last_error and row.next_attempt_at > utcnow()
    assert download_due(runtime) == []  # not before its retry time
    assert download_due(runtime, row.next_attempt_at + timedelta(seconds=1)) == ["stored"]


def test_a_download_that_never_succeeds_is_a_ledger_entry(chat, runtime, fake):
    chat.send(RESIDENT, "image", media_id="EXPIRED_MEDIA_ID")  # WeChat answers 40007 invalid media_id
    now, states = utcnow(), []
    for _ in range(runtime.config["media"]["max_attempts"] + 2):
        states += download_due(runtime, now)
        now += timedelta(hours=2)
    assert states[-1] == "failed" and states.count("failed") == 1
    [row] = files(runtime)
    assert "40007" in row.last_error
    with runtime.Session() as session:
        [event] = session.scalars(select(CaseEvent).where(CaseEvent.action == "media_failed")).all()
        assert event.actor_kind == "system" and event.data["kind"] == "photo" and "40007" in event.note
    assert "保存失败" in chat.say(LEADER, f"详情 {the_case(runtime).number}")


def test_no_retry_after_wechat_deleted_the_file(chat, runtime, fake):
    chat.send(RESIDENT, "image", media_id="GONE")
    late = utcnow() + timedelta(hours=runtime.config["media"]["lifetime_hours"])
    assert download_due(runtime, late) == ["failed"]


def test_the_s3_store_round_trip():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="case-media")
        store = S3Store("case-media", client=client)
        store.put("JH-2026-00001/1-photo.jpg", b"jpeg bytes", "image/jpeg")
        assert store.get("JH-2026-00001/1-photo.jpg") == b"jpeg bytes"
        head = client.head_object(Bucket="case-media", Key="JH-2026-00001/1-photo.jpg")
        assert head["ContentType"] == "image/jpeg"
        with pytest.raises(FileNotFoundError):
            store.get("JH-2026-00001/2-photo.jpg")


def test_keys_never_leave_the_store(tmp_path):
    store = LocalStore(tmp_path / "media")
    for key in ("../escape.jpg", "/etc/passwd", "a/../../b"):
        with pytest.raises(ValueError):
            store.put(key, b"x", "image/jpeg")


def test_the_relay_queues_downloads_and_the_worker_stores_them(chat, runtime, fake, app):
    from bot.delivery.jobs import run_worker
    from bot.delivery.relay import relay_job

    photo = jpeg((10, 90, 200))
    chat.send(RESIDENT, "image", media_id=fake.add_media(photo, "image/jpeg"))
    with app.app_context():
        relay_job()  # what the kick after each message and the scheduler run
    assert files(runtime)[0].state == "fetching"
    run_worker(app, burst=True)
    [row] = files(runtime)
    assert row.state == "stored" and media_store(runtime).get(row.key) == photo


def test_with_a_bucket_configured_files_go_to_s3(chat, runtime, fake, app):
    photo = jpeg((0, 128, 0))
    from dataclasses import replace

    runtime.settings = replace(runtime.settings, media_s3_bucket="case-media")  # as MEDIA_S3_BUCKET would
    vars(runtime).pop("media_store", None)  # built again from the new settings
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="case-media")
        chat.send(RESIDENT, "image", media_id=fake.add_media(photo, "image/jpeg"))
        assert download_due(runtime) == ["stored"]
        [row] = files(runtime)
        store = media_store(runtime)
        assert isinstance(store, S3Store) and store.get(row.key) == photo
        answer = boto3.client("s3", region_name="us-east-1").get_object(Bucket="case-media", Key=row.key)
        assert answer["Body"].read() == photo and answer["ContentType"] == "image/jpeg"
        assert not (runtime.settings.instance_path / "media").exists()


def test_a_video_is_fetched_by_the_link_wechat_gives(chat, runtime, fake):
    mp4 = b"\x00\x00\x00\x18ftypmp42" + bytes(100)
    chat.send(RESIDENT, "video", media_id=fake.add_media(mp4, "video/mp4", kind="video"))
    assert download_due(runtime) == ["stored"]
    [row] = files(runtime)
    assert row.kind == "video" and row.key.endswith(".mp4") and media_store(runtime).get(row.key) == mp4
    assert [r["path"] for r in fake.messages(path="media/get")] == ["/cgi-bin/media/get"]


def test_a_file_of_an_unexpected_type_is_only_ever_a_download(chat, runtime, fake, app):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    chat.send(RESIDENT, "image", media_id=fake.add_media(svg, "image/svg+xml"))
    assert download_due(runtime) == ["stored"]
    chat.say(RESIDENT, "村口的路灯坏了好几天")
    link = re.search(r"照片：(\S+)", chat.say(LEADER, f"详情 {the_case(runtime).number}")).group(1)
    answer = app.test_client().get(link)
    assert answer.mimetype == "application/octet-stream" and answer.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in answer.headers["Content-Security-Policy"]


def test_a_lost_attachment_of_a_closed_case_is_recorded_too(chat, runtime, fake):
    chat.send(RESIDENT, "image", media_id="GONE_AFTER_CLOSING")
    with runtime.Session.begin() as session:
        session.scalars(select(Case)).one().state = "resolved"
    late = utcnow() + timedelta(hours=runtime.config["media"]["lifetime_hours"])
    assert download_due(runtime, late) == ["failed"]
    with runtime.Session() as session:
        event = session.scalar(select(CaseEvent).where(CaseEvent.action == "media_failed"))
        assert (event.from_state, event.to_state) == ("resolved", "resolved")


def test_a_co_reporters_voice_joins_the_case_with_its_recording(chat, runtime, fake):
    chat.say(RESIDENT, "村口的路灯坏了好几天，晚上很黑")
    chat.tick(minutes=10)
    amr = b"#!AMR\n" + bytes(40)
    chat.send("o-resident-1", "voice", media_id=fake.add_media(amr, "audio/amr", kind="voice"),
              text="村口的路灯坏了好几天，晚上很黑")
    chat.say("o-resident-1", "是")  # the co-report offer, accepted
    case = the_case(runtime)
    assert case.reporters == 2 and [m["kind"] for m in case.media] == ["voice"]
    assert download_due(runtime, chat.now) == ["stored"] and files(runtime)[0].case_id == case.id
    with runtime.Session() as session:
        actions = [e.action for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                                     .order_by(CaseEvent.id))]
    assert actions[-2:] == ["co_report", "supplement"]  # the recording is on the ledger too
