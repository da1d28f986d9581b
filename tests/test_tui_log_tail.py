"""The log panel's reader: only new bytes, a bounded first read, and daily rotation (OPS-04)."""

from __future__ import annotations

from pathlib import Path

from lakeconsole.tui.log_tail import LogTail


def test_a_large_log_opens_with_only_its_tail(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("".join(f"line {i:07d}\n" for i in range(200_000)))  # 2.6 MB
    tail = LogTail(log, first_read_bytes=1000)
    lines = tail.read_new()
    assert lines[-1] == "line 0199999"
    assert 0 < len(lines) <= 1000 // len("line 0000000\n")
    assert all(line.startswith("line ") and len(line) == 12 for line in lines)  # no cut line


def test_appended_lines_are_read_once_and_a_half_written_line_waits(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("one\n")
    tail = LogTail(log)
    assert tail.read_new() == ["one"]
    assert tail.read_new() == []
    with log.open("a") as f:
        f.write("two\nthr")
    assert tail.read_new() == ["two"]
    with log.open("a") as f:
        f.write("ee\n")
    assert tail.read_new() == ["three"]


def test_a_rotated_log_is_read_from_the_start_of_the_new_file(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("yesterday\n")
    tail = LogTail(log)
    assert tail.read_new() == ["yesterday"]
    log.rename(tmp_path / "app.log.2026-11-25")
    assert tail.read_new() == []  # between the rename and the new file
    log.write_text("today 1\ntoday 2\n")
    assert tail.read_new() == ["today 1", "today 2"]
    assert tail.rotations == 1


def test_a_missing_log_is_not_an_error(tmp_path: Path) -> None:
    assert LogTail(tmp_path / "app.log").read_new() == []
