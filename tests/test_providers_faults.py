# SPDX-License-Identifier: GPL-3.0-or-later
"""Every remote provider against its fake server, with the same faults injected.

Each case ends in a clear error or a correct recovery; the task id is never lost and the key
never lands in a file, a message or a progress line (checked after every test).
"""

from __future__ import annotations

import pytest
from fakes.base import Malformed, Reset, Slow, Status
from fakes.payloads import HTML, make_glb, make_png, make_zip
from provider_harness import KEY, KEYED, SPECS, URL_RESULTS, Harness

from figurine_forge.core.errors import BadInputError, CancelledError, RemoteError
from figurine_forge.core.providers.http import AmbiguousSubmitError, TaskFailedError, UnsafeURLError


@pytest.fixture(params=SPECS, ids=str)
def h(request, tmp_path):
    harness = Harness(request.param, tmp_path)
    yield harness
    harness.close()
    harness.assert_no_key_anywhere()


@pytest.fixture(params=KEYED, ids=str)
def hk(request, tmp_path):
    harness = Harness(request.param, tmp_path)
    yield harness
    harness.close()
    harness.assert_no_key_anywhere()


@pytest.fixture(params=URL_RESULTS, ids=str)
def hu(request, tmp_path):
    harness = Harness(request.param, tmp_path)
    yield harness
    harness.close()
    harness.assert_no_key_anywhere()


def assert_resumable(h: Harness) -> None:
    """The task id survived the failure, and resuming fetches the model without resubmitting."""
    key, task = h.only_task()
    assert task["task_id"] in h.remote_task_ids()
    assert task["state"] == "interrupted"
    submits = h.fake.count("submit")
    result = h.resume()
    assert h.fake.count("submit") == submits
    assert result.task_id == task["task_id"]
    assert result.mesh_path.read_bytes() == make_glb()
    assert h.disk_manifest()["tasks"][key]["state"] == "finished"


# -- the good path ---------------------------------------------------------------------------
def test_generate_stores_the_model_and_the_task(h):
    result = h.generate()
    assert result.format == "glb"
    assert result.mesh_path.read_bytes() == make_glb()
    assert (h.job_dir / "generated.glb").read_bytes() == make_glb()
    key, task = h.only_task()
    assert task["task_id"] == h.remote_task_ids()[0]
    assert task["state"] == "finished"
    assert task["result"] == result.mesh_path.relative_to(h.job_dir).as_posix()
    step = h.disk_manifest()["steps"][-1]
    assert step["status"] == "done" and step["name"] == "generate"
    assert h.fake.count("submit") == 1
    assert h.progress[-1][0] == 1.0
    assert any(text for _, text in h.progress)


# -- refusals that are final -------------------------------------------------------------------
def test_rejected_key_says_so_and_records_no_task(hk):
    hk.fake.inject("submit", Status(401, {"detail": f"Invalid API key {KEY}"}))
    with pytest.raises(RemoteError) as err:
        hk.generate()
    provider_env = {"3daistudio": "FIGURINE_3DAISTUDIO_KEY", "fal": "FAL_KEY", "tripo": "TRIPO_API_KEY",
                    "meshy": "MESHY_API_KEY", "rodin": "RODIN_API_KEY"}[hk.spec.name]
    assert "key" in err.value.message and provider_env in err.value.hint
    assert KEY not in str(err.value) and "***" in str(err.value)  # the echoed key was scrubbed
    assert hk.disk_manifest()["tasks"] == {}
    assert hk.disk_manifest()["steps"][-1]["status"] == "failed"


def test_forbidden_is_final_too(hk):
    hk.fake.inject("submit" if hk.spec.name != "tripo" else "upload", Status(403, {"message": "forbidden"}))
    with pytest.raises(RemoteError, match="refused the API key"):
        hk.generate()
    assert hk.fake.count("submit") + hk.fake.count("upload") == 1


def test_no_credits_says_top_up(hk):
    hk.fake.inject("submit", Status(402, {"detail": "Insufficient credits"}))
    with pytest.raises(RemoteError) as err:
        hk.generate()
    assert "credits" in err.value.message and "top up" in err.value.hint
    assert hk.fake.count("submit") == 1


def test_missing_key_is_bad_input_before_any_request(hk):
    with pytest.raises(BadInputError, match="no API key"):
        hk.generate(api_key=None)
    assert hk.fake.requests == []


def test_garbled_key_is_refused_without_echoing_it(hk):
    garbled = KEY[:10] + "\u00e9 \n" + KEY[10:]
    with pytest.raises(BadInputError, match="paste the key again") as err:
        hk.generate(api_key=garbled)
    assert KEY[10:] not in str(err.value)
    assert hk.fake.requests == []


def test_offline_makes_no_request(h):
    with pytest.raises(BadInputError, match="network access"):
        h.generate(online=False)
    assert h.fake.requests == []


# -- rate limits and outages -------------------------------------------------------------------
def test_submit_429_honours_retry_after(h):
    h.fake.inject("submit", Status(429, {"detail": "Too many requests"}, {"Retry-After": "3"}))
    h.generate()
    assert 3.0 in h.sleeps
    assert h.fake.count("submit") == 2 and len(h.remote_task_ids()) == 1


def test_status_429_without_retry_after_backs_off(h):
    h.fake.inject("status", Status(429, {"detail": "Too many requests"}), Status(429, {}))
    h.generate()
    backoffs = [s for s in h.sleeps if s != 0.01]  # 0.01 is the poll interval
    assert len(backoffs) >= 2 and all(0 < s <= 0.05 for s in backoffs)


def test_status_5xx_is_retried(h):
    h.fake.inject("status", Status(500, {"detail": "boom"}), Status(503, "unavailable"))
    result = h.generate()
    assert result.mesh_path.exists()


def test_status_5xx_gives_up_after_bounded_retries_and_keeps_the_task(h):
    h.fake.inject("status", *[Status(500, {"detail": "boom"})] * 4)
    with pytest.raises(RemoteError, match="server problem") as err:
        h.generate(max_5xx_retries=3)
    assert "resume" in err.value.hint
    assert_resumable(h)


def test_submit_503_is_retried_without_a_second_task(h):
    h.fake.inject("submit", Status(503, "Service Unavailable"))
    h.generate()
    assert h.fake.count("submit") == 2 and len(h.remote_task_ids()) == 1


def test_submit_500_is_not_retried(h):
    h.fake.inject("submit", Status(500, {"detail": "internal"}))
    with pytest.raises(AmbiguousSubmitError) as err:
        h.generate()
    assert "pay twice" in err.value.hint
    assert h.fake.count("submit") == 1
    assert h.disk_manifest()["tasks"] == {}


def test_submit_connection_reset_is_not_retried(h):
    h.fake.inject("submit", Reset())
    with pytest.raises(AmbiguousSubmitError):
        h.generate()
    assert h.fake.count("submit") == 1


def test_submit_slow_answer_is_not_retried(h):
    h.fake.inject("submit", Slow(3.0))
    with pytest.raises(AmbiguousSubmitError, match="in time"):
        h.generate(read_timeout=0.3)
    assert h.fake.count("submit") == 1


def test_status_connection_reset_recovers(h):
    h.fake.inject("status", Reset(), Reset())
    assert h.generate().mesh_path.exists()


def test_status_malformed_json_recovers(h):
    h.fake.inject("status", Malformed())
    assert h.generate().mesh_path.exists()


def test_status_always_malformed_is_a_clear_error(h):
    h.fake.inject("status", *[Malformed()] * 5)
    with pytest.raises(RemoteError, match="unreadable"):
        h.generate(max_transient_retries=3)
    assert_resumable(h)


def test_slow_status_past_the_deadline_keeps_the_task(h):
    h.fake.inject("status", Slow(5.0))
    with pytest.raises(RemoteError, match="has not finished") as err:
        h.generate(deadline=0.8)
    assert "resume" in err.value.hint
    h.fake.faults.clear()
    assert_resumable(h)


# -- the task itself ---------------------------------------------------------------------------
def test_failed_task_reports_the_reason(h):
    h.fake.fail_reason = "no object could be recognised in the image"
    if h.spec.fails_forever:
        # The self-hosted server says "processing" forever for a dead job: the deadline ends it.
        with pytest.raises(RemoteError, match="has not finished"):
            h.generate(deadline=0.5)
        assert h.only_task()[1]["state"] == "interrupted"
        return
    with pytest.raises(TaskFailedError) as err:
        h.generate()
    assert "no object could be recognised" in err.value.message
    key, task = h.only_task()
    assert task["state"] == "failed" and task["task_id"] == h.remote_task_ids()[0]
    with pytest.raises(BadInputError, match="no unfinished"):
        h.resume()
    assert h.fake.count("submit") == 1


def test_result_link_appearing_late_is_waited_for(h):
    h.fake.late_url_polls = 3
    assert h.generate().mesh_path.read_bytes() == make_glb()


def test_result_link_that_never_appears_is_a_clear_error(h):
    h.fake.late_url_polls = 10_000
    with pytest.raises(RemoteError, match="no result link"):
        h.generate(late_result_grace=0.2)
    h.fake.late_url_polls = 0
    assert_resumable(h)


def test_cancel_stops_and_keeps_the_task(h):
    h.fake.hold = True

    def progress(fraction, text):
        h.progress.append((fraction, text))
        if h.fake.count("status") >= 2:
            h.cancel.set()

    h._progress = progress
    with pytest.raises(CancelledError):
        h.generate()
    key, task = h.only_task()
    assert task["task_id"] == h.remote_task_ids()[0]
    if h.spec.name == "fal":  # the only service here with a cancel endpoint
        assert task["state"] == "cancelled" and h.fake.count("cancel") == 1
        return
    assert task["state"] == "interrupted"
    h.cancel.clear()
    h._progress = lambda fraction, text: h.progress.append((fraction, text))
    h.fake.hold = False
    assert_resumable(h)


# -- downloads ---------------------------------------------------------------------------------
def test_result_404_keeps_the_task_for_resume(hu):
    hu.fake.inject("file", Status(404, "Not Found"))
    with pytest.raises(RemoteError, match="gone"):
        hu.generate()
    assert_resumable(hu)


def test_download_5xx_and_reset_are_retried(hu):
    hu.fake.inject("file", Status(502, "bad gateway"), Reset())
    assert hu.generate().mesh_path.read_bytes() == make_glb()


def test_truncated_glb_is_refused_then_resume_fetches_it_again(h):
    h.fake.payload = make_glb()[:-40]
    with pytest.raises(RemoteError, match="truncated"):
        h.generate()
    h.fake.payload = make_glb()
    assert_resumable(h)


def test_non_mesh_content_is_refused(h):
    h.fake.payload = HTML
    with pytest.raises(RemoteError, match="not a mesh .an HTML or XML page"):
        h.generate()
    assert h.only_task()[1]["state"] == "interrupted"


def test_zip_with_parent_paths_is_refused_and_writes_nothing_outside(h):
    h.fake.payload = make_zip({"model.glb": make_glb(), "../../escaped.glb": make_glb()})
    with pytest.raises(RemoteError, match="unsafe entry"):
        h.generate()
    assert not list(h.tmp.rglob("escaped.glb"))
    assert not (h.tmp.parent / "escaped.glb").exists()


def test_zip_with_absolute_path_is_refused(h):
    h.fake.payload = make_zip({"/tmp/abs-model.glb": make_glb()})
    with pytest.raises(RemoteError, match="unsafe entry"):
        h.generate()


def test_zip_result_is_unpacked_and_the_mesh_picked(h):
    h.fake.payload = make_zip({"textures/albedo.png": make_png(), "out/model.glb": make_glb(),
                               "readme.txt": b"hello"})
    result = h.generate()
    assert result.format == "glb"
    assert result.mesh_path.read_bytes() == make_glb()
    assert "extracted" in result.mesh_path.parts


def test_oversized_download_is_refused(h):
    h.fake.payload = make_glb() + b"\0" * 300_000
    with pytest.raises(RemoteError, match="limit"):
        h.generate(max_download_bytes=100_000)
    assert h.only_task()[1]["state"] == "interrupted"


def test_oversized_download_without_length_is_cut_off(hu):
    hu.fake.chunked = True
    hu.fake.payload = make_glb() + b"\0" * 300_000
    with pytest.raises(RemoteError, match="limit"):
        hu.generate(max_download_bytes=100_000)
    leftovers = [p for p in hu.job_dir.rglob("*") if p.is_file() and p.stat().st_size > 100_000]
    assert leftovers == []


def test_plain_http_result_url_is_refused(hu):
    hu.fake.result_url_override = "http://downloads.example.invalid/model.glb"
    with pytest.raises(UnsafeURLError, match="only https"):
        hu.generate()
    assert hu.only_task()[1]["state"] == "interrupted"


def test_keyed_provider_refuses_plain_http_without_permission(hk):
    with pytest.raises(UnsafeURLError, match="only https"):
        hk.generate(allow_loopback_http=False)
    assert hk.fake.requests == []
    assert hk.disk_manifest()["tasks"] == {}
