"""A single-port SRAM macro: a behavioural Verilog model instantiated from Amaranth.

Memories (L1 banks, L2) are written as one plain Verilog module, as an SRAM compiler's macro
would be, rather than through Yosys: synthesis maps it to RAM, and simulators and test benches
see one array ``mem`` per instance. Outside synthesis the model has a test-bench hook that
loads or dumps the whole array from or to a ``$readmemh`` file in one step (see
``tb/cluster/memory.py``), so filling a 4 MiB L2 costs no simulator call per word.
"""

from amaranth import ClockSignal, Instance, Module
from amaranth.lib.wiring import In, Out

from hw.checked import CheckedComponent

__all__ = ["SRAM", "SRAM_VERILOG"]

SRAM_VERILOG = """
// tinyita_sram: single-port SRAM, byte write enables, read data one cycle after an enabled read.
module tinyita_sram #(
    parameter WORDS = 1024,
    parameter AW = 10,
    parameter DW = 64
) (
    input wire clk,
    input wire en,
    input wire we,
    input wire [AW-1:0] addr,
    input wire [DW-1:0] wdata,
    input wire [DW/8-1:0] be,
    output reg [DW-1:0] rdata
);
    reg [DW-1:0] mem [0:WORDS-1];
    integer b;
    always @(posedge clk) begin
        if (en) begin
            if (we) begin
                for (b = 0; b < DW/8; b = b + 1)
                    if (be[b]) mem[addr][b*8 +: 8] <= wdata[b*8 +: 8];
            end else begin
                rdata <= mem[addr];
            end
        end
    end
`ifndef SYNTHESIS
    // Test-bench hook (simulation only): a bench sets sim_file (a path, right-aligned ASCII)
    // and sim_first/sim_last (word indices), then changes sim_load or sim_dump; at the next
    // clock edge the array is loaded from ($readmemh) or dumped to ($writememh) the file.
    reg [2047:0] sim_file = 0;
    reg [31:0] sim_load = 0, sim_dump = 0, sim_first = 0, sim_last = 0;
    reg [31:0] sim_load_seen = 0, sim_dump_seen = 0;
    always @(posedge clk) begin
        if (sim_load != sim_load_seen) begin
            $readmemh(sim_file, mem);
            sim_load_seen <= sim_load;
        end
        if (sim_dump != sim_dump_seen) begin
            $writememh(sim_file, mem, sim_first, sim_last);
            sim_dump_seen <= sim_dump;
        end
    end
`endif
endmodule
"""


class SRAM(CheckedComponent):
    """``words`` words of ``width`` bits (a multiple of 8), one access per cycle.

    Members
    -------
    en, we : In(1)
    addr : In(range(words))
        Word index.
    wdata : In(width), be : In(width // 8)
    rdata : Out(width)
        The word read in the previous cycle (held until the next read).
    """

    @staticmethod
    def check(words: int, width: int) -> None:
        if words < 2 or width % 8:
            raise ValueError(f"SRAM of {words} words of {width} bits: need 2 or more words of "
                             "a multiple of 8 bits")

    def __init__(self, words: int, width: int):
        self.words, self.width = words, width
        self.addr_bits = (words - 1).bit_length()
        super().__init__({
            "en": In(1), "we": In(1), "addr": In(self.addr_bits), "wdata": In(width),
            "be": In(width // 8), "rdata": Out(width),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.macro = Instance(
            "tinyita_sram", p_WORDS=self.words, p_AW=self.addr_bits, p_DW=self.width,
            i_clk=ClockSignal(), i_en=self.en, i_we=self.we, i_addr=self.addr,
            i_wdata=self.wdata, i_be=self.be, o_rdata=self.rdata)
        return m
