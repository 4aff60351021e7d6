"""A real headless Chromium for tests, driven over the DevTools protocol (via ``websocket-client``).

It loads a page from ``file://``, reads what the browser *rendered* (layout text, including CSS-generated
content such as quotation marks), clicks, types and catches downloads. The browser gets a fresh profile
and no network use beyond the local DevTools socket; it is started per test and closed afterwards.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("no chromium binary on PATH (install Debian's chromium package to run the browser tests)")
    return found


class Browser:
    """One headless Chromium with one page; ``call`` sends a DevTools command and returns its result."""

    def __init__(self, profile: Path, size: tuple[int, int] = (1280, 1800)) -> None:
        websocket = pytest.importorskip("websocket", reason="the browser tests need websocket-client")
        profile.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
             f"--window-size={size[0]},{size[1]}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > deadline or self._process.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        import urllib.request

        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t["type"] == "page")
        self._ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self._next = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self._next += 1
        self._ws.send(json.dumps({"id": self._next, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == self._next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def open(self, url: str) -> None:
        self.call("Page.enable")
        # Mark the page being left: until the new document is in, the old one also reads 'complete'.
        self.js("window.__left = true")
        self.call("Page.navigate", url=url)
        self.wait_for("!window.__left && document.readyState === 'complete'")

    def wait_for(self, expression: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.js(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(expression)
            time.sleep(0.05)

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def rendered_text(self, selector: str) -> str:
        """The text laid out inside the first element matching ``selector``, as drawn (with generated content).

        Read from the layout tree (``DOMSnapshot``), not the DOM: text that CSS adds (``quotes``,
        ``content``) is there, and text hidden by CSS is not.
        """
        self.js(f"document.querySelector({json.dumps(selector)}).setAttribute('data-probe', '1')")
        snap = self.call("DOMSnapshot.captureSnapshot", computedStyles=[], includeDOMRects=False)
        strings, doc = snap["strings"], snap["documents"][0]
        nodes, layout = doc["nodes"], doc["layout"]
        probe = next(i for i, attrs in enumerate(nodes["attributes"])
                     if any(strings[attrs[j]] == "data-probe" for j in range(0, len(attrs), 2)))
        pseudo = dict(zip(nodes.get("pseudoType", {}).get("index", []),
                          (strings[v] for v in nodes.get("pseudoType", {}).get("value", []))))
        children: dict[int, list[int]] = {}
        for i, parent in enumerate(nodes["parentIndex"]):
            children.setdefault(parent, []).append(i)
        texts: dict[int, str] = {}
        for n, t in zip(layout["nodeIndex"], layout["text"]):
            if t != -1:
                texts[n] = texts.get(n, "") + strings[t]

        def walk(i: int) -> str:
            # Pseudo-elements are listed before the element's children; ::after belongs after them.
            kids = sorted(children.get(i, []), key=lambda c: {"before": -1, "marker": -2, "after": 1}.get(
                pseudo.get(c, ""), 0))
            return texts.get(i, "") + "".join(walk(c) for c in kids)

        pieces = [walk(probe)]
        self.js("document.querySelector('[data-probe]').removeAttribute('data-probe')")
        return " ".join("".join(pieces).split())

    def click(self, selector: str) -> None:
        """A real mouse click at the middle of the element (scrolled into view first)."""
        box = self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                      "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); "
                      "return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def press(self, key: str) -> None:
        """Type one printable key, as a keyboard would."""
        self.call("Input.dispatchKeyEvent", type="keyDown", key=key, text=key)
        self.call("Input.dispatchKeyEvent", type="keyUp", key=key)

    def allow_downloads(self, folder: Path) -> None:
        self.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(folder))

    def screenshot(self, path: Path) -> None:
        import base64

        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        try:
            if getattr(self, "_ws", None) is not None:
                self._ws.close()
        finally:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "profile")
    try:
        yield b
    finally:
        b.close()
