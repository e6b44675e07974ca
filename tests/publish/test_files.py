"""Publishing: the files go into output/ atomically, all or nothing."""

from __future__ import annotations

import os

import pytest

from cv_builder.publish.atomic import atomic_write
from cv_builder.publish.files import publish


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "cv.pdf"
    target.write_bytes(b"old")

    def boom(*a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["cv.pdf"]


def test_publish_writes_all_files(tmp_path):
    publish({tmp_path / "cv.pdf": b"%PDF", tmp_path / "cv.tex": b"\\doc"})
    assert (tmp_path / "cv.pdf").read_bytes() == b"%PDF" and (tmp_path / "cv.tex").read_bytes() == b"\\doc"


def test_publish_is_all_or_nothing_when_one_file_cannot_be_written(tmp_path, monkeypatch):
    import cv_builder.publish.files as pub
    from cv_builder.errors import CVError

    files = {tmp_path / f"f{i}.txt": f"new {i}".encode() for i in range(12)}  # more files than threads
    for path in files:
        path.write_bytes(b"old")
    real = pub._stage

    def stage(path, data, sync=True):
        if path.name == "f9.txt":
            raise OSError(28, "No space left on device")
        return real(path, data, sync)

    monkeypatch.setattr(pub, "_stage", stage)
    with pytest.raises(CVError, match="No space left on device"):
        publish(files)
    assert all(path.read_bytes() == b"old" for path in files)  # none replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([p.name for p in files] + [".cv_builder.lock"])
    monkeypatch.setattr(pub, "_stage", real)
    publish(files)
    assert all(path.read_bytes() == data for path, data in files.items())


def test_publish_interrupted_while_staging_leaves_old_files_and_no_temporaries(tmp_path, monkeypatch):
    import cv_builder.publish.files as pub

    files = {tmp_path / f"f{i}.txt": f"new {i}".encode() for i in range(12)}  # more files than threads
    for path in files:
        path.write_bytes(b"old")
    real = pub._stage

    def stage(path, data, sync=True):  # Ctrl-C arrives while the files are being staged
        if path.name == "f5.txt":
            raise KeyboardInterrupt
        return real(path, data, sync)

    monkeypatch.setattr(pub, "_stage", stage)
    with pytest.raises(KeyboardInterrupt):
        publish(files)
    assert all(path.read_bytes() == b"old" for path in files)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([p.name for p in files] + [".cv_builder.lock"])
