# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine batch: many characters, each in its own process, resumable; locally or on Dask."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from ..core.errors import EXIT_CHECK_FAILED, EXIT_OK, BadInputError

NAME = "batch"
HELP = ("Convert a folder of characters (one sub-folder each: one image, or front/back/left/right views) "
        "or a CSV/JSON manifest into OUTPUT_DIR/<character>/ job folders, several at once, each in its own "
        "process; re-running finishes what is left. Writes batch.json and index.html. "
        "Exit 0 = all done, 1 = some failed (see batch.json), 5 = stopped (run again to finish).")

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "figurine.py"


def add_arguments(p) -> None:
    p.add_argument("input", nargs="?", metavar="INPUT", help="folder of characters, or a .csv/.json manifest")
    p.add_argument("output_dir", nargs="?", metavar="OUTPUT_DIR", help="folder for the results (new, or an earlier batch's)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="characters at once (default: from the CPU count and free memory; with --scheduler: "
                        "the cluster's threads)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on an existing Dask cluster (tcp://HOST:8786); OUTPUT_DIR must be shared (docs/batch.md)")
    p.add_argument("--online", action="store_true", help="allow network access (remote providers)")
    p.add_argument("--max-credits", type=float, metavar="N",
                   help="spending cap for the whole batch; a character whose generation would pass it is not started")
    p.add_argument("--rate-limit", action="append", default=[], metavar="PROVIDER=N/SECONDS",
                   help="requests allowed per provider across all workers (3daistudio=3/60 by default; 'off')")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="give up on a character after this long")
    p.add_argument("--no-review", action="store_true", help="skip the clay renders and report.html")
    p.add_argument("--review-size", type=int, default=256, metavar="PX", help="clay render size (default 256)")
    defaults = p.add_argument_group("defaults for every character (a manifest's own columns win)")
    defaults.add_argument("--provider", default="local", help="3D generator (default local)")
    defaults.add_argument("--height", type=float, default=32.0, metavar="MM", help="figure height (default 32)")
    defaults.add_argument("--base", default="", help="base preset, e.g. round25 (default none)")
    defaults.add_argument("--preset", default="resin", help="print-check preset: resin or fdm")
    defaults.add_argument("--formats", default="stl", help="output formats, e.g. stl,3mf,glb (default stl)")
    defaults.add_argument("--size", type=int, default=1024, metavar="PX", help="prepared view size (default 1024)")
    defaults.add_argument("--resolution", type=int, default=160, metavar="VOXELS",
                          help="local reconstruction grid (default 160)")
    p.add_argument("--blender", metavar="PATH", help="run each character in `PATH -b` instead of this Python")
    p.add_argument("--remote-python", metavar="PATH",
                   help="with --scheduler: the Python (with bpy) on the workers (default: this one's path)")
    p.add_argument("--remote-script", metavar="PATH",
                   help="with --scheduler: scripts/figurine.py on the workers (default: this one's path)")
    p.add_argument("--worker", metavar="SPEC", help=argparse.SUPPRESS)  # one character (the batch's children)


def _worker_argv(args):
    script = str(args.remote_script or SCRIPT)
    if not args.remote_script and not SCRIPT.is_file():
        raise BadInputError(f"batch runs each character through {SCRIPT}, which is missing",
                            hint="run the batch from a Figurine Forge checkout (scripts/figurine.py)")
    if args.blender:
        head = [args.blender, "-b", "--factory-startup", "-P", script, "--"]
    else:
        head = [args.remote_python or sys.executable, script]
    return lambda spec: [*head, "batch", "--worker", json.dumps(spec), "--json"]


def _defaults(args) -> dict:
    return {"provider": args.provider, "height": args.height, "base": args.base, "preset": args.preset,
            "formats": args.formats, "size": args.size, "resolution": args.resolution}


def execute(args, out) -> int:
    if args.worker:
        from .batch_worker import run_character

        try:
            spec = json.loads(args.worker)
        except ValueError:
            raise BadInputError("--worker needs the JSON spec the batch writes") from None
        return run_character(spec, out)
    if not args.input or not args.output_dir:
        raise BadInputError("batch needs INPUT and OUTPUT_DIR", hint="figurine batch CHARACTERS/ OUT/")
    from ..core.batch import BatchRunner, BatchSettings, BatchState, ProgressBar, discover
    from ..core.batch.index import summary_table
    from ..core.batch.ratelimit import parse_rate_limits
    from ..core.batch.runner import DaskExecutor, LocalExecutor, default_workers
    from ..core.providers import registry

    if args.workers is not None and not 1 <= args.workers <= 256:
        raise BadInputError(f"--workers {args.workers} is out of range", hint="use 1 to 256")
    if args.max_credits is not None and args.max_credits < 0:
        raise BadInputError("--max-credits must be 0 or more")
    if not 128 <= args.review_size <= 2048:
        raise BadInputError(f"--review-size {args.review_size} is out of range", hint="use 128 to 2048")
    classes = registry.provider_classes()
    characters = discover(args.input, _defaults(args))
    for c in characters:
        if c.provider not in classes and not c.error:
            c.error = f"unknown provider {c.provider!r} (use one of: {', '.join(classes)})"
    remote = {name for name, cls in classes.items() if cls.remote}
    needs_net = sorted({c.provider for c in characters if c.provider in remote and not c.error})
    if needs_net and not args.online:
        raise BadInputError(f"{', '.join(needs_net)} need(s) network access, which is off", hint="pass --online")
    settings = BatchSettings(online=bool(args.online), max_credits=args.max_credits,
                             rate_limits=parse_rate_limits(args.rate_limit), timeout=args.timeout,
                             review=not args.no_review, review_size=args.review_size)
    worker_argv = _worker_argv(args)
    state = BatchState.open(args.output_dir, str(Path(args.input).absolute()))
    state.register(characters)
    state.output_dir.mkdir(parents=True, exist_ok=True)
    executor: DaskExecutor | LocalExecutor
    if args.scheduler:
        executor = DaskExecutor(args.scheduler, state.output_dir, args.workers)
    else:
        executor = LocalExecutor(args.workers or default_workers())
    settings.workers = executor.slots
    state.data["settings"] = {"workers": executor.slots, "scheduler": args.scheduler,
                              "max_credits": args.max_credits,
                              "rate_limits": {k: v.describe() for k, v in settings.rate_limits.items()}}
    out.progress("batch", f"{len(characters)} character(s), {executor.slots} at once"
                 + (f" on {args.scheduler}" if args.scheduler else ""))
    runner = BatchRunner(state, characters, settings, executor, worker_argv,
                         ProgressBar(len(characters), quiet=args.quiet),
                         is_remote=lambda name: name in remote)
    # Ctrl-C and SIGTERM stop the batch in order (the runner's KeyboardInterrupt path: children
    # told to stop, state written, "run the same command again"), not at once as the CLI's
    # own handler stops a single command.
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}

    def _stop(signum, frame):
        raise KeyboardInterrupt

    for signum in previous:
        signal.signal(signum, _stop)
    try:
        counts = runner.run()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        executor.close()
    failed = [n for n in state.data["order"] if state.characters[n]["status"] == "failed"]
    summary = {"ok": not failed, "output_dir": str(state.output_dir), "batch_json": str(state.output_dir / "batch.json"),
               "index_html": str(state.output_dir / "index.html"), **counts, "skipped": runner.skipped,
               "failed_characters": {n: state.characters[n].get("reason") for n in failed},
               "credits_committed": runner.ledger.committed}
    out.finish(summary, summary_table(state) + f"\nindex: {state.output_dir / 'index.html'}")
    return EXIT_CHECK_FAILED if failed else EXIT_OK
