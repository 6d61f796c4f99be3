// A CV32E40X (RV32IMA, A_EXT=1) with flat ports, so that Amaranth can instantiate it: the core's
// eXtension interface is a SystemVerilog interface, tied off here (X_EXT=0).
// trap_o is high in the cycle the core takes an exception, interrupt or NMI (the controller saves
// mcause then); the SoC turns it into resv_clear, as SH-4A clears LDST on interrupt entry.
module soc_cv32e40x #(
  parameter logic [31:0] BOOT_ADDR = 32'h8000_0000
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic [31:0] hartid_i,
  input  logic        irq_i,
  output logic        trap_o,

  output logic        instr_req_o,
  input  logic        instr_gnt_i,
  input  logic        instr_rvalid_i,
  output logic [31:0] instr_addr_o,
  input  logic [31:0] instr_rdata_i,
  input  logic        instr_err_i,

  output logic        data_req_o,
  input  logic        data_gnt_i,
  input  logic        data_rvalid_i,
  output logic [31:0] data_addr_o,
  output logic [3:0]  data_be_o,
  output logic        data_we_o,
  output logic [31:0] data_wdata_o,
  output logic [2:0]  data_prot_o,
  output logic [5:0]  data_atop_o,
  input  logic [31:0] data_rdata_i,
  input  logic        data_err_i,
  input  logic        data_exokay_i
);
  if_xif xif ();
  logic [31:0] irq;
  assign irq = {20'b0, irq_i, 11'b0};  // machine external interrupt (mip.MEIP, bit 11)

  cv32e40x_core #(
    .A_EXT (1'b1),
    .M_EXT (cv32e40x_pkg::M)
  ) core_i (
    .clk_i, .rst_ni, .scan_cg_en_i (1'b0),
    .boot_addr_i (BOOT_ADDR), .dm_exception_addr_i (32'h0), .dm_halt_addr_i (32'h0),
    .mhartid_i (hartid_i), .mimpid_patch_i (4'h0), .mtvec_addr_i (BOOT_ADDR),
    .instr_req_o, .instr_gnt_i, .instr_rvalid_i, .instr_addr_o,
    .instr_memtype_o (), .instr_prot_o (), .instr_dbg_o (),
    .instr_rdata_i, .instr_err_i,
    .data_req_o, .data_gnt_i, .data_rvalid_i, .data_addr_o, .data_be_o, .data_we_o,
    .data_wdata_o, .data_memtype_o (), .data_prot_o, .data_dbg_o (), .data_atop_o,
    .data_rdata_i, .data_err_i, .data_exokay_i,
    .mcycle_o (),
    .xif_compressed_if (xif), .xif_issue_if (xif), .xif_commit_if (xif), .xif_mem_if (xif),
    .xif_mem_result_if (xif), .xif_result_if (xif),
    .irq_i (irq), .wu_wfe_i (1'b0),
    .clic_irq_i (1'b0), .clic_irq_id_i ('0), .clic_irq_level_i (8'h0), .clic_irq_priv_i (2'h0),
    .clic_irq_shv_i (1'b0),
    .fencei_flush_req_o (), .fencei_flush_ack_i (1'b1),
    .debug_req_i (1'b0), .debug_havereset_o (), .debug_running_o (), .debug_halted_o (),
    .fetch_enable_i (1'b1), .core_sleep_o ()
  );

  assign trap_o = core_i.ctrl_fsm.csr_save_cause;
endmodule
