"""Serve localstripe on a listening socket handed over by the harness (stripe_server.py).

Run as ``python localstripe_main.py FD``: the harness binds 127.0.0.1 on a port the kernel
picks and passes the socket, so there is no window in which another process could take
the port, and localstripe never listens beyond loopback (its own ``start`` binds ``::``).
"""

from __future__ import annotations

import socket
import sys

from aiohttp import web
from localstripe import server
from localstripe.resources import store

# localstripe pickles its whole store to /tmp/localstripe.pickle after every write: slow,
# and shared by every run on the machine. The harness's store lives in memory only.
store.dump_to_disk = lambda: None


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    web.run_app(server.app, sock=sock, access_log=None, print=None)


if __name__ == "__main__":
    main()
