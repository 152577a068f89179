"""Command-line options made from the configuration dataclasses."""

import argparse
import dataclasses

import pytest

from hw.config import ClusterConfig
from hw.ita.config import ITAConfig
from tinyita.cli import main
from tinyita.options import add_config, config_from


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    add_config(p, ClusterConfig, "cluster", docs_from=(ITAConfig,))
    return p


def test_every_field_is_an_option_with_its_default_and_help():
    p = parser()
    assert config_from(ClusterConfig, p.parse_args([])) == ClusterConfig()
    helptext = p.format_help()
    for f in dataclasses.fields(ClusterConfig):
        flag = ("--no-" if f.type is bool else "--") + f.name.replace("_", "-")
        assert flag in helptext, flag
    assert "Transfers the DMA can hold queued, 2..8 (default 4)" in helptext
    # the engine's fields take ITAConfig's help, roles and literals cleaned
    assert "The default k of ITAMax (one int8 step of a logit stands" in helptext
    assert "``" not in helptext and ":class:" not in helptext


def test_options_build_the_config():
    args = parser().parse_args(["--cores", "4", "--no-ita", "--l2-bytes", "0x40000",
                                "--dma-queue", "2"])
    assert config_from(ClusterConfig, args) == ClusterConfig(cores=4, ita=False,
                                                             l2_bytes=0x40000, dma_queue=2)


def test_a_bad_value_is_an_error_naming_it(capsys):
    assert main(["verilog", "cluster", "--l1-banks", "6", "-o", "/nonexistent"]) == 2
    assert "ClusterConfig.l1_banks = 6: must be a power of two" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["verilog", "cluster", "--cores", "four", "-o", "/nonexistent"])
