"""Alerts: a failed step reaches a real webhook once per incident (and once more when it is
resolved), a command gets the alert on stdin, a failing target never changes the run, and
`lakeconsole alerts` tests, lists and checks from the command line."""

from __future__ import annotations

import dataclasses
import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lakeconsole.core.applog import setup_logging
from lakeconsole.core.dag import Pipeline, StepContext, StepResult
from lakeconsole.core.events import RunStatus
from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.settings import Settings, load_settings
from tests.tui_fixtures import SYNTHETIC, synthetic_pipeline


class Receiver:
    """A real HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/T0/s3cr3t-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, kind: str) -> list[tuple[str, str]]:
        return [(b["state"], b["incident"]) for b in self.bodies if b["kind"] == kind]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"  # nothing listens there once the socket closed


def with_env(env: dict[str, str], **extra: str) -> Settings:
    return dataclasses.replace(load_settings({**env, **extra}), pipeline=SYNTHETIC)


@dataclasses.dataclass
class Silver:
    broken: bool = False


def flaky(silver: Silver) -> Pipeline:
    """The synthetic pipeline; its silver step fails while `silver.broken`."""
    base = synthetic_pipeline()
    step = base.steps["silver_orders"]

    def run(ctx: StepContext) -> StepResult:
        if silver.broken:
            raise ValueError("column 'qty' changed type")
        return step.run(ctx)

    return Pipeline(
        [
            dataclasses.replace(s, run=run) if s.name == "silver_orders" else s
            for s in base.steps.values()
        ]
    )


def test_a_failing_step_alerts_the_webhook_once_and_once_more_when_resolved(
    env: dict[str, str], receiver: Receiver
) -> None:
    settings = with_env(env, ALERT_WEBHOOK_URL=receiver.url)
    silver = Silver(broken=True)
    flow = flaky(silver)
    for _ in range(3):  # cron failing every hour: one incident
        assert run_pipeline(flow, settings).status == RunStatus.FAILED
    assert receiver.of("step_failed") == [("open", "step-failed:silver_orders")]
    (alert,) = [b for b in receiver.bodies if b["kind"] == "step_failed"]
    assert alert["title"] == "silver_orders failed"
    assert "column 'qty' changed type" in alert["message"]
    assert alert["lake"] == str(settings.data_dir) and alert["run_id"]
    silver.broken = False
    assert run_pipeline(flow, settings).status == RunStatus.SUCCEEDED
    assert run_pipeline(flow, settings).status == RunStatus.SUCCEEDED
    assert receiver.of("step_failed") == [
        ("open", "step-failed:silver_orders"),
        ("resolved", "step-failed:silver_orders"),
    ]
    silver.broken = True
    run_pipeline(flow, settings)  # a new failure is a new incident
    assert receiver.of("step_failed")[-1] == ("open", "step-failed:silver_orders")
    assert len(receiver.of("step_failed")) == 3


def test_a_run_of_other_steps_does_not_resolve_a_failed_step(
    env: dict[str, str], receiver: Receiver
) -> None:
    settings = with_env(env, ALERT_WEBHOOK_URL=receiver.url)
    silver = Silver(broken=True)
    flow = flaky(silver)
    run_pipeline(flow, settings)
    run_pipeline(flow, settings, only="bronze_orders")  # silver did not run: still failing
    assert receiver.of("step_failed") == [("open", "step-failed:silver_orders")]


def test_a_command_target_gets_the_alert_as_json_on_stdin(
    env: dict[str, str], tmp_path: Path
) -> None:
    got = tmp_path / "alerts.jsonl"
    script = f"import sys; open({str(got)!r}, 'a').write(sys.stdin.read() + chr(10))"
    settings = with_env(env, ALERT_COMMAND=f'{sys.executable} -c "{script}"')
    run_pipeline(flaky(Silver(broken=True)), settings)
    kinds = [json.loads(line)["kind"] for line in got.read_text().splitlines()]
    assert "step_failed" in kinds


def test_a_failing_target_is_logged_never_fails_the_run_and_is_retried(
    env: dict[str, str], receiver: Receiver
) -> None:
    down = with_env(env, ALERT_WEBHOOK_URL=closed_port_url())
    setup_logging(down)
    silver = Silver()
    flow = flaky(silver)
    assert run_pipeline(flow, down).status == RunStatus.SUCCEEDED  # the target is down
    silver.broken = True
    outcome = run_pipeline(flow, down)
    assert outcome.status == RunStatus.FAILED and outcome.error is not None
    assert outcome.error.startswith("silver_orders: ")  # the step's own error, not the alert's
    logged = down.log_file.read_text()
    assert "alert step-failed:silver_orders (open) not delivered to webhook" in logged
    # The target back (here: another URL that answers), the next run delivers what it missed.
    run_pipeline(flow, with_env(env, ALERT_WEBHOOK_URL=receiver.url))
    assert receiver.of("step_failed") == [("open", "step-failed:silver_orders")]


def test_without_a_target_a_run_evaluates_nothing(env: dict[str, str]) -> None:
    settings = with_env(env)
    run_pipeline(flaky(Silver(broken=True)), settings)
    assert not (settings.state_dir / "alerts.json").exists()


def test_the_webhook_url_is_masked_in_the_log(env: dict[str, str], receiver: Receiver) -> None:
    settings = with_env(env, ALERT_WEBHOOK_URL=receiver.url)
    setup_logging(settings)
    run_pipeline(flaky(Silver(broken=True)), settings)
    logged = settings.log_file.read_text()
    assert "sent to webhook http://127.0.0.1:" in logged
    assert "s3cr3t-token" not in logged


def test_cli_alerts_test_list_and_check(
    env: dict[str, str],
    receiver: Receiver,
    cli: Callable[..., Any],
) -> None:
    assert cli(["demo"]).returncode == 0
    off = cli(["alerts", "test"])
    assert off.returncode == 2 and "No alert target set: add ALERT_WEBHOOK_URL" in off.stderr
    bad = cli(["alerts"], env={**env, "ALERT_WEBHOOK_URL": "hooks.example.com/x"})
    assert bad.returncode == 2 and "ALERT_WEBHOOK_URL" in bad.stderr
    on = {**env, "ALERT_WEBHOOK_URL": receiver.url}
    sent = cli(["alerts", "test"], env=on)
    assert sent.returncode == 0, sent.stderr
    assert [b["state"] for b in receiver.bodies] == ["test"]
    # Never backed up: the weekly backup (OPS-07) is overdue. `check` alerts it once.
    first = cli(["alerts", "check"], env=on)
    assert first.returncode == 0, first.stderr
    assert ("open", "upkeep:backup") in receiver.of("backup_overdue")
    again = cli(["alerts", "check"], env=on)
    assert "nothing new to alert" in again.stdout
    listed = cli(["alerts", "--json"], env=on)
    shown = json.loads(listed.stdout)
    assert shown["targets"] == [f"webhook http://127.0.0.1:{receiver.server.server_port}"]
    assert "upkeep:backup" in [i["incident"] for i in shown["open"]]
    down = cli(["alerts", "test"], env={**env, "ALERT_WEBHOOK_URL": closed_port_url()})
    assert down.returncode == 1 and "cannot reach it" in down.stderr


def test_a_wrong_alert_setting_stops_the_run_before_it_starts(
    cli: Callable[..., Any], env: dict[str, str]
) -> None:
    assert cli(["demo"]).returncode == 0
    result = cli(["run"], env={**env, "ALERT_WEBHOOK_URL": "hooks.example.com/x"})
    assert result.returncode == 2
    assert "Setting ALERT_WEBHOOK_URL: is not an http(s) URL. write https://host/path" in (
        result.stderr
    )
    assert "step" not in result.stdout  # nothing ran


def test_a_stale_mart_alerts_once_between_runs_and_resolves_after_a_run(
    env: dict[str, str], receiver: Receiver
) -> None:
    from lakeconsole.core.alerts.evaluation import check_now
    from lakeconsole.core.alerts.targets import alert_targets
    from lakeconsole.core.pipeline import load_pipeline
    from tests.test_freshness_lake import two_days_ago

    settings = load_settings({**env, "ALERT_WEBHOOK_URL": receiver.url})
    two_days_ago(settings)  # the sales mart (Daily at 8 AM) was last refreshed 2 days ago
    targets = alert_targets(settings)
    check_now(settings, targets)
    check_now(settings, targets)  # cron every hour: still the same incident
    assert receiver.of("stale_mart") == [("open", "stale-mart:sales")]
    (alert,) = [b for b in receiver.bodies if b["kind"] == "stale_mart"]
    assert "Daily at 8 AM" in alert["message"]
    run_pipeline(load_pipeline(settings), settings)  # refreshed now
    assert receiver.of("stale_mart")[-1] == ("resolved", "stale-mart:sales")
