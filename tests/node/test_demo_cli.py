"""`archipel demo` never leaves bureaus or folders behind: stopped by SIGTERM or SIGHUP, or
killed outright, and it names the port that is taken or the bureau that stopped."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli import app, demo
from node.cli.supervisor import BureauStopped, DemoBureau, port_taken, start, wait_ready
from node.services.setup import init_node
from tests.processes import ARCHIPEL, answers, free_port, wait_for
from tests.web.browser import free_port_block

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; bureaus die with the demo on Linux"
)


def processes_under(folder: Path) -> list[int]:
    """Live processes whose command line names `folder` (the demo's bureaus name their home)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:  # it ended while we looked
            continue
        if str(folder).encode() in command:
            found.append(int(entry.name))
    return found


@contextmanager
def running_demo(
    tmp_path: Path, port: int, *, through: Sequence[str] = ()
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`archipel demo` (run `through` a command such as nohup) in its own session, its
    temporary folders under a folder of the test."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    with (tmp_path / "demo.out").open("wb") as out:
        process = subprocess.Popen(
            [*through, *ARCHIPEL, "demo", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TMPDIR": str(temporary)},
            start_new_session=True,
        )
    try:
        yield process, temporary
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # its bureaus follow it (PR_SET_PDEATHSIG)
            process.wait(timeout=10)


def printed(tmp_path: Path, process: subprocess.Popen[bytes], text: str) -> bool:
    output = (tmp_path / "demo.out").read_text(encoding="utf-8", errors="replace")
    assert process.poll() is None or text in output, output
    return text in output


def test_demo_stopped_by_sigterm_leaves_no_process_no_folder_and_free_ports(
    tmp_path: Path,
) -> None:
    port = free_port_block(3)
    with running_demo(tmp_path, port) as (process, temporary):
        wait_for(lambda: printed(tmp_path, process, "Ctrl-C"), timeout=90, every=0.2)
        assert len(processes_under(temporary)) == 3
        assert all(answers(f"http://127.0.0.1:{p}/ready") for p in range(port, port + 3))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    output = (tmp_path / "demo.out").read_text(encoding="utf-8")
    assert "Arrêt des bureaux" in output and "est supprimé" in output
    assert processes_under(temporary) == []
    assert list(temporary.iterdir()) == []
    assert not any(port_taken(p) for p in range(port, port + 3))


@pytest.mark.parametrize("stop", [signal.SIGHUP, signal.SIGINT], ids=["SIGHUP", "SIGINT"])
def test_demo_stopped_while_preparing_removes_its_folder(
    tmp_path: Path, stop: signal.Signals
) -> None:
    with running_demo(tmp_path, free_port_block(3)) as (process, temporary):
        wait_for(lambda: printed(tmp_path, process, "Préparation"), timeout=30, every=0.05)
        process.send_signal(stop)
        assert process.wait(timeout=20) == 0
    assert processes_under(temporary) == []
    assert list(temporary.iterdir()) == []


def test_demo_started_under_nohup_outlives_a_hang_up_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    nohup = shutil.which("nohup")
    assert nohup is not None
    with running_demo(tmp_path, free_port_block(3), through=[nohup]) as (process, temporary):
        wait_for(lambda: printed(tmp_path, process, "Préparation"), timeout=30, every=0.05)
        process.send_signal(signal.SIGHUP)
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert processes_under(temporary) == []
    assert list(temporary.iterdir()) == []


def test_a_killed_demo_takes_its_bureaus_with_it(tmp_path: Path) -> None:
    """The kernel stops a bureau whose demo process died (SIGKILL leaves no time to clean)."""
    home = tmp_path / "lyon"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    init_node(home, slug="lyon", name="Bureau de Lyon", territory="", url=url)
    # The home travels in the environment: only the bureau's command line names it.
    parent = textwrap.dedent(
        """
        import os, time
        from pathlib import Path
        from node.cli.supervisor import DemoBureau, start
        port = int(os.environ["DEMO_PORT"])
        start(DemoBureau("lyon", "Bureau de Lyon", Path(os.environ["DEMO_HOME"]), port))
        time.sleep(120)
        """
    )
    demo_process = subprocess.Popen(
        [sys.executable, "-c", parent],
        env={**os.environ, "DEMO_HOME": str(home), "DEMO_PORT": str(port)},
        start_new_session=True,
    )
    try:
        wait_for(lambda: answers(f"{url}/ready"), timeout=60, every=0.2)
        assert len(processes_under(home)) == 1
        demo_process.kill()
        demo_process.wait(timeout=10)
        # SIGTERM reaches the bureau at once; its graceful stop may wait for a loaded machine.
        wait_for(lambda: processes_under(home) == [], timeout=60)
        assert not port_taken(port)
    finally:
        if demo_process.poll() is None:
            demo_process.kill()
            demo_process.wait(timeout=10)
        for pid in processes_under(home):
            os.kill(pid, signal.SIGKILL)


def test_a_bureau_that_stops_is_named_with_the_end_of_its_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bureau whose home holds no node stops at once; the demo says which, and why."""
    bureau = DemoBureau("marseille", "Bureau de Marseille", tmp_path / "marseille", free_port())
    bureau.home.mkdir()
    process = start(bureau)
    with pytest.raises(BureauStopped) as stopped:
        wait_ready(bureau, process=process, timeout=60)
    demo.report(stopped.value)
    err = capsys.readouterr().err
    assert f"le Bureau de Marseille (port {bureau.port}) s'est arrêté de façon inattendue" in err
    assert f"(code {process.returncode})" in err and process.returncode != 0
    lines = bureau.log.read_text(encoding="utf-8").splitlines()
    assert "Application startup failed" in lines[-1]
    assert err.endswith("Fin de son journal :\n" + "".join(f"  {line}\n" for line in lines[-20:]))


def test_a_taken_port_is_named_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first = free_port_block(3)
    with socket.socket() as other:
        other.bind(("127.0.0.1", first + 1))
        other.listen()
        result = CliRunner().invoke(app, ["demo", "--port", str(first)])
    assert result.exit_code == 2
    assert f"le port {first + 1} est déjà utilisé" in result.stderr
    assert "arrêtez l'autre démonstration ou lancez-la avec --port " in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_suggested_port_is_free(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first = free_port_block(3)
    with socket.socket() as other:
        other.bind(("127.0.0.1", first))
        other.listen()
        result = CliRunner().invoke(app, ["demo", "--port", str(first)])
        suggested = int(result.stderr.rsplit("--port ", 1)[1].split()[0])
        assert not any(port_taken(p) for p in range(suggested, suggested + 3))


@pytest.mark.parametrize("port", ["0", "65534", "huit"])
def test_demo_refuses_a_port_that_cannot_start_three_bureaus(port: str) -> None:
    result = CliRunner().invoke(app, ["demo", "--port", port])
    assert result.exit_code == 2
    assert "--port" in result.stderr


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("à garder", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", "--folder", str(tmp_path)])
    assert result.exit_code == 2
    assert "n'est pas vide" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
