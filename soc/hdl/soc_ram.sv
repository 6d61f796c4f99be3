// A core's private code/data RAM: an instruction read port and a data read/write port, both with
// the OBI timing the core expects (grant in the request cycle, rvalid one cycle later).
// The program is loaded at simulation start from the file named by the +<PLUSARG>=<path> plusarg
// ($readmemh words), so one simulator build runs any compiled program.
module soc_ram #(
  parameter int    WORDS   = 16384,
  parameter string PLUSARG = "firmware"
) (
  input  logic                     clk,
  input  logic [$clog2(WORDS)-1:0] i_addr,
  input  logic                     i_en,
  output logic [31:0]              i_rdata,
  input  logic [$clog2(WORDS)-1:0] d_addr,
  input  logic                     d_en,
  input  logic                     d_we,
  input  logic [3:0]               d_be,
  input  logic [31:0]              d_wdata,
  output logic [31:0]              d_rdata
);
  logic [31:0] mem [WORDS];
  string path;

  initial begin
    for (int i = 0; i < WORDS; i++) mem[i] = 32'h0;
    if ($value$plusargs({PLUSARG, "=%s"}, path)) $readmemh(path, mem);
  end

  always_ff @(posedge clk) begin
    if (i_en) i_rdata <= mem[i_addr];
    if (d_en) begin
      if (d_we) begin
        for (int b = 0; b < 4; b++)
          if (d_be[b]) mem[d_addr][8*b +: 8] <= d_wdata[8*b +: 8];
      end else begin
        d_rdata <= mem[d_addr];
      end
    end
  end
endmodule
