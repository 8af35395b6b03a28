"""The engine is importable as `judgestats`, and `import statistics` stays the standard library's."""

import subprocess
import sys
import sysconfig
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_import_statistics_from_repo_root_is_the_standard_library():
    out = subprocess.run([sys.executable, "-c", "import statistics; print(statistics.__file__); "
                          "print(statistics.median([3, 1, 2]))"], cwd=REPO_ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    assert Path(out[0]).parent == Path(sysconfig.get_paths()["stdlib"])
    assert out[1] == "2"


def test_statistics_folder_has_no_package_marker():
    assert (REPO_ROOT / "statistics" / "judgestats").is_dir()
    assert not (REPO_ROOT / "statistics" / "__init__.py").exists()


def test_judgestats_imports_from_the_statistics_source_root():
    import judgestats

    assert Path(judgestats.__file__).parent == REPO_ROOT / "statistics" / "judgestats"


def test_engine_never_imports_the_application():
    offenders = [path for path in (REPO_ROOT / "statistics").rglob("*.py")
                 if any(line.lstrip().startswith(("import judging", "from judging"))
                        for line in path.read_text(encoding="utf-8").splitlines())]
    assert offenders == []


def test_console_script_is_installed():
    out = subprocess.run([str(Path(sys.executable).parent / "judging"), "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("init", "demo", "serve", "users", "audit"):
        assert command in out.stdout
