"""One truth for settings: every default that docker-compose.yml, the Kubernetes base and the
README's configuration table state is the services' own default (their settings classes), and
every value a deployment sets on purpose is listed here with its reason."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from facerec_stream.settings import StreamSettings
from pydantic_settings import BaseSettings

from facerec_detector.settings import DetectorSettings
from facerec_embedder.settings import EmbedderSettings
from facerec_gateway.settings import GatewaySettings
from facerec_registry.settings import RegistrySettings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS: list[type[BaseSettings]] = [
    GatewaySettings,
    DetectorSettings,
    EmbedderSettings,
    RegistrySettings,
    StreamSettings,
]

# Values a deployment sets on purpose, not restating a default: (where, variable) -> why.
DELIBERATE = {
    ("compose", "FACEREC_GATEWAY_DETECTOR_ADDRESS"): "the detector's service name",
    ("compose", "FACEREC_GATEWAY_EMBEDDER_ADDRESS"): "the embedder's service name",
    ("compose", "FACEREC_GATEWAY_REGISTRY_ADDRESS"): "the registry's service name",
    ("compose", "FACEREC_STREAM_DETECTOR_ADDRESS"): "the detector's service name",
    ("compose", "FACEREC_STREAM_EMBEDDER_ADDRESS"): "the embedder's service name",
    ("compose", "FACEREC_STREAM_REGISTRY_ADDRESS"): "the registry's service name",
    ("k8s", "FACEREC_GATEWAY_DETECTOR_ADDRESS"): "the detector's headless Service, resolved per replica",
    ("k8s", "FACEREC_GATEWAY_EMBEDDER_ADDRESS"): "the embedder's headless Service, resolved per replica",
    ("k8s", "FACEREC_GATEWAY_REGISTRY_ADDRESS"): "the registry's headless Service, resolved per replica",
    ("k8s", "FACEREC_STREAM_DETECTOR_ADDRESS"): "the detector's headless Service, resolved per replica",
    ("k8s", "FACEREC_STREAM_EMBEDDER_ADDRESS"): "the embedder's headless Service, resolved per replica",
    ("k8s", "FACEREC_STREAM_REGISTRY_ADDRESS"): "the registry's headless Service, resolved per replica",
    ("k8s", "FACEREC_GATEWAY_PRODUCTION"): "a cluster is production: no docs or console, keys required",
    ("k8s", "FACEREC_GATEWAY_AUTH_MODE"): "production needs API keys",
    ("k8s", "FACEREC_DETECTOR_WORKERS"): "one detection per core of the pod's CPU limit (2), not the node's cores",
    ("k8s", "FACEREC_EMBEDDER_INTRA_OP_THREADS"): "one thread per call; the pod's replicas scale out instead",
}


def _field(variable: str) -> tuple[type[BaseSettings], str] | None:
    for cls in SETTINGS:
        prefix = str(cls.model_config.get("env_prefix", ""))
        if variable.startswith(prefix):
            name = variable[len(prefix) :].lower()
            if name in cls.model_fields:
                return cls, name
    return None


def _default(variable: str) -> str | None:
    """A service's own default for `variable`, written as an environment value would be."""
    found = _field(variable)
    if found is None:
        return None
    cls, name = found
    # A default_factory's value too (the stream service's cameras: []).
    value: Any = cls.model_fields[name].get_default(call_default_factory=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, separators=(",", ":"))
    return None if value is None else str(value)


def _same(stated: str, default: str) -> bool:
    try:
        return float(stated) == float(default)
    except ValueError:
        return stated.strip().lower() == default.strip().lower()


def compose_settings() -> dict[tuple[str, str], str]:
    """(variable, "default" or "value") -> what docker-compose.yml states."""
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    stated: dict[tuple[str, str], str] = {}
    for service in doc["services"].values():
        for variable, value in (service.get("environment") or {}).items():
            text = str(value)
            interpolated = re.fullmatch(r"\$\{([A-Z0-9_]+):-([^}]*)\}", text)
            if interpolated:
                stated[(variable, "default")] = interpolated.group(2)
            elif "${" not in text:
                stated[(variable, "value")] = text
    return stated


def k8s_settings() -> dict[str, str]:
    stated: dict[str, str] = {}
    manifests = sorted((ROOT / "deploy/k8s/base").glob("*.yaml"))
    assert manifests, "no Kubernetes manifests found"
    for path in manifests:
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            if doc["kind"] == "ConfigMap":
                stated.update({k: str(v) for k, v in doc["data"].items()})
            if doc["kind"] == "Deployment":
                for container in doc["spec"]["template"]["spec"]["containers"]:
                    stated.update({e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e})
    return stated


def readme_defaults() -> dict[str, str]:
    """The configuration table: `FACEREC_X_A` / `_B` | `a` / `b` rows, expanded."""
    section = (ROOT / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    stated: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`FACEREC_"):
            continue
        names = re.findall(r"`([A-Z0-9_]+)`", cells[0])
        values = re.findall(r"`([^`]*)`", cells[1])
        if len(names) != len(values) or (" / " not in cells[1] and len(values) != 1):
            continue  # a row that states no single default per variable (e.g. ranges of ports)
        prefix = "_".join(names[0].split("_")[:2])
        for name, value in zip(names, values, strict=True):
            stated[prefix + name if name.startswith("_") else name] = value
    return stated


def test_compose_defaults_are_the_services_defaults() -> None:
    checked = 0
    for (variable, kind), stated in compose_settings().items():
        default = _default(variable)
        if default is None:
            continue
        checked += 1
        if kind == "value" and ("compose", variable) in DELIBERATE:
            continue
        assert _same(stated, default), (
            f"docker-compose.yml states {variable}={stated}, the service's default is {default}"
        )
    assert checked >= 5


def test_kubernetes_values_are_defaults_or_deliberate() -> None:
    checked = 0
    for variable, stated in k8s_settings().items():
        default = _default(variable)
        if default is None:
            continue
        checked += 1
        if ("k8s", variable) in DELIBERATE:
            assert not _same(stated, default), f"{variable} is listed as deliberate but is the default"
            continue
        assert _same(stated, default), f"deploy/k8s/base sets {variable}={stated}, the service's default is {default}"
    assert checked >= 5


def test_readme_table_states_the_services_defaults() -> None:
    checked = 0
    for variable, stated in readme_defaults().items():
        default = _default(variable)
        if default is None or stated in {"unset", "see"}:
            continue
        checked += 1
        assert _same(stated, default), f"README says {variable} defaults to {stated}, the service's is {default}"
    assert checked >= 15


def test_every_deliberate_value_is_still_set() -> None:
    compose = {variable for variable, kind in compose_settings() if kind == "value"}
    k8s = set(k8s_settings())
    for where, variable in DELIBERATE:
        assert variable in (compose if where == "compose" else k8s), f"{variable} no longer set in {where}"
