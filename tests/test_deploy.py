"""deploy/: the compose file, the worker image and the systemd unit, checked by reading them (Docker and a
running systemd are not available on the test machines): valid YAML, the services and volumes each refers
to exist, every file the image copies is in the repository, and the worker commands are ones `losi`
accepts, with the broker and the store named by the hosts compose gives them."""

from __future__ import annotations

import re
import shlex

import yaml

from losi.cli import build_parser
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def _expand(text: str, env: dict[str, str]) -> str:
    """${VAR} and ${VAR:-default} as compose and systemd expand them."""
    def one(match: re.Match[str]) -> str:
        name, _, default = match.group(1).partition(":-")
        return env.get(name, default)

    return re.sub(r"\$\{([^}]+)\}", one, text)


def _parses(argv: list[str]) -> object:
    parser, _ = build_parser()
    return parser.parse_args(argv)


def test_compose_file() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"redis", "postgres", "worker"}
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith(".") or source in compose["volumes"], (name, volume)
        for dependency in service.get("depends_on", {}):
            assert dependency in services and "healthcheck" in services[dependency]

    worker = services["worker"]
    assert worker["deploy"]["replicas"] >= 2
    assert (DEPLOY / worker["build"]["context"] / worker["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    command = [_expand(arg, {"LOSI_DB_PASSWORD": "secret"}) for arg in worker["command"]]
    args = _parses(command)
    assert args.command == "worker"
    assert args.broker == "redis://redis:6379/0"
    assert args.db == "postgresql+psycopg://losi:secret@postgres:5432/losi"
    postgres = services["postgres"]["environment"]
    assert _expand(postgres["POSTGRES_PASSWORD"], {"LOSI_DB_PASSWORD": "secret"}) == "secret"
    assert (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]) == ("losi", "losi")
    assert str(args.data_dir) in [v.split(":")[1] for v in worker["volumes"]]
    assert (DEPLOY / "input").is_dir()  # mounted read-only for the portal lists


def test_worker_image_copies_what_exists() -> None:
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()
    copies = [line.split()[1:-1] for line in lines if line.startswith("COPY ")]
    assert copies
    for sources in copies:
        for source in sources:
            assert (ROOT / source).exists(), source
    packages = re.search(r'include = \[([^]]+)\]', (ROOT / "pyproject.toml").read_text()).group(1)  # type: ignore[union-attr]
    for package in re.findall(r'"(\w+)\*"', packages):
        assert [package] in copies or any(package in c for c in copies), f"the image lacks the {package} package"
    assert any(line.startswith("ENTRYPOINT") and "/opt/losi/.venv/bin/losi" in line for line in lines)


def test_systemd_worker_unit() -> None:
    unit = (DEPLOY / "systemd" / "losi-worker@.service").read_text(encoding="utf-8")
    env = dict(line.split("=", 1) for line in (DEPLOY / "systemd" / "worker.env.example").read_text().splitlines()
               if line and not line.startswith("#"))  # fmt: skip
    exec_start = next(line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("ExecStart="))
    argv = shlex.split(_expand(exec_start, env).replace("%i", "1").replace("%H", "host"))
    assert argv[0] == "/opt/losi/.venv/bin/losi"
    args = _parses(argv[1:])
    assert (args.command, args.broker, args.db) == ("worker", env["LOSI_BROKER"], env["LOSI_DB"])
    assert str(args.data_dir) == env["LOSI_DATA_DIR"]
    assert "KillMode=mixed" in unit and "EnvironmentFile=/etc/losi/worker.env" in unit
    assert "WantedBy=multi-user.target" in unit
