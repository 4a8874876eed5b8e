# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine edit: one AI edit of a character image through Google's Gemini image model."""

from __future__ import annotations

from ..core.errors import EXIT_OK, BadInputError, OutputError
from .paths import file_output, guard, same_file

NAME = "edit"
HELP = ("Edit a character image with Gemini using a preset (needs --online and GEMINI_API_KEY); the "
        "result is prepared onto flat #BEBEBE and written to --out.")


def add_arguments(p) -> None:
    p.add_argument("image", nargs="?", metavar="IMAGE", help="image to edit (not needed for create-character)")
    p.add_argument("--preset", metavar="NAME", help="preset name (see --list-presets)")
    p.add_argument("--list-presets", action="store_true",
                   help="list the built-in and user presets (name, which view it makes, what it does) and exit")
    p.add_argument("--prompt", metavar="TEXT", help="your text: the description, or an extra instruction")
    p.add_argument("--model", metavar="M", help="Gemini image model (default gemini-2.5-flash-image)")
    p.add_argument("--reference", action="append", default=[], metavar="FILE",
                   help="an extra reference image (repeatable)")
    p.add_argument("--aspect-ratio", metavar="W:H", help="output aspect ratio, e.g. 3:4")
    p.add_argument("--image-size", metavar="1K|2K|4K", help="output size (models that support it)")
    from ..core.images import ALL_VIEW_SLOTS

    p.add_argument("--slot", choices=ALL_VIEW_SLOTS,
                   help="which view the result is (default: from the preset, else front)")
    p.add_argument("--out", metavar="FILE", help="the prepared result (PNG on #BEBEBE); required for an edit")
    p.add_argument("--raw", metavar="FILE", help="also keep the model's image exactly as it came")
    p.add_argument("--job", metavar="DIR", help="keep this edit as a new version in a job folder")
    p.add_argument("--size", type=int, default=1024, metavar="PX", help="prepared image size (default 1024)")
    p.add_argument("--presets-dir", metavar="DIR", help="folder of user presets (default: the user config folder)")
    p.add_argument("--timeout", type=float, default=180.0, metavar="S", help="seconds to wait for Gemini")
    p.add_argument("--force", action="store_true", help="replace --out/--raw if they exist")
    p.add_argument("--online", action="store_true",
                   help="allow network access: the image and prompt are sent to Google")


def execute(args, out) -> int:
    from ..core import atomic, gemini, presets
    from ..core.images import view_name
    from ..core.images.load import load_rgba
    from ..core.images.prepare import prepare_single

    if args.list_presets:
        return _list_presets(args, out)
    if not args.preset:
        raise BadInputError("no preset given", hint="add --preset NAME (figurine edit --list-presets shows them)")
    if not args.out:
        raise BadInputError("no output file given", hint="add --out FILE (the prepared PNG)")
    if not args.online:
        raise BadInputError("AI editing sends the image and prompt to Google and needs network access",
                            hint="add --online to allow it")
    preset = presets.get_preset(args.preset, args.presets_dir)
    if preset.needs_image and not args.image:
        raise BadInputError(f"preset '{preset.name}' edits an image", hint="give the IMAGE to edit")
    inputs = [("IMAGE", args.image)] + [("--reference", r) for r in args.reference]
    guard(inputs, file_output("--out", args.out) + file_output("--raw", args.raw),
          force=args.force)
    if args.raw and same_file(args.raw, args.out):
        raise OutputError(f"--raw and --out are the same file {args.out}", hint="give two different names")
    prompt = preset.render(args.prompt)
    settings = gemini.GeminiSettings(model=args.model or gemini.DEFAULT_MODEL, aspect_ratio=args.aspect_ratio,
                                     image_size=args.image_size, timeout_s=args.timeout)
    slot = args.slot or preset.target_slot or "front"
    image = args.image if preset.needs_image or args.image else None
    out.progress("edit", f"asking {settings.model} ({preset.name})")
    if args.job:
        from ..core.jobstore import Job

        # A view-making preset (rear/left/right view) is given the front; other presets edit the
        # slot's own image. The job files the given image under the view it shows.
        parent_slot = "front" if preset.target_slot not in (None, "front") else slot
        version = gemini.edit_into_job(Job.open(args.job), image, prompt, slot=slot, parent_slot=parent_slot,
                                       preset=preset.name,
                                       references=args.reference, settings=settings, online=True,
                                       size=args.size, progress=lambda m: out.progress("edit", m))
        result, raw_bytes, warnings = version.result, version.image.read_bytes(), version.warnings
        prepared_png = version.prepared.read_bytes()
        step = version.step_index
    else:
        result = gemini.edit_image(image, prompt, references=args.reference, settings=settings, online=True,
                                   progress=lambda m: out.progress("edit", m))
        out.progress("prepare", "matting onto #BEBEBE and framing")
        viewset = prepare_single(load_rgba(result.image, name="Gemini's image"), slot, args.size)
        from ..core.images.load import to_png_bytes

        prepared_png, raw_bytes, warnings = to_png_bytes(viewset.views[slot].rgb), result.image, viewset.warnings
        step = None
    atomic.write_bytes(args.out, prepared_png)
    if args.raw:
        atomic.write_bytes(args.raw, raw_bytes)
    for w in warnings:
        out.warn(w)
    summary = {"ok": True, "out": str(args.out), "raw": args.raw, "slot": slot, "preset": preset.name,
               "model": result.model, "text": result.text, "attempts": result.attempts,
               "warnings": warnings, "job_step": step}
    human = f"wrote {args.out} ({view_name(slot)} view, {result.model})"
    if result.text:
        human += f"\nGemini said: {result.text}"
    out.finish(summary, human)
    return EXIT_OK


def _list_presets(args, out) -> int:
    from ..core import presets

    found = presets.all_presets(args.presets_dir)
    rows: list[dict] = [{"name": p.name, "title": p.title, "makes": p.target_slot or "the same view",
             "needs_image": p.needs_image, "builtin": p.builtin} for p in found.values()]
    width = max((len(p.name) for p in found.values()), default=4)
    human = "\n".join(f"{r['name']:<{width}}  {r['title']} (makes: {r['makes']}"
                      f"{'' if r['builtin'] else ', yours'})" for r in rows)
    out.finish({"ok": True, "presets": rows}, human)
    return EXIT_OK
