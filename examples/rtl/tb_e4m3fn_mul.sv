// Testbench: E4M3FN multiplier against a golden-vector file in `tv` syntax (arith/mul files).
//
// Reads `a b z flags` lines (TestFloat syntax, raw hex) with $fscanf, drives `a`, `b` (and the
// `sat` pin from +sat=), and writes one line per vector with the unit's own result and flags
// in the same syntax to +out=. `fp8ref golden check VECTORS OUT` is the judge; the pass/fail
// count printed here is only a convenience.
//
//   vvp sim +vectors=arith/mul/e4m3fn.rne.sat_finite.tafter.tv +out=dut.tv +sat=1
`timescale 1ns/1ps
module tb_e4m3fn_mul;
  parameter int MUTANT = 0;               // 0 = the correct unit (see e4m3fn_mul.sv)

  logic [7:0] a, b, a_rd, b_rd;
  logic       sat;
  logic [7:0] z, z_exp;
  logic [4:0] flags;
  logic [7:0] flags_exp;

  e4m3fn_mul #(.MUTANT(MUTANT)) dut (.a(a), .b(b), .sat(sat), .z(z), .flags(flags));

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

    count = 0; differ = 0; n = 4;
    while (!$feof(fd_in) && n == 4) begin
      n = $fscanf(fd_in, "%h %h %h %h\n", a_rd, b_rd, z_exp, flags_exp);
      if (n == 4) begin
        a = a_rd;                         // assign, then let the logic settle
        b = b_rd;
        #1;
        $fwrite(fd_out, "%02H %02H %02H %02H\n", a, b, z, {3'b000, flags});
        if (z !== z_exp || {3'b000, flags} !== flags_exp) differ++;
        count++;
      end
    end
    $fclose(fd_in);
    $fclose(fd_out);
    $display("tb_e4m3fn_mul: MUTANT=%0d sat=%0d: %0d vectors, %0d differ from the file", MUTANT, sat, count, differ);
    $finish;
  end
endmodule
