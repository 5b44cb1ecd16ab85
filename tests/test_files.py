"""Atomic writes: a reader sees the old file or the new one whole, never half, and failures leave no litter."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tunex_core import files
from tunex_core.files import replace_atomically, write_json_atomically, write_text_atomically


def test_writes_a_new_file_with_the_usual_permissions(tmp_path):
    target = tmp_path / "card.md"
    write_text_atomically(target, "Émotions: joie\n")
    assert target.read_text(encoding="utf-8") == "Émotions: joie\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert sorted(path.name for path in tmp_path.iterdir()) == ["card.md"]


def test_replaces_an_existing_file_and_keeps_its_permissions(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("old")
    target.chmod(0o640)
    write_json_atomically(target, {"accuracy": 0.7069, "name": "ensemble — 3 members"})
    assert json.loads(target.read_text(encoding="utf-8")) == {"accuracy": 0.7069, "name": "ensemble — 3 members"}
    assert target.read_text(encoding="utf-8").endswith("}\n")
    assert "—" in target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    target.write_text('{"kept": true}\n')

    def disk_full(*_arguments):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_json_atomically(target, {"kept": False})
    assert target.read_text() == '{"kept": true}\n'
    assert sorted(path.name for path in tmp_path.iterdir()) == ["metrics.json"]


def test_a_value_json_cannot_hold_is_refused_before_anything_is_written(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text('{"kept": true}\n')
    with pytest.raises(TypeError):
        write_json_atomically(target, {"array": object()})
    assert target.read_text() == '{"kept": true}\n'
    assert sorted(path.name for path in tmp_path.iterdir()) == ["metrics.json"]


def test_binary_streams_are_written_whole_or_not_at_all(tmp_path):
    import numpy as np

    from tunex_core.files import atomic_stream

    target = tmp_path / "targets.npz"
    with atomic_stream(target, "wb") as stream:
        np.savez(stream, targets=np.eye(7, dtype=np.float32))
    with np.load(target) as saved:
        np.testing.assert_array_equal(saved["targets"], np.eye(7))
    with pytest.raises(RuntimeError, match="interrupted"), atomic_stream(target, "wb") as stream:
        stream.write(b"half a file")
        raise RuntimeError("interrupted")
    with np.load(target) as saved:
        np.testing.assert_array_equal(saved["targets"], np.eye(7))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["targets.npz"]
    with pytest.raises(ValueError, match="choose 'w'"), atomic_stream(target, "a"):
        pass


def test_a_file_made_by_another_library_replaces_the_old_one_only_when_whole(tmp_path):
    target = tmp_path / "last.keras"
    target.write_bytes(b"epoch 2")
    target.chmod(0o640)
    seen = []

    def save(path):
        seen.append(path)
        path.write_bytes(b"epoch 3")

    replace_atomically(target, save)
    assert seen[0].suffix == ".keras" and seen[0].parent == tmp_path  # e.g. Keras refuses other suffixes
    assert target.read_bytes() == b"epoch 3" and stat.S_IMODE(target.stat().st_mode) == 0o640

    def killed_while_saving(path):
        path.write_bytes(b"epo")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        replace_atomically(target, killed_while_saving)
    assert target.read_bytes() == b"epoch 3"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["last.keras"]
