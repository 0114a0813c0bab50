"""Stage 4 across machines: Airflow on Celery workers and Prefect on a process work pool.

Several processes on one machine stand in for several hosts; every address is loopback and
every piece of shared state (metadata, broker, results, staging, warehouse) is a server, so
the same settings work when the processes move to other hosts.
"""

from __future__ import annotations

import os
import socket

__all__ = ["worker_hostname"]


def worker_hostname() -> str:
    """Airflow's ``hostname_callable``: the host name plus ``STAGE4_WORKER_NAME`` when set, so
    two workers on one machine show up as two hosts in every task instance."""
    name = os.environ.get("STAGE4_WORKER_NAME")
    return f"{socket.getfqdn()}-{name}" if name else socket.getfqdn()
