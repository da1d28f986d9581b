"""A Spark Connect URL as lakeconsole shows it: `spark sc://host:port`, never its credentials.

A Spark Connect URL is `sc://host:port/;param=value;...`; Databricks and secured clusters carry
a `token=` there (and may carry `user:password@`). Only the scheme, host and port are ever shown
or logged; the parameter values go to the log redaction (Settings.secret_values).
"""

from __future__ import annotations

import re

SCHEME = "sc://"
# sc://[user[:password]@]host[:port][/][;params]
_URL = re.compile(r"^sc://(?:[^@/;]*@)?(?P<host>[^:/;@]+)(?::(?P<port>\d+))?/?(?P<params>;.*)?$")
DEFAULT_PORT = 15002


class BadRemote(ValueError):
    """The remote is not a Spark Connect URL; the message names the form to use."""


def parse_remote(url: str) -> tuple[str, int]:
    """(host, port) of a Spark Connect URL; BadRemote otherwise."""
    m = _URL.match(url.strip())
    if not m:
        raise BadRemote(
            f"'{shown_remote(url)}' is not a Spark Connect URL: use sc://host:15002 "
            "(Databricks: sc://<workspace>:443/;token=...;x-databricks-cluster-id=...)"
        )
    return m["host"], int(m["port"] or DEFAULT_PORT)


def shown_remote(url: str) -> str:
    """The URL without credentials or parameters: what a log line, a run record may say."""
    m = _URL.match(url.strip())
    if m:
        return f"{SCHEME}{m['host']}:{m['port'] or DEFAULT_PORT}"
    head = url.strip().split(";", 1)[0].split("?", 1)[0]
    return re.sub(r"//[^@/]*@", "//", head)


def remote_secrets(url: str) -> list[str]:
    """What in the URL must never be logged: its parameter values and a user's password."""
    if not url:
        return []
    found: list[str] = []
    for param in url.split(";")[1:]:
        _, _, value = param.partition("=")
        if len(value) >= 4:
            found.append(value)
    userinfo = re.match(r"^sc://([^@/;]*)@", url.strip())
    if userinfo:
        found += [p for p in userinfo[1].split(":") if len(p) >= 4]
    return found
