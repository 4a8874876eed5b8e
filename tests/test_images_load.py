# SPDX-License-Identifier: GPL-3.0-or-later
"""Loading character images: formats, modes, EXIF, bombs and non-images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from figurine_forge.core.errors import BadInputError
from figurine_forge.core.images.load import load_rgba


def _pattern(w=40, h=30):
    arr = np.zeros((h, w, 3), np.uint8)
    arr[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None]
    arr[..., 1] = 100
    arr[: h // 2, : w // 2, 2] = 200  # top-left marker, to see rotations
    return arr


@pytest.mark.parametrize("fmt,ext", [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"), ("TIFF", "tif"),
                                     ("BMP", "bmp")])
def test_formats_load_as_float_rgba(tmp_path, fmt, ext):
    path = tmp_path / f"view.{ext}"
    Image.fromarray(_pattern()).save(path, format=fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {}))
    rgba = load_rgba(path)
    assert rgba.shape == (30, 40, 4) and rgba.dtype == np.float32
    assert np.all(rgba[..., 3] == 1.0)
    tol = 12 / 255 if fmt in ("JPEG", "WEBP") else 1e-6
    assert np.abs(rgba[..., :3] - _pattern() / 255.0).mean() < tol


def test_extension_does_not_matter_content_does(tmp_path):
    png_named_jpg = tmp_path / "really_a_png.jpg"
    Image.fromarray(_pattern()).save(png_named_jpg, format="PNG")
    assert load_rgba(png_named_jpg).shape == (30, 40, 4)
    text_named_png = tmp_path / "notes.png"
    text_named_png.write_text("this is not an image\n" * 20)
    with pytest.raises(BadInputError, match="not an image"):
        load_rgba(text_named_png)


def test_unsupported_format_refused_by_content(tmp_path):
    path = tmp_path / "anim.png"  # a GIF with a PNG name
    Image.fromarray(_pattern()).save(path, format="GIF")
    with pytest.raises(BadInputError, match="not an image we can read"):
        load_rgba(path)


def test_truncated_file(tmp_path):
    path = tmp_path / "cut.png"
    Image.fromarray(_pattern(200, 200)).save(path, format="PNG")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInputError, match="damaged"):
        load_rgba(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        load_rgba(tmp_path / "nope.png")
    with pytest.raises(BadInputError, match="is a folder"):
        load_rgba(tmp_path)


def test_modes(tmp_path):
    base = _pattern()
    # palette with a transparent index
    pal = Image.fromarray(base).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    pal.info["transparency"] = 0
    pal.save(tmp_path / "pal.png", transparency=0)
    rgba = load_rgba(tmp_path / "pal.png")
    assert rgba.shape == (30, 40, 4) and (rgba[..., 3] == 0).any() and (rgba[..., 3] == 1).any()
    # grayscale, grayscale + alpha
    Image.fromarray(base[..., 0]).save(tmp_path / "l.png")
    rgba = load_rgba(tmp_path / "l.png")
    assert np.allclose(rgba[..., 0], rgba[..., 2]) and np.allclose(rgba[..., 0], base[..., 0] / 255.0, atol=1e-6)
    la = Image.fromarray(base[..., 0]).convert("LA")
    la.putalpha(Image.fromarray(np.full((30, 40), 128, np.uint8)))
    la.save(tmp_path / "la.png")
    assert np.allclose(load_rgba(tmp_path / "la.png")[..., 3], 128 / 255.0)
    # 16-bit grayscale keeps its full range (not squeezed by its own maximum)
    arr16 = np.full((30, 40), 32768, np.uint16)
    Image.fromarray(arr16).save(tmp_path / "g16.png")
    assert np.allclose(load_rgba(tmp_path / "g16.png")[..., 0], 32768 / 65535.0, atol=1e-4)
    # CMYK JPEG
    Image.fromarray(base).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    cm = load_rgba(tmp_path / "cmyk.jpg")
    assert cm.shape == (30, 40, 4) and np.abs(cm[..., :3] - base / 255.0).mean() < 0.05
    # RGBA
    rgba_in = np.dstack([base, np.full((30, 40), 200, np.uint8)])
    Image.fromarray(rgba_in, "RGBA").save(tmp_path / "rgba.png")
    assert np.allclose(load_rgba(tmp_path / "rgba.png")[..., 3], 200 / 255.0)


def test_exif_orientation_is_applied(tmp_path):
    img = Image.fromarray(_pattern())
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs a 90° clockwise turn
    img.save(tmp_path / "rot.jpg", exif=exif, quality=95)
    rgba = load_rgba(tmp_path / "rot.jpg")
    assert rgba.shape == (40, 30, 4)
    # the blue marker (top-left when stored) is top-right after turning clockwise
    assert rgba[:15, 15:, 2].mean() > rgba[:15, :15, 2].mean() + 0.3


def test_pixel_limit_refused_before_decoding(tmp_path):
    path = tmp_path / "big.png"
    Image.new("1", (9000, 8000)).save(path)  # 72 megapixels, a few kilobytes on disk
    assert path.stat().st_size < 1_000_000
    with pytest.raises(BadInputError, match="megapixel"):
        load_rgba(path)
    small = tmp_path / "small.png"
    Image.fromarray(_pattern(100, 100)).save(small)
    with pytest.raises(BadInputError, match="megapixel"):
        load_rgba(small, max_pixels=5_000)


def test_bytes_input():
    import io

    buf = io.BytesIO()
    Image.fromarray(_pattern()).save(buf, format="PNG")
    assert load_rgba(buf.getvalue()).shape == (30, 40, 4)
    with pytest.raises(BadInputError):
        load_rgba(b"\x89PNG\r\n\x1a\n garbage")


# -- phone photos: read at the size the views need -----------------------------------------------
@pytest.fixture(scope="module")
def phone12(tmp_path_factory):
    """A 12 MP portrait photo stored sideways with EXIF orientation 6, and its figure's mask."""
    from synth_views import phone_photo

    path = tmp_path_factory.mktemp("photo") / "phone.jpg"
    mask = phone_photo(path, 3000, 4000)
    return path, mask


def test_phone_photo_is_decoded_reduced_and_upright(phone12):
    path, mask = phone12
    rgba = load_rgba(path, max_side=1024)
    assert rgba.shape == (1024, 768, 4)  # portrait, as displayed; the long side is the asked one
    # the figure stands: its mask at this size matches the painted one (upright, not sideways)
    from figurine_forge.core.images.matte import subject_matte

    alpha = Image.fromarray((subject_matte(rgba) * 255).astype(np.uint8)).resize(mask.shape[::-1])
    figure, truth = np.asarray(alpha) > 127, mask > 0.5
    assert (figure & truth).sum() / (figure | truth).sum() > 0.9
    assert load_rgba(path).shape == (4000, 3000, 4)  # without max_side: every pixel


def test_reduced_read_of_png_and_alpha(tmp_path):
    rgba = np.zeros((600, 1200, 4), np.uint8)
    rgba[..., 0], rgba[100:500, 300:900, 3] = 200, 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "wide.png")
    small = load_rgba(tmp_path / "wide.png", max_side=300)
    assert small.shape == (150, 300, 4)
    assert small[75, 150, 3] == pytest.approx(1.0) and small[5, 5, 3] == pytest.approx(0.0)
    assert load_rgba(tmp_path / "wide.png", max_side=5000).shape == (600, 1200, 4)  # never enlarged


def test_phone_photo_prepares_in_bounded_memory(phone12):
    """The whole preparation of a 12 MP photo fits in an address space of 450 MB: decoding at full
    size (a 192 MB float image before any matting) does not (it peaked at 671 MB)."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    script = (
        "import resource, sys\n"
        "cap = 450 * 2**20\n"
        "resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
        f"sys.path.insert(0, {str(repo / 'scripts')!r})\n"
        "from figurine import load_package\n"
        "load_package()\n"
        "from figurine_forge.core.images.prepare import prepare_view_set\n"
        f"vs = prepare_view_set({{'front': {str(phone12[0])!r}}}, size=1024)\n"
        "print(vs.views['front'].rgb.shape)\n")
    env = {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "(1024, 1024, 3)"


def test_busy_photo_says_to_use_the_ai_gray_backdrop(tmp_path):
    from synth_views import phone_photo

    from figurine_forge.core.images.prepare import prepare_view_set

    path = tmp_path / "busy.jpg"
    phone_photo(path, 1200, 1600, busy=True)
    with pytest.raises(BadInputError) as err:
        prepare_view_set({"front": path}, size=256)
    assert "separated from the background" in err.value.message and "gray-background" in err.value.hint
