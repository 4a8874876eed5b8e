# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared set-up for the provider tests: one fake server + one job folder per test."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from fakes.aistudio3d_server import AIStudio3DFake
from fakes.fal_server import FalFake
from fakes.hunyuan_server import HunyuanServerFake
from fakes.meshy_server import MeshyFake
from fakes.payloads import make_glb, view_set
from fakes.rodin_server import RodinFake
from fakes.tripo_server import TripoFake

from figurine_forge.core import providers
from figurine_forge.core.errors import FigurineError
from figurine_forge.core.jobstore import Job

KEY = "sk-test-SECRET-7c9f2e41d0aa"


@dataclass(frozen=True)
class Spec:
    name: str
    fake_cls: type
    base_path: str = ""
    keyed: bool = True
    inline: bool = False  # the result comes inside the status answer, not from a URL
    fails_forever: bool = False  # a failed job looks like "processing" forever

    def __str__(self) -> str:
        return self.name


SPECS = [
    Spec("3daistudio", AIStudio3DFake),
    Spec("fal", FalFake),
    Spec("tripo", TripoFake, "/v2/openapi"),
    Spec("meshy", MeshyFake, "/openapi/v1"),
    Spec("rodin", RodinFake, "/api/v2"),
    Spec("hunyuan-server", HunyuanServerFake, keyed=False, inline=True, fails_forever=True),
]
KEYED = [s for s in SPECS if s.keyed]
URL_RESULTS = [s for s in SPECS if not s.inline]


class Harness:
    def __init__(self, spec: Spec, tmp_path: Path):
        self.spec = spec
        self.tmp = tmp_path
        self.fake = spec.fake_cls(key=KEY if spec.keyed else None)
        self.fake.payload = make_glb()
        self.job_dir = tmp_path / "job"
        self.job = Job.open(self.job_dir)
        self.sleeps: list[float] = []
        self.progress: list[tuple] = []
        self.messages: list[str] = []
        self.cancel = threading.Event()
        self.viewset = view_set()
        self.overrides: dict = {}

    def _sleep(self, seconds: float) -> None:
        # Record what the client asked for (Retry-After, backoff) but do not really wait long.
        self.sleeps.append(seconds)
        time.sleep(min(seconds, 0.005))

    def config(self, **overrides) -> providers.ProviderConfig:
        values = dict(online=True, api_key=KEY if self.spec.keyed else None,
                      base_url=self.fake.url + self.spec.base_path, allow_loopback_http=True,
                      poll_interval=0.01, deadline=10.0, read_timeout=5.0, connect_timeout=2.0,
                      backoff_base=0.01, backoff_max=0.05, late_result_grace=10.0, sleep=self._sleep)
        values.update(self.overrides)
        values.update(overrides)
        return providers.ProviderConfig(**values)

    def _progress(self, fraction, text) -> None:
        self.progress.append((fraction, text))

    def generate(self, options=None, viewset=None, **config):
        try:
            return providers.generate(self.job, self.spec.name, viewset or self.viewset, options=options,
                                      config=self.config(**config), progress=self._progress, cancel=self.cancel)
        except FigurineError as exc:
            self.messages.append(str(exc))
            raise

    def resume(self, **config):
        try:
            return providers.resume(self.job, config=self.config(**config), progress=self._progress,
                                    cancel=self.cancel)
        except FigurineError as exc:
            self.messages.append(str(exc))
            raise

    def disk_manifest(self) -> dict:
        return json.loads((self.job_dir / "job.json").read_text("utf-8"))

    def only_task(self) -> tuple[str, dict]:
        tasks = self.disk_manifest()["tasks"]
        assert len(tasks) == 1, tasks
        return next(iter(tasks.items()))

    def remote_task_ids(self) -> list[str]:
        return list(self.fake.tasks)

    def assert_no_key_anywhere(self) -> None:
        secret = KEY.encode()
        for path in self.tmp.rglob("*"):
            if path.is_file():
                assert secret not in path.read_bytes(), f"the key leaked into {path}"
        for message in self.messages:
            assert KEY not in message
        for _, text in self.progress:
            assert KEY not in text

    def close(self) -> None:
        self.fake.close()
