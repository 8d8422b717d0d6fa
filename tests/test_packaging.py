"""The built wheel works anywhere: installed into a fresh venv and run from a folder outside the repository.

The wheel is built from this checkout with `pip wheel --no-build-isolation` (hatchling comes with the
test extra, so no download) and installed with `pip install --no-deps` into a new venv. Its
dependencies are not installed again: one .pth line appends the test environment's site-packages
to the new venv's sys.path, after the venv's own. A .pth line is a plain path, so that folder's own
.pth files (the editable install of this checkout among them) are not run: every evidencekg and
service module, and every shipped file, must come from the wheel. Takes about 25 s.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from evidencekg.query.catalogue import get_query, run_query
from evidencekg.settings import SHIPPED, Settings, checkout_root, default_node_modules, default_var_dir, shipped_dir
from evidencekg.store.embedded import OxigraphStore
from tests._server import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SERVER_START = 60.0  # seconds the installed `evidencekg serve` may take to answer


def run(command: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command; a failure shows its output in the test report."""
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout."""
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", dist, ROOT])
    wheels = list(dist.glob("evidencekg-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {dist}, found {wheels}"
    return wheels[0]


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed and the test environment's packages as its dependencies."""
    folder = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", folder])
    python = folder / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel])
    target = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    Path(target, "zz_test_dependencies.pth").write_text("".join(f"{path}\n" for path in ours))
    return folder


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder outside the repository (also the HOME of the installed commands)."""
    folder = tmp_path_factory.mktemp("elsewhere")
    assert ROOT not in folder.parents
    return folder


@pytest.fixture(scope="module")
def clean_env(elsewhere: Path) -> dict[str, str]:
    """The environment without EVIDENCEKG_ settings or Python path variables, HOME in the outside folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVIDENCEKG_", "PYTHON", "VIRTUAL_ENV", "XDG_"))}
    return {**env, "HOME": str(elsewhere)}


def shipped_findings(loaded_store: OxigraphStore, project_settings: Settings) -> set[str]:
    """The findings `associations` lists over the checkout's own ontology/ and data/."""
    return {row["finding"].value for row in run_query(loaded_store, get_query("associations", project_settings))}


def test_a_checkout_reads_its_own_top_level_folders() -> None:
    assert checkout_root() == ROOT
    assert [shipped_dir(name) for name in SHIPPED] == [ROOT / name for name in SHIPPED]
    assert (default_var_dir(), default_node_modules()) == (ROOT / "var", ROOT / "node_modules")
    with pytest.raises(ValueError, match="unknown shipped folder 'var'"):
        shipped_dir("var")


def test_the_wheel_carries_every_shipped_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"evidencekg/resources/{p.relative_to(ROOT).as_posix()}" for name in SHIPPED for p in (ROOT / name).rglob("*") if p.is_file()}
    for folder in ("service/templates", "service/static", "evidencekg/network/queries"):
        expected |= {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).iterdir() if p.is_file()}
    assert expected and not expected - names, f"missing from {wheel.name}: {sorted(expected - names)}"
    assert not {n for n in names if "__pycache__" in n or n.startswith(("tests/", "node_modules/"))}


def test_the_installed_package_and_its_files_come_from_the_wheel(venv: Path, elsewhere: Path, clean_env: dict[str, str]) -> None:
    code = (
        "import evidencekg, service; from evidencekg.settings import get_settings, checkout_root; s = get_settings();"
        "print(evidencekg.__file__, service.__file__, s.ontology_dir, s.data_dir, s.queries_dir, checkout_root(), s.var_dir, sep='\\n')"
    )
    lines = run([venv / "bin" / "python", "-c", code], cwd=elsewhere, env=clean_env).stdout.splitlines()
    *inside, root, var_dir = lines
    for path in inside:
        assert Path(path).is_relative_to(venv) and Path(path).exists(), path
    assert root == "None"
    assert Path(var_dir).is_relative_to(elsewhere), "an installed wheel keeps its state under HOME, not in site-packages"


def test_installed_query_prints_the_shipped_findings(
    venv: Path, elsewhere: Path, clean_env: dict[str, str], loaded_store: OxigraphStore, project_settings: Settings
) -> None:
    output = run([venv / "bin" / "evidencekg", "query", "associations", "--format", "csv"], cwd=elsewhere, env=clean_env).stdout
    printed = {row["finding"] for row in csv.DictReader(io.StringIO(output))}
    assert printed == shipped_findings(loaded_store, project_settings)


def test_installed_serve_answers_with_the_shipped_evidence(
    venv: Path, elsewhere: Path, clean_env: dict[str, str], loaded_store: OxigraphStore, project_settings: Settings
) -> None:
    port = free_port()
    command = [str(venv / "bin" / "evidencekg"), "serve", "--memory", "--port", str(port)]
    server = subprocess.Popen(command, cwd=elsewhere, env=clean_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        answer = wait_for(f"{base}/queries/associations?format=json", server)
        served = {b["finding"]["value"] for b in answer.json()["results"]["bindings"]}
        assert served == shipped_findings(loaded_store, project_settings)
        assert httpx.get(f"{base}/").status_code == 200, "the home page answers without node_modules"
        missing = httpx.get(f"{base}/vendor/cytoscape/dist/cytoscape.min.js")
        assert missing.status_code == 500 and "EVIDENCEKG_NODE_MODULES" in missing.json()["detail"]
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "loaded the shipped evidence" in output, output


def wait_for(url: str, server: subprocess.Popen[str]) -> httpx.Response:
    """The first 200 answer from `url` while the server runs (its output is shown if it never comes)."""
    deadline = time.monotonic() + SERVER_START
    while time.monotonic() < deadline and server.poll() is None:
        try:
            response = httpx.get(url, timeout=10)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.terminate()
    pytest.fail(f"{url} never answered 200; server output:\n{server.communicate(timeout=30)[0]}")
