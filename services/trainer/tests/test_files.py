"""The one atomic-write helper: a reader sees the old file or the new one, never a half-written one."""

import os
import stat

import pytest

from dpsynth_trainer.files import atomic_file, write_atomically


def test_a_write_replaces_the_file_whole_and_leaves_no_partial(tmp_path):
    target = tmp_path / "report.json"
    target.write_bytes(b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["report.json"]


def test_a_write_that_fails_midway_keeps_the_old_file(tmp_path):
    target = tmp_path / "latest.pt"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write(b"half")
        raise RuntimeError("killed")
    assert target.read_bytes() == b"old"


def test_a_private_file_is_0600_whatever_the_umask(tmp_path):
    previous = os.umask(0)
    try:
        write_atomically(tmp_path / "progress.json", b"{}", private=True)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "progress.json").stat().st_mode) == 0o600
