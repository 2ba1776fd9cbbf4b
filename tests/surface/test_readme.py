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
