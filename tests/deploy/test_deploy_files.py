"""The deploy stack as files: docker-compose, Grafana provisioning, collector, Kubernetes manifests. Parsed
with PyYAML; every file they mount or reference must exist in the repository and the pieces must agree."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
import yaml
from deploy_support import DASHBOARDS, DEPLOY, REPO

COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
K8S = DEPLOY / "kubernetes"


def k8s_docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            out.append((source, target))
    return out


def test_compose_has_the_whole_stack() -> None:
    assert {"demo", "proxy", "prometheus", "alertmanager", "grafana", "otel-collector", "tempo"} <= set(
        SERVICES
    )
    assert "--enable-feature=exemplar-storage" in SERVICES["prometheus"]["command"]
    for name, service in SERVICES.items():
        for dep in service.get("depends_on", []):
            assert dep in SERVICES, f"{name} depends on unknown service {dep}"
        mode = service.get("network_mode", "")
        if mode.startswith("service:"):
            assert mode.removeprefix("service:") in SERVICES


def test_every_file_compose_mounts_or_builds_exists() -> None:
    checked = 0
    for name, service in SERVICES.items():
        for source, _ in bind_mounts(service):
            path = (DEPLOY / source).resolve()
            assert path.exists(), f"{name} mounts {source}, missing: {path}"
            assert REPO in path.parents, f"{name} mounts {source} from outside the repository"
            checked += 1
        build = service.get("build")
        if build:
            context = (DEPLOY / build["context"]).resolve()
            assert (context / build["dockerfile"]).is_file()
    assert checked >= 8
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (.+)$", dockerfile, flags=re.M):
        for source in line.split()[:-1]:
            assert (REPO / source).exists(), f"Dockerfile copies missing {source}"


def test_prometheus_scrapes_what_compose_runs() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    shares = SERVICES["prometheus"]["network_mode"].removeprefix("service:")
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            for target in static["targets"]:
                host, port = target.rsplit(":", 1)
                assert host == "localhost" or host in SERVICES, f"{job['job_name']}: unknown host {host}"
                if host == "localhost" and job["job_name"] != "prometheus":
                    # localhost is the demo's namespace: the demo must serve that port
                    assert f"--metrics-port={port}" in SERVICES[shares]["command"]
    assert any("claude-otel" in job["job_name"] for job in config["scrape_configs"])
    (am,) = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert am.split(":")[0] in SERVICES
    mounted = {target for source, target in bind_mounts(SERVICES["prometheus"])}
    assert "/etc/prometheus/alerts.yml" in mounted and config["rule_files"] == ["alerts.yml"]


def test_grafana_provisioning_loads_the_generated_dashboards_and_links_exemplars_to_traces() -> None:
    mounts = dict(bind_mounts(SERVICES["grafana"]))
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/dashboards.yml").read_text())
    path = provider["providers"][0]["options"]["path"]
    assert (DEPLOY / next(s for s, t in mounts.items() if t == path)).resolve() == (
        DASHBOARDS / "json"
    ).resolve()
    datasources = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/datasources.yml").read_text())
    by_uid = {d["uid"]: d for d in datasources["datasources"]}
    prometheus = by_uid["prometheus"]
    (dest,) = prometheus["jsonData"]["exemplarTraceIdDestinations"]
    assert dest["name"] == "trace_id" and by_uid[dest["datasourceUid"]]["type"] == "tempo"
    host = re.match(r"http://([^:/]+)", prometheus["url"]).group(1)
    # Prometheus lives in the demo's network namespace: its address is the demo service's
    assert host == SERVICES["prometheus"]["network_mode"].removeprefix("service:")
    assert "9090:9090" in SERVICES[host]["ports"]
    for d in datasources["datasources"]:
        assert re.match(r"http://([^:/]+)", d["url"]).group(1) in SERVICES


def test_collector_pipelines_use_defined_components_and_reach_tempo_and_prometheus() -> None:
    config = yaml.safe_load((DEPLOY / "otel-collector/config.yaml").read_text())
    for name, pipeline in config["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline.get(kind, []):
                assert component in config[kind], f"pipeline {name}: {kind} {component} undefined"
    assert set(config["service"]["pipelines"]) == {"traces", "metrics", "logs"}
    # the incident log records reach Loki, which Grafana reads (and links to Tempo by trace id)
    assert config["exporters"]["otlphttp/loki"]["endpoint"].startswith("http://loki:3100/")
    assert "loki" in SERVICES and "loki" in SERVICES["otel-collector"]["depends_on"]
    assert config["exporters"]["otlp/tempo"]["endpoint"].split(":")[0] == "tempo"
    assert config["exporters"]["prometheus"]["enable_open_metrics"] is True
    for name in ("demo", "proxy"):  # both export their spans to the collector
        assert SERVICES[name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    tempo = yaml.safe_load((DEPLOY / "tempo/tempo.yaml").read_text())
    assert "otlp" in tempo["distributor"]["receivers"]


def test_alertmanager_routes_to_defined_receivers() -> None:
    config = yaml.safe_load((DEPLOY / "alertmanager/alertmanager.yml").read_text())
    receivers = {r["name"] for r in config["receivers"]}
    routes = [config["route"], *config["route"].get("routes", [])]
    assert all(r["receiver"] in receivers for r in routes)


def test_prometheusrule_is_generated_from_alerts_yml() -> None:
    result = subprocess.run(
        [sys.executable, str(K8S / "gen_prometheusrule.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    (rule,) = k8s_docs("prometheusrule.yaml")
    assert rule["kind"] == "PrometheusRule" and rule["apiVersion"] == "monitoring.coreos.com/v1"
    alerts = yaml.safe_load((DEPLOY / "prometheus/alerts.yml").read_text())
    assert rule["spec"]["groups"] == alerts["groups"]


def test_servicemonitor_service_and_deployment_agree() -> None:
    (monitor,) = k8s_docs("servicemonitor.yaml")
    docs = {d["kind"]: d for d in k8s_docs("proxy-deployment.yaml")}
    service, deployment = docs["Service"], docs["Deployment"]
    assert monitor["kind"] == "ServiceMonitor"
    labels = monitor["spec"]["selector"]["matchLabels"]
    assert labels.items() <= service["metadata"]["labels"].items()
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    port_names = {p["name"] for p in container["ports"]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert all(p["targetPort"] in port_names for p in service["spec"]["ports"])
    assert endpoint["path"] == container["readinessProbe"]["httpGet"]["path"] == "/_claude-otel/metrics"
    assert container["args"][0] == "proxy" and "--listen=0.0.0.0:8787" in container["args"]
    # the TargetDown alert must match the job the operator derives from the Service name
    assert "claude-otel" in service["metadata"]["name"]


def test_prometheusrule_generator_rejects_a_rules_file_without_groups() -> None:
    sys.path.insert(0, str(K8S))
    try:
        import gen_prometheusrule
    finally:
        sys.path.remove(str(K8S))
    with pytest.raises(ValueError, match="groups"):
        gen_prometheusrule.render("rules: []\n")
    rendered = yaml.safe_load(gen_prometheusrule.render((DEPLOY / "prometheus/alerts.yml").read_text()))
    assert rendered["kind"] == "PrometheusRule"
