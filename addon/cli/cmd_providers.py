# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine providers: the 3D generators this version knows, with what each one accepts."""

from __future__ import annotations

import os

from ..core.errors import EXIT_OK

NAME = "providers"
HELP = ("List the 3D generation providers with their views, output formats, options and costs; with "
        "--online, also the credits left on each account whose key is set.")


def add_arguments(p) -> None:
    p.add_argument("--online", action="store_true",
                   help="ask each service whose key is set for the account's credit balance")


def execute(args, out) -> int:
    from ..core import providers
    from ..core.images import view_name

    infos = providers.list_providers()
    lines = []
    for info in infos:
        key = ""
        if info["needs_key"]:
            key = f"key: ${info['key_env']} ({'set' if os.environ.get(info['key_env']) else 'not set'})"
        head = f"{info['name']}{' (default)' if info['default'] else ''} — {info['label']}"
        lines.append(head)
        views = ", ".join(map(view_name, info["views_required"])) + (
            " + optional " + ", ".join(map(view_name, info["views_optional"])) if info["views_optional"] else "")
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
    if args.online:
        _add_balances(infos, lines, out)
    out.finish({"ok": True, "providers": infos}, "\n".join(lines))
    return EXIT_OK


def _add_balances(infos: list[dict], lines: list[str], out) -> None:
    """Each keyed account's balance against the cost of one four-view job (a failure of one
    service is said on its line, never raised: the list is still worth having)."""
    from ..core import providers
    from ..core.errors import FigurineError

    config = providers.ProviderConfig.from_env(online=True)
    for info in infos:
        if not (info["has_balance"] and info["key_set"]):
            continue
        out.progress("providers", f"asking {info['label']} for the account's balance")
        try:
            found = providers.account_balance(info["name"], config=config,
                                              views=("front", "back", "left", "right"))
        except FigurineError as exc:
            info["balance_error"] = exc.one_line()
            lines.append(f"{info['name']}: balance unknown: {exc.one_line()}")
            continue
        info["balance"], info["job_cost"] = found["balance"], found["cost"]
        verdict = "" if found["enough"] is None else (
            " — enough for one job" if found["enough"] else " — NOT enough for one job: top up first")
        cost = f"; one four-view job costs about {found['cost']:.0f}" if found["cost"] is not None else ""
        lines.append(f"{info['name']}: balance {found['balance']:.2f} credits{cost}{verdict}")
