// Testbench: binary32 -> E4M3FN encoder against a golden-vector file in `tv` syntax.
//
// Reads `a z flags` lines (TestFloat syntax, raw hex) with $fscanf, drives `a` (and the
// `sat` pin from +sat=), and writes one line per vector with the unit's own result and flags
// in the same syntax to +out=. `fp8ref golden check VECTORS OUT` is the judge; the pass/fail
// count printed here is only a convenience.
// SRC_BF16 = 1 reads bfloat16 sources (4 hex digits) and drives the binary32 {a, 16'h0000}:
// the same value, so the bf16 -> E4M3FN files (every bf16 input) test the same unit.
//
//   vvp sim +vectors=f32_to_e4m3fn....tv +out=dut.tv +sat=1
`timescale 1ns/1ps
module tb_e4m3fn_encode;
  parameter int MUTANT = 0;               // 0 = the correct unit (see e4m3fn_encode.sv)
  parameter int SRC_BF16 = 0;             // 1: the source field is bfloat16

  logic [31:0] a, a_rd;
  logic        sat;
  logic [7:0]  z, z_exp;
  logic [4:0]  flags;
  logic [7:0]  flags_exp;

  e4m3fn_encode #(.MUTANT(MUTANT)) dut (.a(a), .sat(sat), .z(z), .flags(flags));

  string  vec_path, out_path;
  integer fd_in, fd_out, n, count, differ, sat_arg;

  initial begin
    if (!$value$plusargs("vectors=%s", vec_path)) $fatal(1, "missing +vectors=FILE");
    if (!$value$plusargs("out=%s", out_path)) $fatal(1, "missing +out=FILE");
    if (!$value$plusargs("sat=%d", sat_arg)) $fatal(1, "missing +sat=0|1");
    sat = (sat_arg != 0);
    fd_in = $fopen(vec_path, "r");
    if (fd_in == 0) $fatal(1, "cannot open %s", vec_path);
    fd_out = $fopen(out_path, "w");
    if (fd_out == 0) $fatal(1, "cannot create %s", out_path);

    count = 0; differ = 0; n = 3;
    while (!$feof(fd_in) && n == 3) begin
      n = $fscanf(fd_in, "%h %h %h\n", a_rd, z_exp, flags_exp);
      if (n == 3) begin
        a = (SRC_BF16 != 0) ? {a_rd[15:0], 16'h0000} : a_rd;   // assign, then let the logic settle
        #1;
        if (SRC_BF16 != 0) $fwrite(fd_out, "%04H %02H %02H\n", a[31:16], z, {3'b000, flags});
        else               $fwrite(fd_out, "%08H %02H %02H\n", a, z, {3'b000, flags});
        if (z !== z_exp || {3'b000, flags} !== flags_exp) differ++;
        count++;
      end
    end
    $fclose(fd_in);
    $fclose(fd_out);
    $display("tb_e4m3fn_encode: MUTANT=%0d sat=%0d: %0d vectors, %0d differ from the file", MUTANT, sat, count, differ);
    $finish;
  end
endmodule
