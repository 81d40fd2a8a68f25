"""The deployment's HAProxy configuration (deploy/haproxy.cfg), rendered for replicas on loopback.

Only addresses change: each ``bind`` gets a loopback port, each backend's ``server`` lines are replaced by
one line per replica with the parameters of the first one (``cookie`` and ``track`` naming the replica), and the
Docker DNS resolver is dropped. Everything that decides routing, health and retries stays as deployed, so
``python -m bot.cluster``, the chaos tests and the benchmark exercise the production file.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Sequence

ROOT = Path(__file__).resolve().parent.parent
DEPLOYED_CONFIG = ROOT / "deploy" / "haproxy.cfg"
FRONTEND_PORT, STATS_PORT = 8080, 8404   # the ports deploy/haproxy.cfg binds
SECTION = re.compile(r"^(global|defaults|frontend|backend|listen|resolvers|peers|userlist|program)\b")


def haproxy_binary() -> str:
    """Path of ``haproxy`` (Debian package ``haproxy``)."""
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if found is None:
        raise FileNotFoundError("haproxy not found; install it: apt-get install -y haproxy")
    return found


def _server_lines(template: str, names_ports: Sequence[tuple], host: str) -> List[str]:
    """One ``server`` line per replica from the backend's first line: same parameters, new name/address."""
    indent = template[: len(template) - len(template.lstrip())]
    parameters = template.split()[3:]
    lines = []
    for name, port in names_ports:
        params = list(parameters)
        if "cookie" in params:
            params[params.index("cookie") + 1] = name
        if "track" in params:   # track <backend>/<server>: the same replica in the checked backend
            position = params.index("track") + 1
            params[position] = f"{params[position].split('/')[0]}/{name}"
        lines.append(f"{indent}server {name} {host}:{port}" + (" " + " ".join(params) if params else ""))
    return lines


def render_loopback(source: str, listen_port: int, stats_port: int, replica_ports: Sequence[int],
                    host: str = "127.0.0.1") -> str:
    """``source`` (deploy/haproxy.cfg) with loopback addresses: the frontend on ``listen_port``, statistics
    on ``stats_port`` and servers ``rasa1..N`` on ``replica_ports``."""
    binds: Dict[str, str] = {f":{FRONTEND_PORT}": f"{host}:{listen_port}", f":{STATS_PORT}": f"{host}:{stats_port}"}
    names_ports = [(f"rasa{index}", port) for index, port in enumerate(replica_ports, start=1)]
    output: List[str] = []
    in_resolvers = servers_written = False
    for line in source.splitlines():
        stripped = line.strip()
        if SECTION.match(line):
            in_resolvers = line.startswith("resolvers")
            servers_written = False
        if in_resolvers:
            continue
        words = stripped.split()
        if words[:1] == ["bind"] and len(words) > 1 and words[1] in binds:
            output.append(line.replace(words[1], binds[words[1]], 1))
        elif words[:1] == ["server"]:
            if not servers_written:
                output.extend(_server_lines(line, names_ports, host))
                servers_written = True
        elif words[:1] == ["default-server"]:
            output.append(re.sub(r"\s+resolvers\s+\S+", "", line))
        else:
            output.append(line)
    return "\n".join(output) + "\n"


def check_config(path: Path) -> subprocess.CompletedProcess:
    """``haproxy -c -f path``: the configuration parses (returncode 0) or the errors say why."""
    return subprocess.run([haproxy_binary(), "-c", "-f", str(path)], capture_output=True, text=True, timeout=60)


def haproxy_command(config: Path) -> List[str]:
    """Run HAProxy in the foreground (``-db``) with ``config``; logs go to stdout."""
    return [haproxy_binary(), "-db", "-f", str(config)]
