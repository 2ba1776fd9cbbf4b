"""The README's first-steps example runs as written, and its shell lines name real commands."""

import os
import re
import subprocess
import sys

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def _blocks(lang):
    with open(README, encoding="utf-8") as f:
        return re.findall(rf"```{lang}\n(.*?)```", f.read(), flags=re.S)


def test_first_steps_block_runs(capsys):
    exec(compile(_blocks("python")[0], "README first steps", "exec"), {})
    assert "0x" in capsys.readouterr().out


def test_inspection_commands_run():
    lines = [ln.split("#")[0].strip() for b in _blocks("bash") for ln in b.splitlines()]
    cmds = [ln for ln in lines if re.match(r"fp8ref (info|table|convert|formats)\b", ln)]
    assert len(cmds) >= 4
    for cmd in cmds:
        args = cmd.split()[1:]
        r = subprocess.run([sys.executable, "-m", "fp8ref", *args], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, (cmd, r.stderr)


def _setup_section():
    with open(README, encoding="utf-8") as f:
        return f.read().split("## Set-up\n", 1)[1].split("\n## ", 1)[0]


def test_ci_runs_exactly_the_readme_setup_commands():
    """.ci/run: the README's two set-up commands, in order, plus the one torch-extra line the
    README's Set-up documents; nothing else installs or runs tests."""
    setup = _setup_section()
    blocks = re.findall(r"```bash\n(.*?)```", setup, flags=re.S)
    steps = [ln.strip() for ln in blocks[0].splitlines() if ln.strip()]
    assert steps == ['pip install -e ".[dev]"', "python -m pytest -q"]
    torch_line = 'pip install -e ".[torch]"'
    assert torch_line in blocks[1] and f"`{torch_line}` in `.ci/run`" in setup
    with open(os.path.join(os.path.dirname(README), ".ci", "run"), encoding="utf-8") as f:
        ci = [ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    runs = [ln for ln in ci if re.match(r"(pip|python -m pip|python -m pytest|pytest)\b", ln)]
    assert runs == ["python -m pip install -q --upgrade pip", steps[0], torch_line, steps[1]], runs
