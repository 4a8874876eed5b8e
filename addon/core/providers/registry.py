# SPDX-License-Identifier: GPL-3.0-or-later
"""Which providers exist. Adding one = a new module with a ``PROVIDER`` class + one line here."""

from __future__ import annotations

import importlib

from ..errors import BadInputError
from .base import Provider, ProviderConfig

# Order = the order people see them in; the first remote one is the default.
PROVIDER_MODULES = (
    "aistudio3d",
    "fal_hunyuan",
    "tripo",
    "meshy",
    "rodin",
    "hunyuan_server",
    "local",
)
DEFAULT_PROVIDER = "3daistudio"


def provider_classes() -> dict[str, type[Provider]]:
    classes = {}
    for module_name in PROVIDER_MODULES:
        module = importlib.import_module(f".{module_name}", __package__)
        classes[module.PROVIDER.name] = module.PROVIDER
    return classes


def provider_names() -> list[str]:
    return list(provider_classes())


def get_provider(name: str, config: ProviderConfig | None = None) -> Provider:
    classes = provider_classes()
    cls = classes.get(str(name).strip().lower())
    if cls is None:
        raise BadInputError(f"unknown provider {name!r}", hint=f"use one of: {', '.join(classes)}")
    return cls(config or ProviderConfig.from_env())


def list_providers(config: ProviderConfig | None = None) -> list[dict]:
    """Every provider with its capabilities, for `figurine providers` and the panel's menu."""
    config = config or ProviderConfig()
    out = []
    for cls in provider_classes().values():
        info = cls(config).describe()
        info["default"] = cls.name == DEFAULT_PROVIDER
        out.append(info)
    return out
