# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine generate: prepare the views, send them to a 3D generator, store the mesh in the job."""

from __future__ import annotations

import contextlib

import os

from ..core.errors import EXIT_OK, BadInputError
from .paths import guard_job_folder, require_images, view_options
from .views import add_view_arguments, view_paths

NAME = "generate"
HELP = ("Generate a 3D model from character views with a provider (3D AI Studio by default; "
        "see `figurine providers`). Remote providers need --online and an API key in the environment.")



def add_arguments(p) -> None:
    p.add_argument("--provider", default=None, metavar="NAME",
                   help="provider name (default: 3daistudio); `figurine providers` lists them")
    add_view_arguments(p)
    p.add_argument("--out", required=True, metavar="JOB_DIR", help="job folder (new, empty, or an earlier job)")
    p.add_argument("--online", action="store_true",
                   help="allow network access (required for every provider but 'local')")
    p.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                   help="provider option, repeatable (e.g. --option face_count=300000)")
    p.add_argument("--size", type=int, default=1024, metavar="PX", help="prepared view size (default 1024)")
    p.add_argument("--fix-facing", action="store_true",
                   help="mirror side views that face the wrong way (as `figurine prepare --fix-facing`)")
    p.add_argument("--ignore-view-check", action="store_true",
                   help="send the views to a paid service even when a side view faces the wrong way "
                        "(by default nothing is sent then)")


def parse_options(items: list[str]) -> dict[str, str]:
    options = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise BadInputError(f"--option {item!r} is not NAME=VALUE", hint="e.g. --option face_count=300000")
        options[name.strip()] = value.strip()
    return options


def execute(args, out) -> int:
    from ..core import providers
    from ..core.images.prepare import prepare_into_job
    from ..core.jobstore import Job
    from ..core.providers.lifecycle import require_network, check_request

    config = providers.ProviderConfig.from_env(online=bool(args.online))
    provider = providers.get_provider(args.provider or providers.DEFAULT_PROVIDER, config)
    paths = view_paths(args)
    require_images(paths)  # the same messages as prepare, before the job folder exists
    guard_job_folder(view_options(paths), args.out)
    # Refuse what cannot work (views, options, network, key) before any slow or paid work.
    check_request(provider, paths, parse_options(args.option))
    if provider.remote:
        require_network(provider)
    options = parse_options(args.option)

    job = Job.open(args.out)
    out.progress("prepare", f"preparing {len(paths)} view(s)")
    inputs, viewset = prepare_into_job(job, paths, size=args.size, fix_facing=args.fix_facing)
    for note in viewset.notes:
        out.warn(note)
    for warning in viewset.warnings:
        out.warn(warning)

    out.progress("generate", f"{provider.label}: {provider.cost_hint(inputs, options)}")
    with contextlib.ExitStack() as stack:
        if not provider.remote:
            # The local reconstruction's final watertight remesh is Blender's (OpenVDB).
            from .blender_host import empty_scene

            stack.enter_context(empty_scene())
            from ..blender.pipeline import finish_reconstruction

            resolution = int(options.get("resolution", 160))
            config.finish = lambda mesh: finish_reconstruction(mesh, resolution)
        result = providers.generate(job, provider.name, viewset, options=options, config=config,
                                    progress=lambda fraction, text: out.progress("generate", text, fraction),
                                    ignore_view_check=args.ignore_view_check)
    for warning in result.warnings:
        out.warn(warning)
    summary = {"ok": True, "job": str(job.root), **result.as_dict(job.root)}
    out.finish(summary, f"{result.latest_path or result.mesh_path} ({result.format.upper()}, {provider.label})")
    return EXIT_OK
