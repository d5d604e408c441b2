"""Run inside a private network namespace (`unshare -n`) by test_partition.py.

    python -m tests.faults.partition DATABASE_URL SOCKET_PATH PORT

The namespace's loopback reaches PostgreSQL through socat and a Unix socket that the parent
relays to the server. Taking the loopback down then drops every packet, as a network
partition does, which a user-space proxy cannot imitate for open connections. Prints one JSON
object: the status and duration of a request before, during and after the partition.
"""

import json
import os
import signal
import subprocess
import sys
import time

from sqlalchemy.engine import make_url

from jichikai import create_app

# A QR card's link looks its card up: a query, no login.
PATH = "/c/no-such-card"


def main(url: str, socket_path: str, port: int) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    relay = subprocess.Popen(
        [
            "socat",
            f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork",
            f"UNIX-CONNECT:{socket_path}",
        ],
        stdout=subprocess.DEVNULL,  # its forked children must not hold the parent's pipes
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # one process group with its forked children
    )
    try:
        time.sleep(0.3)
        target = make_url(url).set(host="127.0.0.1", port=port)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": target.render_as_string(hide_password=False),
                "SECRET_KEY": "partition-test",
            }
        )
        client = app.test_client()
        results = {"before": _timed(client)}
        subprocess.run(["ip", "link", "set", "lo", "down"], check=True)
        results["during"] = _timed(client)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        results["after"] = _timed(client)
        print(json.dumps(results))
    finally:
        os.killpg(relay.pid, signal.SIGTERM)


def _timed(client) -> dict:
    started = time.monotonic()
    response = client.get(PATH)
    return {"status": response.status_code, "seconds": time.monotonic() - started}


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
