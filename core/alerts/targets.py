"""Where alerts go: a command (the alert as JSON on stdin), a webhook (POST JSON), a desktop
notification. Read from the settings; a target that fails is reported, never raised: an alert
must not fail the run it is about."""

from __future__ import annotations

import json
import logging
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lakeconsole.core.settings import Settings, SettingsError

log = logging.getLogger("lakeconsole.alerts")

DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Target:
    """One place alerts go. `name` is what messages call it (never the webhook's secret path)."""

    kind: str  # "command", "webhook", "desktop"
    spec: str
    timeout_s: float

    @property
    def name(self) -> str:
        if self.kind == "webhook":
            # Slack and Teams hooks carry their token in the path: show the host only.
            parts = urlsplit(self.spec)
            return f"webhook {parts.scheme}://{parts.netloc}"
        if self.kind == "command":
            return f"command {shlex.split(self.spec)[0]}"
        return "desktop notification"

    def send(self, alert: dict[str, Any]) -> str | None:
        """Deliver `alert`; None when delivered, else one line saying why not."""
        try:
            if self.kind == "webhook":
                return self._post(alert)
            if self.kind == "command":
                return self._run(alert)
            return self._notify(alert)
        except Exception as exc:  # whatever a target does, the caller goes on
            return f"{type(exc).__name__}: {exc}"

    def _post(self, alert: dict[str, Any]) -> str | None:
        import urllib.error  # here: 20 ms of imports a run without a webhook does not pay
        import urllib.request

        body = json.dumps(alert).encode()
        request = urllib.request.Request(
            self.spec,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "lakeconsole"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            return f"the server answered HTTP {exc.code}"
        except urllib.error.URLError as exc:
            return f"cannot reach it ({exc.reason})"
        except TimeoutError:
            return f"no answer within {self.timeout_s:g} s"
        return None if 200 <= status < 300 else f"the server answered HTTP {status}"

    def _run(self, alert: dict[str, Any]) -> str | None:
        try:
            done = subprocess.run(
                shlex.split(self.spec),
                input=json.dumps(alert),
                capture_output=True,
                text=True,
                timeout=self.timeout_s,
            )
        except FileNotFoundError:
            return "the command was not found (check ALERT_COMMAND)"
        except subprocess.TimeoutExpired:
            return f"it did not finish within {self.timeout_s:g} s"
        if done.returncode:
            said = (done.stderr or done.stdout).strip().splitlines()
            return f"it exited {done.returncode}" + (f": {said[0][:160]}" if said else "")
        return None

    def _notify(self, alert: dict[str, Any]) -> str | None:
        title, text = f"lakeconsole: {alert['title']}", alert["message"]
        if sys.platform == "darwin":
            script = f"display notification {json.dumps(text)} with title {json.dumps(title)}"
            argv = ["osascript", "-e", script]
        elif shutil.which("notify-send"):
            argv = ["notify-send", title, text]
        else:
            return "no desktop notifier here (install libnotify-bin for notify-send)"
        done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout_s)
        return None if done.returncode == 0 else f"{argv[0]} exited {done.returncode}"


def alert_targets(settings: Settings) -> list[Target]:
    """The targets the settings name (none: alerts are off). SettingsError for a wrong value."""
    raw = settings.raw
    timeout = _timeout(raw.get("ALERT_TIMEOUT_S", ""))
    targets = []
    command = raw.get("ALERT_COMMAND", "").strip()
    if command:
        try:
            shlex.split(command)
        except ValueError as exc:
            problem = f"cannot be split into words ({exc})"
            raise SettingsError("ALERT_COMMAND", problem, _QUOTE) from None
        targets.append(Target("command", command, timeout))
    url = raw.get("ALERT_WEBHOOK_URL", "").strip()
    if url:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise SettingsError(
                "ALERT_WEBHOOK_URL", "is not an http(s) URL", "write https://host/path"
            )
        targets.append(Target("webhook", url, timeout))
    desktop = raw.get("ALERT_DESKTOP", "").strip().lower()
    if desktop not in ("", "0", "1", "true", "false", "yes", "no", "on", "off"):
        raise SettingsError("ALERT_DESKTOP", f"is '{desktop}'", "write true or false")
    if desktop in ("1", "true", "yes", "on"):
        targets.append(Target("desktop", "", timeout))
    return targets


_QUOTE = "quote it as a shell would: ALERT_COMMAND=/usr/local/bin/page 'data team'"


def _timeout(text: str) -> float:
    if not text.strip():
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise SettingsError("ALERT_TIMEOUT_S", f"is '{text}'", "write seconds, e.g. 10")
    return value
