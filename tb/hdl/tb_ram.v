// A word-addressed RAM for test benches: LANES independent DW-bit ports; read data one cycle
// after an enabled read. It is plain Verilog (instantiated from Amaranth as a black box) so that
// a big memory never passes through Yosys. Test benches load and read it through VPI.
module tinyita_tb_ram #(
    parameter LANES = 1,
    parameter WORDS = 1024,
    parameter AW = 10,
    parameter DW = 64
) (
    input wire clk,
    input wire [LANES-1:0] en,
    input wire [LANES-1:0] we,
    input wire [LANES*AW-1:0] addr,
    input wire [LANES*DW-1:0] wdata,
    input wire [LANES*DW/8-1:0] be,
    output reg [LANES*DW-1:0] rdata
);
    reg [DW-1:0] mem [0:WORDS-1];
    integer i, b;
    always @(posedge clk) begin
        for (i = 0; i < LANES; i = i + 1) begin
            if (en[i]) begin
                if (we[i]) begin
                    for (b = 0; b < DW/8; b = b + 1)
                        if (be[i*DW/8+b])
                            mem[addr[i*AW +: AW]][b*8 +: 8] <= wdata[i*DW+b*8 +: 8];
                end else begin
                    rdata[i*DW +: DW] <= mem[addr[i*AW +: AW]];
                end
            end
        end
    end
endmodule
