"""Blob URIs: `file:///abs/path` always, `s3://bucket/key` when boto3 is installed."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from .errors import BadInputError, InternalError
from .files import atomic_file, write_atomically


@dataclass(frozen=True)
class BlobInfo:
    uri: str
    bytes: int
    sha256: str


def file_digest(path: Path) -> tuple[int, str]:
    """Size in bytes and hex sha256 of a local file."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def join_uri(prefix: str, name: str) -> str:
    return prefix.rstrip("/") + "/" + name


def local_path(uri: str) -> Path:
    """The filesystem path of a `file://` URI."""
    parsed = urlparse(uri)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        raise BadInputError(f"Expected a file:/// URI, got a '{parsed.scheme}' URI.")
    return Path(unquote(parsed.path))


def _s3_client():
    try:
        import boto3
    except ImportError:
        raise BadInputError(
            "This trainer cannot reach s3:// blobs: boto3 is not installed. Install it in the trainer's "
            "environment or use a file:/// BLOB_STORE_URL."
        ) from None
    return boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)


def _s3_location(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def download(uri: str, dest: Path) -> Path:
    """Copy a blob to a local file (a `file://` blob is copied too, so the caller owns `dest`)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    scheme = urlparse(uri).scheme
    if scheme == "file":
        source = local_path(uri)
        if not source.is_file():
            raise BadInputError(f"The blob {uri} does not exist.")
        shutil.copyfile(source, dest)
    elif scheme == "s3":
        bucket, key = _s3_location(uri)
        _s3_client().download_file(bucket, key, str(dest))
    else:
        raise BadInputError(f"Unsupported blob URI scheme '{scheme}'; use file:/// or s3://.")
    return dest


def read_bytes(uri: str) -> bytes:
    if urlparse(uri).scheme == "file":
        path = local_path(uri)
        if not path.is_file():
            raise BadInputError(f"The blob {uri} does not exist.")
        return path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        return download(uri, Path(tmp) / "blob").read_bytes()


def read_if_exists(uri: str) -> bytes | None:
    """The blob's bytes, or None when there is no blob at `uri`."""
    scheme = urlparse(uri).scheme
    if scheme == "file":
        path = local_path(uri)
        return path.read_bytes() if path.is_file() else None
    if scheme == "s3":
        client = _s3_client()  # first: it says clearly when boto3 is not installed
        from botocore.exceptions import ClientError

        bucket, key = _s3_location(uri)
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
    raise BadInputError(f"Unsupported blob URI scheme '{scheme}'; use file:/// or s3://.")


def write_bytes(uri: str, data: bytes) -> None:
    """Write a small blob durably: for `file://`, fsynced and renamed into place, so a reader sees all or nothing."""
    scheme = urlparse(uri).scheme
    if scheme == "file":
        target = local_path(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data)
    elif scheme == "s3":
        bucket, key = _s3_location(uri)
        _s3_client().put_object(Bucket=bucket, Key=key, Body=data)
    else:
        raise InternalError(f"Unsupported blob URI scheme '{scheme}' for a blob write.")


def list_names(prefix_uri: str) -> list[str]:
    """Names of the blobs directly under `prefix_uri` (a folder), sorted."""
    scheme = urlparse(prefix_uri).scheme
    if scheme == "file":
        directory = local_path(prefix_uri)
        return sorted(p.name for p in directory.iterdir() if p.is_file()) if directory.is_dir() else []
    if scheme == "s3":
        bucket, prefix = _s3_location(prefix_uri.rstrip("/") + "/")
        names: list[str] = []
        for page in _s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            names += [item["Key"][len(prefix) :] for item in page.get("Contents", [])]
        return sorted(names)
    raise BadInputError(f"Unsupported blob URI scheme '{scheme}'; use file:/// or s3://.")


def upload(path: Path, uri: str) -> BlobInfo:
    """Write a local file to a blob URI (atomically for `file://`), returning its size and sha256."""
    size, sha256 = file_digest(path)
    scheme = urlparse(uri).scheme
    if scheme == "file":
        target = local_path(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.resolve() != Path(path).resolve():
            with open(path, "rb") as source, atomic_file(target) as handle:
                shutil.copyfileobj(source, handle)
    elif scheme == "s3":
        bucket, key = _s3_location(uri)
        _s3_client().upload_file(str(path), bucket, key)
    else:
        raise InternalError(f"Unsupported blob URI scheme '{scheme}' for an artifact.")
    return BlobInfo(uri, size, sha256)
