"""A real S3 server (moto) on 127.0.0.1 for the tests, the demo and the benchmark: prints its base
URL on the first line of stdout, then serves until its stdin closes or it is terminated.

The one place a moto server is started from (scripts/test.sh, scripts/demo.sh,
tests/deploy/bootstrap_e2e.py and the Rust tests' launcher, ocisync_fakes::moto, all run it).
"""
import os
import sys
import threading

from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print("http://127.0.0.1:%d" % server._server.server_port, flush=True)
if "--until-stdin-closes" in sys.argv:
    # The parent holds our stdin: when it exits (even killed), we do too.
    sys.stdin.read()
    os._exit(0)
threading.Event().wait()
