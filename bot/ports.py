"""Is a TCP port free? Checked before the assistant starts, so it never talks to an older instance by mistake."""
from __future__ import annotations

import errno
import socket
from typing import Dict

PORT_HINT = "another assistant may still be running; stop it or set RASA_PORT / ACTION_PORT"


class PortInUseError(RuntimeError):
    """One or more of the ports the assistant needs are taken by another process."""

    def __init__(self, host: str, taken: Dict[str, int]) -> None:
        self.host, self.taken = host, dict(taken)
        ports = ", ".join(f"{name} port {port}" for name, port in taken.items())
        verb = "is" if len(taken) == 1 else "are"
        super().__init__(f"{ports} on {host} {verb} already in use: {PORT_HINT}")


def port_in_use(host: str, port: int) -> bool:
    """True when binding ``host:port`` fails with "address in use" (something listens there).

    The probe sets ``SO_REUSEADDR`` like the servers themselves (Sanic) do, so sockets of a just-stopped
    server lingering in TIME_WAIT do not count as taken; a listening socket does. Other bind errors (e.g. an
    address that is not on this machine) are raised as they are.
    """
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return True
                raise
    return False


def check_ports_free(host: str, ports: Dict[str, int]) -> None:
    """Raise :class:`PortInUseError` naming every port in ``ports`` (name -> port) that is taken on ``host``."""
    taken = {name: port for name, port in ports.items() if port_in_use(host, port)}
    if taken:
        raise PortInUseError(host, taken)
