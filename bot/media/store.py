"""Where attachments are kept: a folder under the instance, or an S3-compatible bucket."""
import re
from pathlib import Path

SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,254}")


def _checked(key: str) -> str:
    """Refuse keys that could leave the store's folder (the store makes every key itself)."""
    if not SAFE_KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"unsafe media key {key!r}")
    return key


class LocalStore:
    """Files under a folder (default ``instance/media``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write the file (atomically: a reader never sees half of it)."""
        path = self.root / _checked(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        partial.replace(path)

    def get(self, key: str) -> bytes:
        """The file's bytes; FileNotFoundError when it is not there."""
        return (self.root / _checked(key)).read_bytes()


class S3Store:
    """Objects in an S3-compatible bucket, through boto3 (credentials from the usual AWS variables)."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, client=None) -> None:
        import boto3

        self.bucket = bucket
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Upload the object."""
        self.client.put_object(Bucket=self.bucket, Key=_checked(key), Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        """The object's bytes; FileNotFoundError when it is not there."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=_checked(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None


def media_store(runtime):
    """The process's store (runtime.media_store, built on first use)."""
    return runtime.media_store


def build_store(settings):
    """The store the settings name: an S3 bucket if one is configured, else files under instance/."""
    if settings.media_s3_bucket:
        return S3Store(settings.media_s3_bucket, settings.media_s3_endpoint_url)
    return LocalStore(settings.instance_path / "media")
