"""The Verilator configuration made from a bench's list of public signals."""

import pytest

from tb.public import PublicSignalError, public_vlt

VERILOG = r"""
module top(clk, \event , out);
  input clk;
  input \event ;
  output [7:0] out;
  reg [7:0] count = 8'd0;
  \top.core  core (
    .clk(clk)
  );
  always @(posedge clk) begin
    if (\event ) count <= count + 1;
    else count <= count;
  end
endmodule

module \top.core (clk);
  input clk;
  reg [31:0] regfile [31:0];
  sram #(
    .WORDS(32'd64),
    .DW(32'd8)
  ) macro (
    .clk(clk)
  );
  sram #(
    .WORDS(32'd64)
  ) macro2 (
    .clk(clk)
  );
endmodule

module sram #(parameter WORDS = 1, parameter DW = 8) (input clk);
  reg [DW-1:0] mem [0:WORDS-1];
  reg [31:0] sim_load = 0, sim_dump = 0;
endmodule
"""


def lines(text: str) -> list[str]:
    assert text.startswith("`verilator_config\n")
    return text.splitlines()[1:]


def test_top_ports_are_always_public():
    assert lines(public_vlt(VERILOG, "top", [])) == [
        'public_flat_rw -module "top" -var "clk"', 'public_flat_rw -module "top" -var "event"',
        'public_flat_rw -module "top" -var "out"']


def test_paths_through_amaranth_and_verilog_modules():
    got = lines(public_vlt(VERILOG, "top", ["count", "core.regfile", "core.macro*.sim_*"]))[3:]
    assert got == ['public_flat_rw -module "top" -var "count"',
                   'public_flat_rw -module "top.core" -var "regfile"',
                   'public_flat_rw -module "sram" -var "sim_*"']


@pytest.mark.parametrize("path, message", [
    ("core.cache.mem", "top.core has no instance matching 'cache'"),
    ("cor.regfile", "top has no instance matching 'cor'"),
    ("core.regs", "module top.core has no signal matching 'regs'"),
    ("core.macro.nothing_*", "module sram has no signal matching 'nothing_\\*'"),
])
def test_a_path_that_matches_nothing_is_named(path, message):
    with pytest.raises(PublicSignalError, match=message) as e:
        public_vlt(VERILOG, "top", [path])
    assert repr(path) in str(e.value)


def test_unknown_top():
    with pytest.raises(PublicSignalError, match="no top module 'soc'"):
        public_vlt(VERILOG, "soc", [])
