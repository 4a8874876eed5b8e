# SPDX-License-Identifier: GPL-3.0-or-later
"""Make docs/images/demo.png: the sample views beside clay renders of the reconstruction.

    .venv/bin/python scripts/readme_picture.py SAMPLE_DIR JOB_DIR
"""

import importlib.util
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(sample: Path, job: Path) -> None:
    spec = importlib.util.spec_from_file_location("figurine_forge", REPO / "addon" / "__init__.py",
                                                  submodule_search_locations=[str(REPO / "addon")])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["figurine_forge"] = module
    spec.loader.exec_module(module)
    import bpy
    from PIL import Image

    from figurine_forge.blender import clay, pipeline, render

    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = pipeline.import_mesh_file(job / "figurine.stl")
    clay.apply_clay(obj)
    tile = 256
    with tempfile.TemporaryDirectory() as tmp:
        renders = render.render_views([obj], tmp, views=("front", "left", "three_quarter"), size=tile,
                                      color="SINGLE")
        sheet = Image.new("RGB", (tile * 7, tile), (190, 190, 190))
        for i, view in enumerate(("front", "back", "left", "right")):
            with Image.open(sample / f"{view}.png") as im:
                sheet.paste(im.convert("RGB").resize((tile, tile), Image.Resampling.LANCZOS), (i * tile, 0))
        for i, view in enumerate(("front", "left", "three_quarter")):
            with Image.open(renders[view]) as im:
                sheet.paste(im.convert("RGBA"), ((4 + i) * tile, 0), im.convert("RGBA"))
    out = REPO / "docs" / "images" / "demo.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, optimize=True)
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
