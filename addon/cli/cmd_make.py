# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine make: the whole workflow in one command — a prompt, a photo or a front view to a
reviewed, repaired figure on a base (``core.make``); ``figurine resume JOB`` continues it."""

from __future__ import annotations

import argparse

from ..core.errors import EXIT_OK, BadInputError

NAME = "make"
HELP = ("From --prompt TEXT, --photo FILE or --front FILE (+ other views) to a printable figure: Gemini "
        "edits, the missing views drawn and checked, a 3D generator (3D AI Studio, Hunyuan 3.0 multi-view "
        "by default), review, regenerate (--attempts), repair, scale and base. Needs --online.")

_AI_FLAGS = {"cinematic": "restyle as a polished cinematic render",
             "simplify-pose": "simplify the pose for printing",
             "gray-background": "flat #BEBEBE background",
             "round-base": "draw an integrated round base"}


def add_arguments(p) -> None:
    start = p.add_argument_group("start from one of")
    start.add_argument("--prompt", metavar="TEXT", help="describe a character: Gemini draws the front view")
    start.add_argument("--photo", metavar="FILE", help="a photo or picture of the character")
    for slot in ("front", "back", "left", "right"):
        start.add_argument(f"--{slot}", metavar="IMAGE",
                           help=f"your {slot} view" + (" (the others are drawn from it)" if slot == "front" else ""))
    p.add_argument("--out", metavar="JOB_DIR", help="job folder (new or empty)")
    p.add_argument("--resume", metavar="JOB_DIR", help="continue an interrupted make (same as `figurine resume`)")
    p.add_argument("--online", action="store_true", help="allow network access (Gemini and the 3D service)")
    for name, what in _AI_FLAGS.items():
        p.add_argument(f"--{name}", action=argparse.BooleanOptionalAction, default=None,
                       help=f"{what} (default: on from --prompt or --photo, off for your own views)")
    p.add_argument("--provider", default=None, metavar="NAME", help="3D provider (default: 3daistudio)")
    p.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                   help="provider option, repeatable (default for 3daistudio: model=3.0, Hunyuan 3.0 multi-view)")
    p.add_argument("--attempts", type=int, default=1, metavar="N",
                   help="paid generations at most: regenerate until the review says keep (default 1)")
    p.add_argument("--max-credits", type=float, default=None, metavar="C",
                   help="never start a generation that would take the make past C credits")
    p.add_argument("--view-tries", type=int, default=3, metavar="N",
                   help="Gemini calls per missing view at most when the consistency check rejects one (default 3)")
    p.add_argument("--height", type=float, default=32.0, metavar="MM", help="figure height without base (default 32)")
    p.add_argument("--base", default="round25", metavar="BASE", help="base preset as `figurine repair --base`, or none")
    p.add_argument("--digital", action="store_true", help="also write figurine.glb with the textures")
    p.add_argument("--size", type=int, default=1024, metavar="PX", help="prepared view size (default 1024)")
    p.add_argument("--gemini-model", metavar="M", help="Gemini image model (default gemini-2.5-flash-image)")


def _plan(args):
    from ..core.gemini import resolve_api_key
    from ..core.jobstore import Job
    from ..core.make import DEFAULT_OPTIONS, DEFAULT_PROVIDER, MakePlan, default_ai_steps
    from .cmd_generate import parse_options
    from .paths import guard_job_folder

    given = {s: getattr(args, s) for s in ("front", "back", "left", "right") if getattr(args, s)}
    start = "prompt" if args.prompt else "photo" if args.photo else "views"
    if not (args.prompt or args.photo or given.get("front")):
        raise BadInputError("nothing to start from", hint="give --prompt TEXT, --photo FILE or --front FILE")
    if not args.out:
        raise BadInputError("no job folder given", hint="add --out JOB_DIR")
    if args.base and args.base.lower() != "none":
        from ..core.repair.bases import parse_preset

        parse_preset(args.base)  # refuse a bad base before anything is paid
    steps = default_ai_steps(start)
    for name in _AI_FLAGS:
        flag = getattr(args, name.replace("-", "_"))
        if flag is True and name not in steps:
            steps.append(name)
        elif flag is False and name in steps:
            steps.remove(name)
    provider = args.provider or DEFAULT_PROVIDER
    options = {**DEFAULT_OPTIONS.get(provider, {}), **parse_options(args.option)}
    from ..core import providers
    from ..core.providers.lifecycle import check_request, require_network

    service = providers.get_provider(provider, providers.ProviderConfig.from_env(online=True))
    check_request(service, ["front"], options)  # unknown provider options are refused now
    if service.remote:
        require_network(service)  # and a missing key, before Gemini is paid for anything
    for path in [args.photo, *given.values()]:
        if path:
            from pathlib import Path

            if not Path(path).is_file():
                raise BadInputError(f"{path} does not exist", hint="check the file name")
    guard_job_folder({k: v for k, v in {"photo": args.photo, **given}.items() if v}, args.out)
    if args.prompt or steps or len(given) < 4:
        resolve_api_key()  # a missing Gemini key is said now, not after the first paid step
    # The plan is checked whole before the job folder exists; its paths then point into the job.
    plan = MakePlan(prompt=args.prompt, photo=args.photo, views=dict(given),
                    ai_steps=[s for s in _AI_FLAGS if s in steps],
                    provider=provider, options=options, attempts=args.attempts, max_credits=args.max_credits,
                    view_tries=args.view_tries, height_mm=args.height,
                    base=None if (args.base or "").lower() in ("", "none") else args.base,
                    digital=bool(args.digital), size=args.size, gemini_model=args.gemini_model)
    job = Job.open(args.out)
    if args.photo:
        plan.photo = job.add_input("photo", args.photo).relative_to(job.root).as_posix()
    plan.views = {s: job.add_input(s, p).relative_to(job.root).as_posix() for s, p in given.items()}
    return job, plan


def execute(args, out) -> int:
    if args.resume:
        return resume_make(args.resume, online=bool(args.online), out=out)
    if not args.online:
        raise BadInputError("make sends images to Gemini and a 3D service and needs network access",
                            hint="add --online to allow it")
    if args.prompt and (args.photo or args.front) or (args.photo and args.front):
        raise BadInputError("give only one of --prompt, --photo or --front", hint="the other views come from the front")
    job, plan = _plan(args)
    return _run(job, plan, out)


def resume_make(job_dir, *, online: bool, out) -> int:
    from ..core.jobstore import Job
    from ..core.make import load_plan

    if not online:
        raise BadInputError("resuming a make may poll the 3D service and ask Gemini again",
                            hint="add --online to allow network access")
    job = Job.open(job_dir, create=False)
    return _run(job, load_plan(job), out)


def _run(job, plan, out) -> int:
    from ..core import make, providers

    config = providers.ProviderConfig.from_env(online=True)
    provider = providers.get_provider(plan.provider, config)
    out.progress("make", f"3D model: {provider.label}, {plan.model_name}; up to {plan.attempts} paid attempt(s)"
                         + (f", at most {plan.max_credits:g} credits" if plan.max_credits else ""))
    from .blender_host import empty_scene

    with empty_scene():
        from ..blender.make import hooks

        result = make.run(job, plan, hooks(progress=lambda stage, text: out.progress(stage, text),
                                           warn=out.warn, provider_config=config))
    lines = [f"3D model: {provider.label}, {plan.model_name}"]
    for a in result.attempts:
        review = a.get("review") or {}
        lines.append(f"attempt {a['n']}: task {a.get('task_id', '?')}, {a.get('credits')} credits, "
                     f"{review.get('decision', a['state'])} (score {review.get('score', 0):.3f})"
                     + ("  <- chosen" if a.get("chosen") else ""))
        retry = a.get("retry") or {}
        if retry.get("how") == "re-edited view":
            for slot, why in retry["views"].items():
                lines.append(f"    attempt {a['n']} after attempt {retry['after_attempt']}: re-edited the {slot} view "
                             f"({'; '.join(why)})")
        elif retry:
            lines.append(f"    attempt {a['n']} after attempt {retry['after_attempt']}: {retry['how']}")
        for reason in review.get("reasons", [])[:2]:
            lines.append(f"    {reason}")
    if result.stopped:
        lines.append(f"stopped: {result.stopped}")
    finished = result.finished or {}
    for change in finished.get("changes", []):
        lines.append(f"import: {change}")
    for kind, path in (finished.get("files") or {}).items():
        lines.append(f"{kind}: {path}")
    decision = ((result.chosen or {}).get("review") or {}).get("decision")
    usable = result.finished is not None and decision in ("keep", "unverified", "fix")
    if result.finished is not None and not usable:
        lines.append(f"the best attempt was finished, but its review says {decision}: look at the report before "
                     f"printing, or continue with more --attempts")
    summary = {"ok": usable, "decision": decision, "job": str(job.root), "model": plan.model_name,
               "provider": plan.provider, "options": plan.options, **result.as_dict()}
    out.finish(summary, "\n".join(lines))
    return EXIT_OK if usable else 1
