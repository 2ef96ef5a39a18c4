# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A minimal Chrome DevTools Protocol client (standard library only) to time the dashboard in
headless Chromium: how long until the page's script has drawn the first page of hosts, and how
long a filter takes.

    python tests/integration/browser/cdp.py REPORT.html [--query NAME] [--reps N]

prints one JSON line per repetition: ``ready_s`` (navigation to the page script's
``data-ready``, measured from this process: the main thread answered), ``ready_ms_page``
(``performance.now()`` at ready, when the page records it), ``fcp_ms`` (first contentful
paint), ``filter_s`` (``#q=NAME`` set until the table shows the match), ``matches``,
``js_heap_mb``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from urllib.request import urlopen

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                  "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--window-size=1400,1000"]


class WebSocket(object):
    """Just enough of RFC 6455 for CDP: text frames, client masking, fragmented replies."""

    def __init__(self, url, timeout=300):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        self.sock.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        self.next_id = 0

    def _recv_exact(self, size):
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise IOError("connection closed")
            data += chunk
        return data

    def send(self, text):
        payload = text.encode("utf-8")
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x81, 0x80 | size)
        elif size < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, size)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def recv(self):
        parts = []
        while True:
            first, second = struct.unpack("!BB", self._recv_exact(2))
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", self._recv_exact(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", self._recv_exact(8))[0]
            parts.append(self._recv_exact(size))
            if first & 0x80:
                return b"".join(parts).decode("utf-8")

    def call(self, method, **params):
        self.next_id += 1
        self.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


class Browser(object):
    """Headless Chromium in its own process group with a throw-away profile."""

    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix="banned-av-cdp-")
        self.proc = subprocess.Popen([chromium] + CHROMIUM_FLAGS + ["--user-data-dir=%s" % self.profile,
                                                                    "--remote-debugging-port=0", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        port = open(port_file).read().split("\n")[0].strip()
        pages = [t for t in json.loads(urlopen("http://127.0.0.1:%s/json/list" % port).read().decode()) if t["type"] == "page"]
        self.ws = WebSocket(pages[0]["webSocketDebuggerUrl"])
        self.ws.call("Page.enable")
        self.ws.call("Runtime.enable")

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def wait_for(ws, expression, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = ws.evaluate(expression)
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting for %s" % expression)


def measure(chromium, path, query=None, timeout=300):
    """One load of the dashboard at ``path`` in a new browser: see the module docstring."""
    browser = Browser(chromium)
    try:
        ws = browser.ws
        url = "file://" + os.path.abspath(path)
        start = time.time()
        ws.call("Page.navigate", url=url)
        wait_for(ws, "document.readyState !== 'loading' && document.body && document.body.getAttribute('data-ready') === '1'",
                 timeout)
        ready = time.time() - start
        out = {"ready_s": round(ready, 3),
               "ready_ms_page": ws.evaluate("+(document.body.getAttribute('data-ready-ms') || 0) || null"),
               "fcp_ms": ws.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"),
               "rows": ws.evaluate("+document.body.getAttribute('data-rows')"),
               "hosts_text": ws.evaluate("(document.getElementById('shown') || {}).textContent || null")}
        if query:
            before = ws.evaluate("document.body.getAttribute('data-matches')")
            start = time.time()
            ws.evaluate("location.hash = '#q=' + encodeURIComponent(%s)" % json.dumps(query))
            wait_for(ws, "document.body.getAttribute('data-matches') !== %s" % json.dumps(before), timeout)
            out["filter_s"] = round(time.time() - start, 3)
            out["matches"] = ws.evaluate("+document.body.getAttribute('data-matches')")
            out["first_match"] = ws.evaluate("(document.querySelector('#hosts tbody.host .hn') || {}).textContent || null")
        heap = ws.call("Runtime.getHeapUsage")
        out["js_heap_mb"] = round(heap.get("usedSize", 0) / 1048576.0, 1)
        return out
    finally:
        browser.close()


def main(argv):
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("html")
    parser.add_argument("--query")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args(argv)
    for _rep in range(args.reps):
        print(json.dumps(dict(measure(args.chromium, args.html, args.query), bytes=os.path.getsize(args.html))))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
