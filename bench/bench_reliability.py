# SPDX-License-Identifier: GPL-3.0-or-later
"""Figures behind the reliability work (issue #15); prints, asserts nothing.

* Ctrl-C: seconds from SIGINT to the process's exit, at several moments of ``figurine run``.
* Remote deadline: when a session gives up on an answer trickled 1 byte / 0.5 s, against
  its deadline (before, it waited for the whole answer).
* View-set checks on the shared development sets: the issues raised on the real views (none
  expected but the known facing of their side views), the colour agreement of one
  character's views with each other and with other characters' (the threshold sits between).

    .venv/bin/python bench/bench_reliability.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import itertools
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests"))
from figurine import load_package  # noqa: E402

load_package()
SCRIPT = REPO / "scripts" / "figurine.py"


def ctrl_c(tmp: Path) -> None:
    views = tmp / "views"
    subprocess.run([sys.executable, str(SCRIPT), "sample", "--out", str(views)], capture_output=True, check=True)
    for delay in (0.2, 0.8, 1.5, 3.0, 5.0):
        job = tmp / f"job-{delay}"
        proc = subprocess.Popen([sys.executable, str(SCRIPT), "run", "--front", str(views / "front.png"),
                                 "--back", str(views / "back.png"), "--out", str(job), "--quiet"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate()
        lines = [ln for ln in err.splitlines() if ln.strip()]
        print(f"ctrl-c at {delay:.1f} s: exit {proc.returncode} after {time.monotonic() - sent:.3f} s, "
              f"{len(lines)} stderr line(s), traceback {'Traceback' in err}")


def deadline() -> None:
    from test_reliability import TrickleServer, _session

    from figurine_forge.core.errors import RemoteError

    server = TrickleServer()
    try:
        for limit in (1.0, 2.0, 4.0):
            with _session(server.url, limit) as http:
                start = time.monotonic()
                try:
                    http.request_json("GET", server.url + "/status")
                    print(f"deadline {limit:.0f} s: the whole trickled answer was waited for")
                except RemoteError:
                    print(f"deadline {limit:.1f} s: gave up after {time.monotonic() - start:.2f} s "
                          f"(the full answer would take {len(server.body) * server.interval:.0f} s)")
    finally:
        server.close()


def view_checks(data: Path) -> None:
    import numpy as np

    from figurine_forge.core.images.prepare import prepare_view_set
    from figurine_forge.core.images.validate import SAME_CHARACTER_MIN_COLOUR, _colour_histogram

    sets = {}
    for folder in sorted((data / "multiview").iterdir()):
        for kind, ext in (("on_gray", "jpg"), ("rgba", "png")):
            paths = {"front": folder / kind / f"front.{ext}", "back": folder / kind / f"back.{ext}",
                     "right": folder / kind / f"left.{ext}"}  # their "left" faces the viewer's left
            vs = prepare_view_set(paths, size=512)
            print(f"{folder.name:>8} {kind:<7}: issues {[i.code for i in vs.issues] or 'none'}")
            if kind == "on_gray":
                sets[folder.name] = {s: _colour_histogram(v) for s, v in vs.views.items()}
    same = [float(np.minimum(h["front"], h[s]).sum()) for h in sets.values() for s in h if s != "front"]
    other = [float(np.minimum(sets[a]["front"], sets[b][s]).sum())
             for a, b in itertools.permutations(sets, 2) for s in sets[b]]
    print(f"colour agreement, one character: {min(same):.3f}-{max(same):.3f}; different characters: "
          f"{min(other):.3f}-{max(other):.3f}; threshold {SAME_CHARACTER_MIN_COLOUR}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ctrl_c(Path(tmp))
    deadline()
    view_checks(args.data)


if __name__ == "__main__":
    main()
