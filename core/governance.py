"""The governance check: every way the lake and the project break the runbook, as findings.

`findings(settings)` is what `lakeconsole check` prints and the dashboard shows. Each finding
names its rule, its subject and the fix. Blocking (reads the lake, runs git): call it off the
UI thread. On a lake in a bucket every check reads through the storage layer (the mart READMEs
are the project's: core.marts.readme); a check that reads local files only would be skipped
there and named (`not_checked`, LOCAL_ONLY).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath, Location

if TYPE_CHECKING:
    import pyarrow as pa

    from lakeconsole.core.marts.readme import Mart

log = logging.getLogger("lakeconsole.governance")

# Upkeep items (core.upkeep) that are governance findings when overdue, with their rule and fix.
UPKEEP_RULES = {
    "vacuum": ("OPS-03", "run `lakeconsole vacuum` (or `lakeconsole maintain` from cron)"),
    "backup": ("OPS-07", "run `lakeconsole backup` (or `lakeconsole maintain` from cron)"),
}
# Layers whose tables carry a schema contract (OPS-06).
CONTRACT_LAYERS = ("silver", "gold")
GIT_TIMEOUT_S = 20
DAMAGE = "DAMAGE"  # sorts before the OPS rules: a broken table comes first


@dataclass(frozen=True, order=True)
class Finding:
    """One problem: the rule it breaks (e.g. OPS-05), what it is about, and the fix."""

    code: str
    subject: str
    message: str

    def line(self) -> str:
        return f"{self.code} {self.subject}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _examples(items: list[str], limit: int = 3) -> str:
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


# --- DAMAGE: a table whose log or live files are broken (core.table_health) ---


def damage_findings(settings: Settings) -> list[Finding]:
    """Tables with an empty, unreadable or missing commit or checkpoint, or lost live files."""
    from lakeconsole.core.maintenance.tables import table_name
    from lakeconsole.core.table_health import table_damage

    out = []
    for path in _tables(settings):
        name = table_name(settings.lake_root, path)
        out += [Finding(DAMAGE, name, d.message) for d in table_damage(path, name)]
    return out


def _tables(settings: Settings) -> list[Path] | list[Location]:
    """The lake's tables, on disk or in a bucket."""
    from lakeconsole.core.lake import find_tables

    return find_tables(settings.lake_root)


def _damaged(path: LakePath) -> bool:
    """Skip a damaged table in the other checks: damage_findings names it, with the fix."""
    from lakeconsole.core.table_health import log_damage

    return bool(log_damage(path))


# --- OPS-05: a README per mart, with its sections and an up-to-date column dictionary ---


def mart_findings(settings: Settings) -> list[Finding]:
    """Marts without README, with missing or empty sections, or with a stale column dictionary."""
    from lakeconsole.core.contracts import declared_tables
    from lakeconsole.core.marts.dictionary import dictionary_current
    from lakeconsole.core.marts.readme import lake_marts, readme_state

    declared = declared_tables(settings)
    out = []
    for mart in lake_marts(settings):
        subject = f"gold/{mart.name}"
        state = readme_state(mart.path)
        if state.status == "missing":
            out.append(
                Finding(
                    "OPS-05",
                    subject,
                    _no_readme(mart),
                )
            )
            continue
        if not state.complete:
            out.append(
                Finding(
                    "OPS-05",
                    subject,
                    (
                        f"README.md {state.label()}: write them in {mart.readme} "
                        "(or in the console's mart view, key d)"
                    ),
                )
            )
        if mart.tables and not dictionary_current(mart, settings.lake_root, declared):
            out.append(
                Finding(
                    "OPS-05",
                    subject,
                    (
                        "README.md column dictionary does not match the tables' schemas: "
                        f"run `lakeconsole marts refresh {mart.name}`"
                    ),
                )
            )
    return out


def _no_readme(mart: Mart) -> str:
    """The fix for a mart without README; for a lake in a bucket that holds one beside the
    tables (copied up with the lake), where it belongs instead."""
    from lakeconsole.core.marts.readme import README

    in_lake = mart.lake_folder / README
    if isinstance(in_lake, Location) and in_lake.exists():
        return (
            f"no README.md at {mart.readme}, where the READMEs of a lake in a bucket are kept "
            f"(versioned with the code, OPS-07); the bucket holds one at {in_lake}: copy it "
            f"there (aws s3 cp {in_lake} {mart.readme})"
        )
    return (
        f"no README.md: run `lakeconsole marts new {mart.name}` and fill in "
        "Business Definition, Owner and Refresh Rate"
    )


# --- OPS-05 / OPS-09: a Refresh Rate that is not a schedule, a mart not refreshed on time ---


def freshness_findings(settings: Settings) -> list[Finding]:
    """Marts whose Refresh Rate cannot be read, and marts stale by theirs (core.marts.freshness)."""
    import time

    from lakeconsole.core.marts.freshness import UNREADABLE, mart_freshness

    def when(at: float | None) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(at)) if at else "never"

    out = []
    for mart in mart_freshness(settings):
        subject = f"gold/{mart.mart}"
        if mart.state == UNREADABLE:
            out.append(Finding("OPS-05", subject, f"README.md {mart.problem}"))
        elif mart.stale and mart.schedule is not None:
            since = f"since {when(mart.stale_since)}" if mart.stale_since else "never refreshed"
            out.append(
                Finding(
                    "OPS-09",
                    subject,
                    (
                        f"stale {since}: last refreshed {when(mart.last_success)}, due "
                        f"{when(mart.next_due)} by its Refresh Rate '{mart.refresh_rate}' "
                        f"({mart.schedule.zone_label}); run `lakeconsole run` and see "
                        "`lakeconsole runs` for why the scheduled run did not refresh it"
                    ),
                )
            )
    return out


# --- OPS-06: schema contracts and versions ---


def _table_contract_findings(
    name: str, path: LakePath, schema: pa.Schema | None, version: str | None
) -> list[Finding]:
    from lakeconsole.core.contracts import (
        ContractError,
        check_schema_change,
        parse_version,
        required_version,
        schema_diff,
        table_schema,
        table_version,
    )

    actual = table_schema(path)
    current = table_version(path)
    out = []
    if current is None:
        out.append(
            Finding(
                "OPS-06",
                name,
                (
                    "no schema version recorded (table property or commit userMetadata): "
                    "the next pipeline run stamps the declared one"
                ),
            )
        )
    if schema is None or version is None:
        return out
    diff = schema_diff(actual, schema)
    try:
        check_schema_change(actual, current, schema, version, table=name)
    except ContractError as exc:
        minimum = required_version(parse_version(current or "0.0.0"), diff)
        fix = f"Declare version {minimum} or later for this table in the pipeline definition."
        if diff.empty:  # the declared version went backwards
            out.append(Finding("OPS-06", name, str(exc).removeprefix(f"{name}: ")))
        else:
            out.append(
                Finding(
                    "OPS-06",
                    name,
                    (
                        f"version not bumped: schema differs from its contract ({diff.summary()}) "
                        f"and "
                        f"{version} is not a {diff.required_bump.label} bump from "
                        f"{current or '0.0.0'}. {fix}"
                    ),
                )
            )
        return out
    if not diff.empty:
        out.append(
            Finding(
                "OPS-06",
                name,
                (
                    f"schema differs from its contract ({diff.summary()}): "
                    "run `lakeconsole run` to "
                    f"write it as version {version}"
                ),
            )
        )
    return out


def _history_findings(name: str, path: LakePath) -> list[Finding]:
    """Schema changes committed without the bump they needed, until a later version covers them."""
    from lakeconsole.core.contracts import parse_version, schema_changes, table_version

    current_raw = table_version(path)
    current = parse_version(current_raw) if current_raw else None
    out = []
    for change in schema_changes(path):
        if change.bumped_enough or (current is not None and current >= change.required):
            continue
        out.append(
            Finding(
                "OPS-06",
                name,
                (
                    f"version not bumped: commit {change.commit} changed the schema "
                    f"({change.diff.summary()}) under version {change.after or 'none'} after "
                    f"{change.before}, not a {change.diff.required_bump.label} bump: declare "
                    f"{change.required} or later and run the pipeline, so readers can tell the "
                    "schemas apart"
                ),
            )
        )
    return out


def contract_findings(settings: Settings) -> list[Finding]:
    """Silver/gold tables whose schema or version disagrees with the pipeline definition."""
    from lakeconsole.core.contracts import declared_tables
    from lakeconsole.core.maintenance.tables import table_name

    declared = {d.name: d for d in declared_tables(settings)}
    out = []
    for path in _tables(settings):
        name = table_name(settings.lake_root, path)
        if name.split("/")[0] not in CONTRACT_LAYERS or _damaged(path):
            continue
        out.extend(_history_findings(name, path))
        spec = declared.get(name)
        if spec is None:
            if declared:
                out.append(
                    Finding(
                        "OPS-06",
                        name,
                        (
                            "no contract: declare its schema and version in the pipeline "
                            f"definition ({_tables_home(settings)}), or delete the table's "
                            "folder if the pipeline no longer writes it"
                        ),
                    )
                )
            continue
        out.extend(_table_contract_findings(name, path, spec.schema, spec.version))
    return out


def _tables_home(settings: Settings) -> str:
    """Where a user declares a table: in the pipeline module (pipeline.silver/.gold/.table),
    or the TABLES next to a pipeline of bare steps."""
    from lakeconsole.core.pipeline import TABLES_ATTR, loaded_or_none

    pipeline = loaded_or_none(settings)
    module = pipeline.source.partition(":")[0] if pipeline else settings.pipeline
    if pipeline is not None and pipeline.declared is not None:
        return f"{module}, with its Pipeline's .silver/.gold/.table(...)"
    return f"{module}.{TABLES_ATTR}"


# --- OPS-01: what the pipeline itself finds (e.g. its state ahead of its tables) ---


def pipeline_findings(settings: Settings) -> list[Finding]:
    """The loaded pipeline's own findings. A pipeline that does not load is the finding."""
    from lakeconsole.core.dag import PipelineError
    from lakeconsole.core.pipeline import load_pipeline

    try:
        pipeline = load_pipeline(settings)
    except PipelineError as exc:
        return [Finding("OPS-01", "pipeline", str(exc))]
    return pipeline.check_findings(settings)


# --- OPS-03 / OPS-07: upkeep overdue, deleted-file retention ---


def upkeep_findings(settings: Settings) -> list[Finding]:
    """Vacuum or backup overdue, as the upkeep summary reports them."""
    from lakeconsole.core.upkeep import upkeep_status

    out = []
    for item in upkeep_status(settings):
        rule = UPKEEP_RULES.get(item.name)
        if rule and item.overdue:
            code, fix = rule
            out.append(Finding(code, item.name, f"overdue: {item.detail}; {fix}"))
    return out


def retention_findings(settings: Settings) -> list[Finding]:
    """Tables that keep deleted files for less than 168 h (their own table property)."""
    from lakeconsole.core.maintenance.tables import (
        MIN_RETENTION_HOURS,
        RETENTION_PROPERTY,
        retention_property_hours,
        table_name,
    )
    from lakeconsole.core.table_health import delta_table

    out = []
    for path in _tables(settings):
        if _damaged(path):
            continue
        hours = retention_property_hours(dict(delta_table(path).metadata().configuration))
        if hours is not None and hours < MIN_RETENTION_HOURS:
            out.append(
                Finding(
                    "OPS-03",
                    table_name(settings.lake_root, path),
                    (
                        f"{RETENTION_PROPERTY} is {hours:g} h, under {MIN_RETENTION_HOURS} h: "
                        "set it to "
                        "'interval 7 days' (dt.alter.set_table_properties) so time travel keeps "
                        "a week"
                    ),
                )
            )
    return out


# --- OPS-07: code in git, data never ---


def _git(home: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    """Run git in the project folder; None when git is missing or this is not a repository."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(
            [git, "-C", str(home), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("git %s failed: %s", args[0], exc)
        return None
    return done if done.returncode == 0 else None


def _under(path: str, folder: str | None) -> bool:
    return folder is not None and (path == folder or path.startswith(folder + "/"))


def _relative(home: Path, folder: Path) -> str | None:
    try:
        return folder.resolve().relative_to(home.resolve()).as_posix()
    except ValueError:
        return None


def _is_mart_readme(path: str, data: str | None) -> bool:
    # gold/<mart>/README.md is documentation and belongs in git (OPS-05, see .gitignore).
    if not _under(path, data):
        return False
    parts = PurePosixPath(path).relative_to(data or ".").parts
    return len(parts) == 3 and parts[0] == "gold" and parts[2] == "README.md"


def tracked_files(settings: Settings, tracked: Iterable[str]) -> dict[str, list[str]]:
    """Tracked paths that must not be in git, by kind: data, logs, .env. For a lake in a bucket,
    the project's `data/` holds its mart READMEs (core.marts.readme): anything else there is
    data too."""
    from lakeconsole.core.marts.readme import PROJECT_READMES

    local = settings.home / PROJECT_READMES.parent if settings.on_object_storage else None
    data = _relative(settings.home, local or settings.data_dir)
    logs = _relative(settings.home, settings.log_dir)
    out: dict[str, list[str]] = {"data": [], "logs": [], ".env": []}
    for path in tracked:
        if _under(path, data) and not _is_mart_readme(path, data):
            out["data"].append(path)
        elif _under(path, logs):
            out["logs"].append(path)
        elif PurePosixPath(path).name == ".env":
            out[".env"].append(path)
    return out


def tracked_data(settings: Settings) -> list[str]:
    """Lake, log and .env paths that git tracks, sorted (empty outside a git checkout)."""
    listed = _git(settings.home, "ls-files", "-z")
    if listed is None:
        return []
    kinds = tracked_files(settings, filter(None, listed.stdout.split("\0")))
    return sorted(p for paths in kinds.values() for p in paths)


def git_findings(settings: Settings) -> list[Finding]:
    """Data, logs or .env tracked by git, and uncommitted changes (when home is a repository)."""
    listed = _git(settings.home, "ls-files", "-z")
    if listed is None:
        return []
    out = []
    for kind, paths in tracked_files(settings, filter(None, listed.stdout.split("\0"))).items():
        if paths:
            out.append(
                Finding(
                    "OPS-07",
                    f"git: {kind}",
                    (
                        f"{len(paths)} file(s) tracked by git ({_examples(paths)}): "
                        "run `git rm -r --cached "
                        f"{_examples(paths, 1) if len(paths) == 1 else kind}` "
                        "and commit; .gitignore keeps them out"
                    ),
                )
            )
    status = _git(settings.home, "status", "--porcelain", "--untracked-files=normal", "--", ".")
    changes = [line[3:] for line in (status.stdout.splitlines() if status else []) if line.strip()]
    if changes:
        out.append(
            Finding(
                "OPS-07",
                "git: uncommitted",
                (
                    f"{len(changes)} uncommitted change(s) ({_examples(changes)}): commit them "
                    "(zero tolerance for uncommitted work at the end of the day)"
                ),
            )
        )
    return out


CHECKS: tuple[tuple[str, Callable[[Settings], list[Finding]]], ...] = (
    (DAMAGE, damage_findings),
    ("OPS-05", mart_findings),
    ("OPS-09", freshness_findings),
    ("OPS-06", contract_findings),
    ("OPS-03", retention_findings),
    ("OPS-03", upkeep_findings),
    ("OPS-07", git_findings),
    ("OPS-01", pipeline_findings),
)


# Checks that still read local files only: on a lake in a bucket they are skipped and named,
# never run against a local folder. None left: every check reads through core.storage.
LOCAL_ONLY: dict[Callable[[Settings], list[Finding]], str] = {}


def not_checked(settings: Settings) -> list[str]:
    """What `findings` leaves out on this lake (only on object storage), in the user's words."""
    return list(LOCAL_ONLY.values()) if settings.on_object_storage else []


def findings(settings: Settings) -> list[Finding]:
    """Every governance finding, sorted by rule. A check that cannot run is itself a finding."""
    out: list[Finding] = []
    for code, check in CHECKS:
        if settings.on_object_storage and check in LOCAL_ONLY:
            continue
        try:
            out.extend(check(settings))
        except Exception as exc:  # one broken check must not hide the others
            log.warning("governance check %s failed: %s", check.__name__, exc)
            out.append(Finding(code, "check", f"could not run {check.__name__}: {exc}"))
    return sorted(out)
