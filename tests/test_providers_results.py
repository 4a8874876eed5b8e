# SPDX-License-Identifier: GPL-3.0-or-later
"""Safe handling of downloaded results and the small parsing helpers of the HTTP layer."""

from __future__ import annotations

import email.utils
import stat
import struct
import time
import zipfile

import pytest
from fakes.payloads import HTML, make_glb, make_stl, make_zip

from figurine_forge.core.errors import BadInputError, RemoteError
from figurine_forge.core.providers.base import OptionSpec, progress_fraction
from figurine_forge.core.providers.http import error_detail, parse_retry_after
from figurine_forge.core.providers.results import (check_member_name, pick_mesh, safe_extract, store_result,
                                                   validate_mesh)

CAP = 10 * 1024 * 1024


def _raw(tmp_path, data: bytes):
    raw = tmp_path / "download.bin"
    raw.write_bytes(data)
    return raw


def test_glb_is_kept_under_its_sniffed_format(tmp_path):
    mesh, fmt = store_result(_raw(tmp_path, make_glb()), tmp_path, label="X", max_bytes=CAP, max_entries=10)
    assert fmt == "glb" and mesh.name == "model.glb" and mesh.read_bytes() == make_glb()


def test_stl_result(tmp_path):
    mesh, fmt = store_result(_raw(tmp_path, make_stl()), tmp_path, label="X", max_bytes=CAP, max_entries=10)
    assert fmt == "stl" and mesh.name == "model.stl"


@pytest.mark.parametrize("data, what", [(HTML, "HTML"), (b'{"error": "expired"}', "JSON"),
                                        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "image"), (b"\x01" * 100, "unknown")])
def test_non_mesh_results_are_described(tmp_path, data, what):
    with pytest.raises(RemoteError, match=what):
        store_result(_raw(tmp_path, data), tmp_path, label="X", max_bytes=CAP, max_entries=10)


def test_glb_checks(tmp_path):
    good = make_glb()
    path = tmp_path / "m.glb"
    for data, message in [(good[:16], "truncated"), (good[:-8], "truncated"),
                          (good[:4] + struct.pack("<I", 1) + good[8:], "version 1"),
                          (good[:16] + b"BIN\0" + good[20:], "no valid JSON chunk")]:
        path.write_bytes(data)
        with pytest.raises(RemoteError, match=message):
            validate_mesh(path, "glb", label="X")
    path.write_bytes(good)
    validate_mesh(path, "glb", label="X")


@pytest.mark.parametrize("name", ["../x.glb", "a/../../x.glb", "/etc/x.glb", "C:/x.glb", "..\\x.glb", "a\x00b"])
def test_escaping_member_names_are_refused(name):
    with pytest.raises(RemoteError):
        check_member_name(name)


def test_ordinary_member_names_pass():
    assert check_member_name("out/model.glb").parts == ("out", "model.glb")
    assert check_member_name("model..v2.glb").name == "model..v2.glb"


def test_zip_entry_count_cap(tmp_path):
    archive = _raw(tmp_path, make_zip({f"f{i}.txt": b"x" for i in range(30)}))
    with pytest.raises(RemoteError, match="30 entries"):
        safe_extract(archive, tmp_path / "out", label="X", max_bytes=CAP, max_entries=20)
    assert not (tmp_path / "out").exists()


def test_zip_bomb_is_stopped_while_reading(tmp_path):
    # 20 MB of zeros compresses to ~20 KB; the cap is enforced on what is read, not on headers.
    archive = _raw(tmp_path, make_zip({"model.glb": b"\0" * (20 * 1024 * 1024)}))
    assert archive.stat().st_size < 100_000
    with pytest.raises(RemoteError, match="more than the 1 MB limit"):
        safe_extract(archive, tmp_path / "out", label="X", max_bytes=1024 * 1024, max_entries=20)
    leftovers = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert leftovers == []


def test_zip_symlink_entry_is_refused(tmp_path):
    info = zipfile.ZipInfo("link.glb")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, "/etc/passwd")
        zf.writestr("model.glb", make_glb())
    with pytest.raises(RemoteError, match="link"):
        safe_extract(path, tmp_path / "out", label="X", max_bytes=CAP, max_entries=20)


def test_damaged_zip_says_download_again(tmp_path):
    data = make_zip({"model.glb": make_glb()})
    with pytest.raises(RemoteError, match="damaged"):
        store_result(_raw(tmp_path, data[:60]), tmp_path, label="X", max_bytes=CAP, max_entries=20)


def test_pick_prefers_glb_and_ignores_names(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "model.obj").write_bytes(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    (tmp_path / "a" / "mesh.bin").write_bytes(make_glb())  # a GLB with a misleading name
    (tmp_path / "a" / "fake.glb").write_bytes(HTML)
    path, fmt = pick_mesh(tmp_path, label="X")
    assert (path.name, fmt) == ("mesh.bin", "glb")


def test_archive_without_mesh(tmp_path):
    archive = _raw(tmp_path, make_zip({"readme.txt": b"hello", "img.png": b"\x89PNG\r\n\x1a\n"}))
    with pytest.raises(RemoteError, match="holds no mesh"):
        store_result(archive, tmp_path, label="X", max_bytes=CAP, max_entries=20)


def test_retry_after_forms():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 120, usegmt=True)
    assert 100 < parse_retry_after(later) <= 121
    past = email.utils.formatdate(time.time() - 120, usegmt=True)
    assert parse_retry_after(past) == 0.0


def test_error_detail_shapes():
    assert error_detail({"detail": "bad key"}) == "bad key"
    assert error_detail({"message": "no credits", "code": 2010}) == "no credits"
    assert error_detail({"detail": [{"loc": ["body"], "msg": "field required"}]}) == "field required"
    assert error_detail({"error": {"message": "quota"}}) == "quota"
    assert error_detail(None, "<!DOCTYPE html><html>") == "an HTML page instead of an API answer"
    assert len(error_detail(None, "x" * 1000)) <= 200


def test_option_parsing():
    n = OptionSpec("n", "int", 5, "count", minimum=1, maximum=10)
    assert n.parse("7") == 7 and n.parse(3) == 3 and n.parse("1_0") == 10
    for bad in ("0", "11", "seven", 2.5, True):
        with pytest.raises(BadInputError):
            n.parse(bad)
    b = OptionSpec("b", "bool", False, "flag")
    assert b.parse("yes") is True and b.parse("off") is False and b.parse(True) is True
    with pytest.raises(BadInputError):
        b.parse("maybe")
    c = OptionSpec("c", "choice", "A", "pick", choices=("Alpha", "Beta"))
    assert c.parse("beta") == "Beta"
    with pytest.raises(BadInputError, match="not one of"):
        c.parse("gamma")
    f = OptionSpec("f", "float", 1.0, "scale", minimum=0.0, maximum=2.0)
    assert f.parse("1.5") == 1.5
    with pytest.raises(BadInputError):
        f.parse("3")


def test_progress_fraction():
    assert progress_fraction(50) == 0.5 and progress_fraction("100") == 1.0
    assert progress_fraction(None) is None and progress_fraction("x") is None
    assert progress_fraction(float("nan")) is None and progress_fraction(150) == 1.0
