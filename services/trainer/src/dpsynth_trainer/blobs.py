"""Blob URIs: `file:///abs/path`, or `s3://bucket/key` in any S3-compatible store (see `s3_settings`).

Files move as streams: an upload or download of a file never holds it whole in memory (boto3's multipart
transfers above 8 MiB); only the small JSON records and the CSV splits are read into memory.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
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


@dataclass(frozen=True)
class S3Settings:
    """How to reach an `s3://` store, from the standard AWS variables (the web and control read the same)."""

    endpoint: str | None
    region: str
    path_style: bool


def s3_settings(env: Mapping[str, str] = os.environ) -> S3Settings:
    """AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) for a self-hosted server; AWS_REGION (or AWS_DEFAULT_REGION;
    us-east-1 where an endpoint is given, since self-hosted servers ignore it); DPSYNTH_S3_PATH_STYLE (default: on
    exactly when an endpoint is given, as self-hosted servers want). Credentials are boto3's own chain
    (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a role). Errors name the variable, never its value."""
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        name = "AWS_ENDPOINT_URL_S3" if env.get("AWS_ENDPOINT_URL_S3") else "AWS_ENDPOINT_URL"
        raise BadInputError(f"{name}: must be an http:// or https:// URL.")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ("us-east-1" if endpoint else None)
    if region is None:
        raise BadInputError("AWS_REGION: must be set for an s3:// BLOB_STORE_URL on AWS (e.g. eu-west-1).")
    path_style = env.get("DPSYNTH_S3_PATH_STYLE")
    return S3Settings(
        endpoint,
        region,
        path_style.lower() in ("1", "true", "yes", "on") if path_style else endpoint is not None,
    )


@functools.cache
def _client_for(settings: S3Settings) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        s3={"addressing_style": "path" if settings.path_style else "auto"},
        # Checksums only where S3 requires them: not every self-hosted server understands the trailers boto3 adds
        # by default, and artifacts carry their own sha256.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"mode": "standard"},
    )
    return boto3.client("s3", endpoint_url=settings.endpoint, region_name=settings.region, config=config)


def _s3_client() -> Any:
    """One client per process and settings: boto3 clients are thread-safe, and building one takes ~100 ms."""
    return _client_for(s3_settings())


@functools.cache
def _transfer_config() -> Any:
    """Transfers above 8 MiB go as multipart uploads and ranged downloads: streamed, a few parts in memory at once."""
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=8 << 20, max_concurrency=4)


def _s3_location(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def _is_missing(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    codes = ("NoSuchKey", "404", "NotFound")
    return isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in codes


class MissingBlobError(BadInputError):
    """No blob at the URI: a job whose input is gone cannot be trained on, so retrying will not help."""


def _missing(uri: str) -> MissingBlobError:
    return MissingBlobError(f"The blob {uri} does not exist.")


def download(uri: str, dest: Path) -> Path:
    """Copy a blob to a local file (a `file://` blob is copied too, so the caller owns `dest`)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    scheme = urlparse(uri).scheme
    if scheme == "file":
        source = local_path(uri)
        if not source.is_file():
            raise _missing(uri)
        shutil.copyfile(source, dest)
    elif scheme == "s3":
        bucket, key = _s3_location(uri)
        try:
            _s3_client().download_file(bucket, key, str(dest), Config=_transfer_config())
        except Exception as exc:
            if _is_missing(exc):
                raise _missing(uri) from None
            raise
    else:
        raise BadInputError(f"Unsupported blob URI scheme '{scheme}'; use file:/// or s3://.")
    return dest


def download_if_exists(uri: str, dest: Path) -> Path | None:
    """Like `download`, but None when there is no blob at `uri`."""
    try:
        return download(uri, dest)
    except MissingBlobError:
        return None


def read_bytes(uri: str) -> bytes:
    if urlparse(uri).scheme == "file":
        path = local_path(uri)
        if not path.is_file():
            raise _missing(uri)
        return path.read_bytes()
    data = read_if_exists(uri)
    if data is None:
        raise _missing(uri)
    return data


def read_if_exists(uri: str) -> bytes | None:
    """The blob's bytes, or None when there is no blob at `uri`."""
    scheme = urlparse(uri).scheme
    if scheme == "file":
        path = local_path(uri)
        return path.read_bytes() if path.is_file() else None
    if scheme == "s3":
        bucket, key = _s3_location(uri)
        try:
            return _s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:
            if _is_missing(exc):
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
        _s3_client().upload_file(str(path), bucket, key, Config=_transfer_config())
    else:
        raise InternalError(f"Unsupported blob URI scheme '{scheme}' for an artifact.")
    return BlobInfo(uri, size, sha256)
