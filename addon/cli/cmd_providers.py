# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine providers: the 3D generators this version knows, with what each one accepts."""

from __future__ import annotations

import os

from ..core.errors import EXIT_OK

NAME = "providers"
HELP = "List the 3D generation providers with their views, output formats, options and costs."


def add_arguments(p) -> None:
    pass


def execute(args, out) -> int:
    from ..core import providers

    infos = providers.list_providers()
    lines = []
    for info in infos:
        key = ""
        if info["needs_key"]:
            key = f"key: ${info['key_env']} ({'set' if os.environ.get(info['key_env']) else 'not set'})"
        head = f"{info['name']}{' (default)' if info['default'] else ''} — {info['label']}"
        lines.append(head)
        views = ", ".join(info["views_required"]) + (
            " + optional " + ", ".join(info["views_optional"]) if info["views_optional"] else "")
        lines.append(f"    views: {views}; output: {', '.join(info['output_formats'])}; "
                     f"typical time: {info['typical_minutes']} min; cost: {info['cost_hint']}")
        if key:
            lines.append(f"    {key}; base URL: ${info['base_url_env']}")
        elif info["base_url_env"]:
            lines.append(f"    server URL: ${info['base_url_env']}")
        for opt in info["options"]:
            extra = f" [{'|'.join(map(str, opt['choices']))}]" if "choices" in opt else (
                f" [{opt['min']:,}..{opt['max']:,}]" if "min" in opt else "")
            lines.append(f"    --option {opt['name']}=… (default {opt['default']}){extra}: {opt['help']}")
    for info in infos:
        info["key_set"] = bool(info["key_env"] and os.environ.get(info["key_env"]))
    out.finish({"ok": True, "providers": infos}, "\n".join(lines))
    return EXIT_OK
