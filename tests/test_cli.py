import subprocess
import sys

from tinyita.cli import main


def test_version_names_every_tool(capsys):
    assert main(["version"]) == 0
    out = capsys.readouterr().out
    for tool in ("tinyita", "amaranth", "cocotb", "verilator"):
        assert tool in out
    assert "5.48" in out


def test_help_without_command(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "tinyita.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "version" in out
