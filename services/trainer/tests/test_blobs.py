"""Both blob stores, file:// and s3://, behave the same: streamed transfers, small records, listings, missing blobs.

The s3:// cases run against the test stack's own S3 server (SeaweedFS, started by `npm test` with BLOB_STORE_URL and
the AWS variables in the environment); each test writes under a prefix of its own.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import pytest

from dpsynth_trainer import blobs
from dpsynth_trainer.blobs import (
    MissingBlobError,
    S3Settings,
    download,
    download_if_exists,
    join_uri,
    list_names,
    read_bytes,
    read_if_exists,
    s3_settings,
    upload,
    write_bytes,
)
from dpsynth_trainer.errors import BadInputError

S3_URL = os.environ.get("BLOB_STORE_URL", "")
needs_s3 = pytest.mark.skipif(
    not S3_URL.startswith("s3://"), reason="needs an s3:// BLOB_STORE_URL (the test stack's SeaweedFS)"
)


def s3_prefix() -> str:
    """A fresh folder of this test in the configured bucket."""
    return join_uri(S3_URL, f"pytest-{secrets.token_hex(6)}")


@pytest.fixture(params=["file", pytest.param("s3", marks=needs_s3)])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return (tmp_path / "store").as_uri() if request.param == "file" else s3_prefix()


def test_a_large_file_streams_in_and_out_whole_with_its_size_and_sha256(root: str, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    with open(source, "wb") as handle:  # 17 MiB: three parts of a multipart upload
        for _ in range(17):
            handle.write(secrets.token_bytes(1 << 20))
    expected = hashlib.sha256(source.read_bytes()).hexdigest()

    uri = join_uri(root, "jobs/j1/latest.pt")
    info = upload(source, uri)
    assert (info.uri, info.bytes, info.sha256) == (uri, 17 << 20, expected)
    copy = download(uri, tmp_path / "copy" / "latest.pt")
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == expected


@needs_s3
def test_an_s3_upload_above_one_part_is_a_multipart_upload(tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(secrets.token_bytes(9 << 20))
    uri = join_uri(s3_prefix(), "big.bin")
    upload(source, uri)
    bucket, key = blobs._s3_location(uri)
    etag = blobs._s3_client().head_object(Bucket=bucket, Key=key)["ETag"]
    assert etag.strip('"').endswith("-2")  # S3's ETag of a two-part upload; a single PUT's is a plain MD5


def test_records_are_written_read_and_listed_by_folder(root: str) -> None:
    write_bytes(join_uri(root, "runs/run-b.json"), b'{"b": 2}')
    write_bytes(join_uri(root, "runs/run-a.json"), b'{"a": 1}')
    write_bytes(join_uri(root, "runs/nested/deeper.json"), b"{}")
    write_bytes(join_uri(root, "label-mix.json"), b"{}")
    assert read_if_exists(join_uri(root, "runs/run-a.json")) == b'{"a": 1}'
    assert read_bytes(join_uri(root, "runs/run-b.json")) == b'{"b": 2}'
    write_bytes(join_uri(root, "runs/run-a.json"), b'{"a": 3}')  # rewritten in place
    assert read_bytes(join_uri(root, "runs/run-a.json")) == b'{"a": 3}'
    assert list_names(join_uri(root, "runs")) == ["run-a.json", "run-b.json"]
    assert list_names(join_uri(root, "nothing-here")) == []


def test_a_missing_blob_is_none_where_that_is_asked_and_a_clear_error_elsewhere(root: str, tmp_path: Path) -> None:
    missing = join_uri(root, "datasets/gone/train.csv")
    assert read_if_exists(missing) is None
    assert download_if_exists(missing, tmp_path / "x") is None
    for attempt in (lambda: read_bytes(missing), lambda: download(missing, tmp_path / "y")):
        with pytest.raises(MissingBlobError, match=r"The blob .*datasets/gone/train\.csv does not exist\."):
            attempt()
    assert not MissingBlobError("x").retryable  # the job's input is gone: no retry brings it back


def test_s3_settings_come_from_the_standard_aws_variables() -> None:
    assert s3_settings({"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:8333"}) == S3Settings(
        "http://127.0.0.1:8333", "us-east-1", path_style=True
    )
    assert s3_settings({"AWS_ENDPOINT_URL": "https://s3.internal", "AWS_REGION": "eu-west-1"}) == S3Settings(
        "https://s3.internal", "eu-west-1", path_style=True
    )
    assert s3_settings({"AWS_DEFAULT_REGION": "eu-west-2"}) == S3Settings(None, "eu-west-2", path_style=False)
    assert s3_settings({"AWS_ENDPOINT_URL_S3": "http://x", "DPSYNTH_S3_PATH_STYLE": "false"}).path_style is False
    with pytest.raises(BadInputError, match="AWS_REGION: must be set"):
        s3_settings({})
    with pytest.raises(BadInputError, match="AWS_ENDPOINT_URL_S3: must be an http"):
        s3_settings({"AWS_ENDPOINT_URL_S3": "s3.internal:9000"})
