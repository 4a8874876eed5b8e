# SPDX-License-Identifier: GPL-3.0-or-later
"""What each provider puts on the wire, and each service's own quirks."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from fakes.base import Status
from fakes.hunyuan_server import SERVER_ERROR
from fakes.payloads import make_glb, make_zip, view_set
from provider_harness import KEY, SPECS, Harness

from figurine_forge.core import providers
from figurine_forge.core.errors import BadInputError, RemoteError
from figurine_forge.core.providers import http as http_mod
from figurine_forge.core.providers.base import data_uri
from figurine_forge.core.providers.http import UnsafeURLError
from figurine_forge.core.providers.lifecycle import encode_views

SPEC = {s.name: s for s in SPECS}


@pytest.fixture
def make(tmp_path):
    made = []

    def _make(name):
        harness = Harness(SPEC[name], tmp_path / name)
        made.append(harness)
        return harness

    yield _make
    for harness in made:
        harness.close()
        harness.assert_no_key_anywhere()


def _png(viewset, slot) -> bytes:
    return encode_views(viewset, [slot])[slot]


def _distinct_views():
    """Views whose pixels differ per slot, so a swapped slot is detectable."""
    vs = view_set()
    for i, view in enumerate(vs.views.values()):
        view.rgb[0, 0] = (i, i, i)
    return vs


# -- 3D AI Studio ------------------------------------------------------------------------------
def test_3daistudio_body_uses_hunyuan_view_names_and_options(make):
    h = make("3daistudio")
    h.viewset = _distinct_views()
    h.generate(options={"face_count": "200000", "enable_pbr": "true", "generate_type": "geometry", "model": "3.0"})
    body = h.fake.seen("submit")[0].json()
    assert body["model"] == "3.0" and body["face_count"] == 200_000
    assert body["enable_pbr"] is True and body["generate_type"] == "Geometry"
    sent = {v["view_type"]: v["view_image"] for v in body["multi_view_images"]}
    assert set(sent) == {"front", "back", "left", "right"}
    # Our left view (camera at -X) is Hunyuan's "right", and the other way round.
    assert sent["right"] == data_uri(_png(h.viewset, "left"))
    assert sent["left"] == data_uri(_png(h.viewset, "right"))
    assert sent["front"] == body["image"] == data_uri(_png(h.viewset, "front"))
    assert h.fake.seen("submit")[0].headers["authorization"] == f"Bearer {KEY}"


def test_3daistudio_accepts_asset_url_and_skips_preview_images(make):
    h = make("3daistudio")
    h.fake.url_field = "asset_url"
    h.generate()
    assert [r.path for r in h.fake.seen("file")] == ["/files/model.glb"]


def test_3daistudio_archive_result(make):
    h = make("3daistudio")
    h.fake.asset_type = "ARCHIVE"
    h.fake.payload = make_zip({"model/model.glb": make_glb()})
    assert h.generate().mesh_path.read_bytes() == make_glb()


def test_3daistudio_bad_option_is_refused_before_any_request(make):
    h = make("3daistudio")
    with pytest.raises(BadInputError, match="out of range"):
        h.generate(options={"face_count": 10})
    with pytest.raises(BadInputError, match="no option 'colour'"):
        h.generate(options={"colour": "red"})
    assert h.fake.requests == []


def test_3daistudio_cost_hint_counts_pbr_and_multiview():
    p = providers.get_provider("3daistudio")
    assert "60 credits" in p.cost_hint({"front": 1}, {"enable_pbr": False})
    assert "100 credits" in p.cost_hint({"front": 1, "back": 1}, {"enable_pbr": True})


def test_validation_error_detail_reaches_the_user(make):
    h = make("3daistudio")
    h.fake.inject("submit", Status(400, {"detail": "validation failed: image too small"}))
    with pytest.raises(RemoteError, match="image too small"):
        h.generate()


# -- fal.ai ------------------------------------------------------------------------------------
def test_fal_uses_the_urls_the_submit_returned(make):
    h = make("fal")
    result = h.generate()
    task_id = result.task_id
    status_paths = {r.path for r in h.fake.seen("status")}
    assert status_paths == {f"/fal-ai/hunyuan3d-v3/requests/{task_id}/status"}
    assert [r.path for r in h.fake.seen("result")][-1] == f"/fal-ai/hunyuan3d-v3/requests/{task_id}"
    assert h.fake.seen("submit")[0].headers["authorization"] == f"Key {KEY}"
    assert h.fake.count("unknown") == 0
    stored = h.disk_manifest()["tasks"][result.task_key]["resume"]
    assert stored["status_url"].endswith("/status") and stored["cancel_url"].endswith("/cancel")


def test_fal_v3_sends_optional_views_under_hunyuan_names(make):
    h = make("fal")
    h.viewset = _distinct_views()
    h.generate(options={"face_count": 100000})
    body = h.fake.seen("submit")[0].json()
    assert body["input_image_url"] == data_uri(_png(h.viewset, "front"))
    assert body["left_image_url"] == data_uri(_png(h.viewset, "right"))
    assert body["right_image_url"] == data_uri(_png(h.viewset, "left"))
    assert body["face_count"] == 100_000


def test_fal_v2_multiview_needs_its_three_views(make):
    h = make("fal")
    with pytest.raises(BadInputError, match="v2 multi-view needs the right"):
        h.generate(options={"model": "v2-multi-view"}, viewset=view_set(("front", "back", "left")))
    assert h.fake.requests == []
    h.viewset = _distinct_views()
    h.generate(options={"model": "v2-multi-view"})
    body = h.fake.seen("submit")[0].json()
    assert h.fake.seen("submit")[0].path == "/fal-ai/hunyuan3d/v2/multi-view"
    assert body["left_image_url"] == data_uri(_png(h.viewset, "right"))
    assert {r.path.rsplit("/", 2)[0] for r in h.fake.seen("status")} == {"/fal-ai/hunyuan3d/requests"}


def test_fal_status_url_on_another_host_never_gets_the_key(make):
    h = make("fal")
    h.fake.status_host = h.fake.url.replace("127.0.0.1", "localhost")
    with pytest.raises(UnsafeURLError, match="refusing to send the key"):
        h.generate()
    assert h.fake.count("status") == 0
    key, task = h.only_task()
    assert task["task_id"] == h.remote_task_ids()[0]


def test_fal_failed_request_is_final(make):
    h = make("fal")
    h.fake.fail_reason = "image could not be processed"
    with pytest.raises(RemoteError, match="image could not be processed"):
        h.generate()
    assert h.only_task()[1]["state"] == "failed"


def test_cancel_task_uses_the_services_cancel(make):
    h = make("fal")
    h.fake.hold = True
    with pytest.raises(RemoteError, match="has not finished"):
        h.generate(deadline=0.3)
    assert providers.pending_tasks(h.job)
    assert providers.cancel_task(h.job, config=h.config()) is True
    assert h.fake.count("cancel") == 1
    assert providers.pending_tasks(h.job) == {}
    assert h.disk_manifest()["tasks"][h.only_task()[0]]["state"] == "cancelled"


def test_cancel_task_without_remote_cancel_is_local_only(make):
    h = make("meshy")
    h.fake.hold = True
    with pytest.raises(RemoteError, match="has not finished"):
        h.generate(deadline=0.3)
    assert providers.cancel_task(h.job, config=h.config()) is False
    assert h.only_task()[1]["state"] == "interrupted"


# -- Tripo -------------------------------------------------------------------------------------
def test_tripo_uploads_then_fills_four_slots_in_its_order(make):
    h = make("tripo")
    h.generate(viewset=view_set(("front", "back")))
    assert h.fake.count("upload") == 2
    files = h.fake.seen("submit")[0].json()["files"]
    assert len(files) == 4
    assert files[0]["file_token"] and files[2]["file_token"]  # front, left, BACK, right
    assert files[1] == {} and files[3] == {}


def test_tripo_moderation_ban_says_why(make):
    h = make("tripo")
    h.fake.fail_reason = "policy"
    h.fake.fail_status = "banned"
    with pytest.raises(RemoteError, match="refused by moderation"):
        h.generate()


def test_tripo_error_code_in_a_200_answer_is_an_error(make):
    h = make("tripo")
    h.fake.inject("submit", Status(200, {"code": 2010, "message": "insufficient balance"}))
    with pytest.raises(RemoteError, match="insufficient balance"):
        h.generate()


def test_3daistudio_balance_and_job_cost(make):
    h = make("3daistudio")
    found = providers.account_balance("3daistudio", config=h.config(), views=("front",),
                                      options={"enable_pbr": "true"})
    assert found == {"provider": "3daistudio", "balance": 150.0, "cost": 80.0, "enough": True}
    h.fake.balance = "not a number"
    with pytest.raises(RemoteError, match="no readable balance"):
        providers.account_balance("3daistudio", config=h.config())
    with pytest.raises(BadInputError, match="needs network access"):
        providers.account_balance("3daistudio", config=h.config(online=False))
    # a service without a balance endpoint answers "unknown" without any request
    local = providers.account_balance("local")
    assert local["balance"] is None and local["enough"] is None


# -- Meshy -------------------------------------------------------------------------------------
def test_meshy_sends_data_uris_front_first(make):
    h = make("meshy")
    h.viewset = _distinct_views()
    h.generate(options={"target_polycount": 50000})
    body = h.fake.seen("submit")[0].json()
    assert len(body["image_urls"]) == 4
    assert body["image_urls"][0] == data_uri(_png(h.viewset, "front"))
    assert body["target_polycount"] == 50000 and body["should_texture"] is False


# -- Hyper3D Rodin -----------------------------------------------------------------------------
def test_rodin_sends_a_multipart_form_front_first_and_resumes_by_subscription_key(make):
    from fakes.rodin_server import multipart_parts

    h = make("rodin")
    h.viewset = _distinct_views()
    result = h.generate(options={"tier": "detail", "quality": "high", "geometry_file_format": "glb"})
    req = h.fake.seen("submit")[0]
    parts = multipart_parts(req)
    images = [(filename, content) for name, filename, content in parts if name == "images"]
    assert [f for f, _ in images] == ["front.png", "back.png", "left.png", "right.png"]
    assert images[0][1] == _png(h.viewset, "front") and images[2][1] == _png(h.viewset, "left")
    fields = {name: content.decode() for name, filename, content in parts if filename is None}
    assert fields == {"tier": "Detail", "quality": "high", "material": "PBR", "geometry_file_format": "glb",
                      "condition_mode": "concat"}
    key, task = h.only_task()
    sub = task["resume"]["subscription_key"]
    assert sub in h.fake.by_subscription and task["task_id"] == h.fake.by_subscription[sub]
    assert all(r.json() == {"subscription_key": sub} for r in h.fake.seen("status"))
    assert h.fake.seen("result")[-1].json() == {"task_uuid": task["task_id"]}
    assert result.mesh_path.read_bytes() == make_glb()  # the .glb of the listing, not the preview


def test_rodin_one_view_is_not_a_multi_view_request(make):
    from fakes.rodin_server import multipart_parts

    h = make("rodin")
    h.viewset = view_set(("front",))
    h.generate()
    fields = {name for name, filename, _ in multipart_parts(h.fake.seen("submit")[0]) if filename is None}
    assert "condition_mode" not in fields


def test_rodin_error_in_a_200_answer_is_a_clear_error_and_no_task(make):
    h = make("rodin")
    h.fake.inject("submit", Status(201, {"error": "NO_CREDITS", "message": "not enough credits"}))
    with pytest.raises(RemoteError, match="refused the request: NO_CREDITS"):
        h.generate()
    assert h.disk_manifest()["tasks"] == {}


# -- self-hosted Hunyuan3D-2 -------------------------------------------------------------------
def test_hunyuan_server_sends_raw_base64_of_the_front_only(make):
    h = make("hunyuan-server")
    result = h.generate(options={"octree_resolution": 256, "guidance_scale": "7.5"})
    body = h.fake.seen("submit")[0].json()
    assert base64.b64decode(body["image"]) == _png(h.viewset, "front")
    assert body["octree_resolution"] == 256 and body["guidance_scale"] == 7.5 and body["type"] == "glb"
    assert "authorization" not in h.fake.seen("submit")[0].headers
    assert any("back view" in w for w in result.warnings)


def test_hunyuan_server_404_error_style_becomes_a_message(make):
    h = make("hunyuan-server")
    h.fake.inject("submit", Status(404, SERVER_ERROR))
    with pytest.raises(RemoteError) as err:
        h.generate()
    assert "NETWORK ERROR DUE TO HIGH TRAFFIC" in str(err.value) and "console" in str(err.value)


def test_hunyuan_server_wrong_address_says_check_the_url(make):
    h = make("hunyuan-server")
    h.fake.inject("submit", Status(404, "Not Found"))
    with pytest.raises(RemoteError, match="does not look like a Hunyuan3D-2 server"):
        h.generate()


def test_hunyuan_server_damaged_base64_keeps_the_task(make):
    h = make("hunyuan-server")
    h.fake.inline_override = "this is not base64!!"
    with pytest.raises(RemoteError, match="bad base64"):
        h.generate()
    h.fake.inline_override = None
    assert h.resume().mesh_path.read_bytes() == make_glb()


def test_plain_http_is_allowed_only_for_the_keyless_self_hosted_server():
    cfg = providers.ProviderConfig(online=True, base_url="http://192.168.1.20:8081")
    server = providers.get_provider("hunyuan-server", cfg)
    with http_mod.HttpSession(server, key=None, deadline=1.0) as session:
        session._check_request(__import__("httpx").Request("POST", "http://192.168.1.20:8081/send"))
    studio = providers.get_provider("3daistudio", providers.ProviderConfig(online=True, base_url="http://192.168.1.20"))
    with http_mod.HttpSession(studio, key=KEY, deadline=1.0) as session:
        with pytest.raises(UnsafeURLError, match="only https"):
            session.request_json("GET", "http://192.168.1.20/v1/x/")


# -- registry ----------------------------------------------------------------------------------
def test_unknown_provider_lists_the_known_ones():
    with pytest.raises(BadInputError, match="unknown provider") as err:
        providers.get_provider("nope")
    assert "3daistudio" in err.value.hint and "local" in err.value.hint


def test_every_provider_describes_itself():
    infos = providers.list_providers()
    names = [i["name"] for i in infos]
    assert names == ["3daistudio", "fal", "tripo", "meshy", "rodin", "hunyuan-server", "local"]
    assert [i["name"] for i in infos if i["default"]] == ["3daistudio"]
    for info in infos:
        assert "front" in info["views_required"]
        assert info["output_formats"] and info["cost_hint"]
        for opt in info["options"]:
            assert opt["name"] and opt["help"]


def test_config_repr_never_shows_the_key():
    cfg = providers.ProviderConfig(online=True, api_key=KEY)
    assert KEY not in repr(cfg) and KEY not in str(cfg)
    assert "set" in repr(cfg)


def test_png_encoding_is_lossless():
    from PIL import Image

    vs = view_set(("front",))
    png = encode_views(vs, ["front"])["front"]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), vs.views["front"].rgb)
