"""The deploy/ folder and docs/operating.md agree with the code: every `manage.py COMMAND` they
name exists, the environment file documents exactly the variables the settings and gunicorn's
configuration read, and the compose file parses with its four services."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
OPERATING = ROOT / "docs" / "operating.md"
ENV_EXAMPLE = DEPLOY / "fundmgr.env.example"
# Commands that exist only with an optional backend's apps (FUNDMGR_TASKS=rq: django-rq's).
OPTIONAL_COMMANDS = {"rqworker": "FUNDMGR_TASKS=rq"}

COMMAND = re.compile(r"(?:manage\.py|fundmgr-manage)\s+([a-z][a-z0-9_]*)")
ENV_LINE = re.compile(r"^#?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def documents() -> list[Path]:
    files = [p for p in sorted(DEPLOY.iterdir()) if p.is_file()]
    return [*files, OPERATING]


def commands_named(text: str) -> set[str]:
    return set(COMMAND.findall(text))


def variables_read(source: str) -> set[str]:
    """The environment variables a module reads: os.environ.get / os.getenv / os.environ[...],
    the settings' env_bool / env_list / _int helpers, and dj_database_url's DATABASE_URL."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            if func == "dj_database_url.config":
                names.add("DATABASE_URL")
            if func in {"os.environ.get", "os.getenv", "env_bool", "env_list", "_int"}:
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.add(first.value)
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            if isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
    return names


def variables_documented(text: str) -> set[str]:
    return set(ENV_LINE.findall(text))


def test_the_parsers_find_what_they_should():
    text = "`python manage.py check_ledger --x`, manage.py worker, fundmgr-manage migrate"
    assert commands_named(text) == {"check_ledger", "worker", "migrate"}
    source = (
        "import os\nA = os.environ.get('A', '1')\nB = env_bool('B', False)\n"
        "C = os.environ['C']\nD = dj_database_url.config()\nE = _int('E', 2)\n"
    )
    assert variables_read(source) == {"A", "B", "C", "DATABASE_URL", "E"}
    assert variables_documented("# note\nA=1\n#B=\n  # not C=\n") == {"A", "B"}


def test_every_command_named_in_deploy_and_the_operating_guide_exists():
    known = set(get_commands())
    named = {
        name: path.relative_to(ROOT)
        for path in documents()
        for name in commands_named(path.read_text())
    }
    assert {
        "worker",
        "send_reminders",
        "lapse_offers",
        "send_notifications",
        "check_ledger",
    } <= set(named), "the units and the guide name the daily commands and the worker"
    missing = {
        name: str(path)
        for name, path in named.items()
        if name not in known and name not in OPTIONAL_COMMANDS
    }
    assert not missing, f"manage.py commands that do not exist: {missing}"


def test_the_optional_commands_exist_with_their_backend():
    for name, setting in OPTIONAL_COMMANDS.items():
        key, value = setting.split("=")
        done = subprocess.run(
            [sys.executable, "manage.py", name, "--help"],
            cwd=ROOT,
            env={**os.environ, key: value},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("module", ["fundmgr/settings.py", "deploy/gunicorn.conf.py"])
def test_every_variable_read_is_in_the_environment_example(module):
    read = variables_read((ROOT / module).read_text())
    assert read, f"no environment variable found in {module}: the parser is broken"
    undocumented = read - variables_documented(ENV_EXAMPLE.read_text())
    assert not undocumented, (
        f"{module} reads these, not in deploy/fundmgr.env.example: {undocumented}"
    )


def test_every_variable_in_the_environment_example_is_read():
    read = variables_read((ROOT / "fundmgr/settings.py").read_text()) | variables_read(
        (DEPLOY / "gunicorn.conf.py").read_text()
    )
    unknown = variables_documented(ENV_EXAMPLE.read_text()) - read
    assert not unknown, f"deploy/fundmgr.env.example sets what nothing reads: {unknown}"


def test_the_compose_file_parses_with_its_services():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"app", "worker", "postgres", "redis"} <= set(services)
    assert services["postgres"]["image"].endswith("postgres:16")
    assert services["redis"]["image"].endswith("redis:7")
    assert "/healthz" in " ".join(services["app"]["healthcheck"]["test"])
    assert "worker" in services["worker"]["command"]
    assert "media" in compose["volumes"] and "postgres" in compose["volumes"]


def test_the_units_start_what_exists():
    """Each unit's ExecStart runs the venv's gunicorn with our configuration or a manage.py
    command, from /opt/fundmgr, as the fundmgr user, with the environment file."""
    units = sorted(DEPLOY.glob("*.service"))
    assert len(units) >= 6
    for unit in units:
        text = unit.read_text()
        assert "User=fundmgr" in text, unit.name
        assert "EnvironmentFile=/etc/fundmgr/fundmgr.env" in text, unit.name
        assert "WorkingDirectory=/opt/fundmgr" in text, unit.name
        assert "ProtectSystem=strict" in text and "NoNewPrivileges=yes" in text, unit.name
        for line in re.findall(r"^ExecStart=(.*)$", text, re.MULTILINE):
            assert line.startswith(
                (
                    "/opt/fundmgr/.venv/bin/python manage.py ",
                    "/opt/fundmgr/.venv/bin/gunicorn -c deploy/gunicorn.conf.py",
                )
            ), line
    for timer in DEPLOY.glob("*.timer"):
        assert (DEPLOY / f"{timer.stem}.service").exists(), timer.name
        assert "OnCalendar=" in timer.read_text(), timer.name
