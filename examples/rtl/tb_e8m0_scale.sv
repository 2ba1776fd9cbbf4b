// Testbench: MX E8M0 scale unit against block lines in `tv` syntax.
//
// Each line: K binary32 elements (element 0 first), the expected E8M0 scale, and, when
// HAS_FLAGS = 1, a flags byte. The testbench drives the block, and writes the same fields with
// the unit's scale (and 00 flags: the unit raises none) to +out=. `fp8ref golden check` judges.
//
//   iverilog -g2012 -P tb_e8m0_scale.EMAX_ELEM=8 ...; vvp sim +vectors=FILE +out=dut.tv
`timescale 1ns/1ps
module tb_e8m0_scale;
  parameter int K = 32;
  parameter int EMAX_ELEM = 8;            // element format's emax (E4M3 8, E5M2 15, E2M1 2, ...)
  parameter int HAS_FLAGS = 0;            // the vector lines end with a flags byte

  logic [32*K-1:0] x;
  logic [7:0]      scale, scale_exp;
  logic [31:0]     v;
  logic [7:0]      flags_exp;

  e8m0_scale #(.K(K), .EMAX_ELEM(EMAX_ELEM)) dut (.x(x), .scale(scale));

  string  vec_path, out_path;
  integer fd_in, fd_out, n, i, count, differ;
  logic   ok;

  initial begin
    if (!$value$plusargs("vectors=%s", vec_path)) $fatal(1, "missing +vectors=FILE");
    if (!$value$plusargs("out=%s", out_path)) $fatal(1, "missing +out=FILE");
    fd_in = $fopen(vec_path, "r");
    if (fd_in == 0) $fatal(1, "cannot open %s", vec_path);
    fd_out = $fopen(out_path, "w");
    if (fd_out == 0) $fatal(1, "cannot create %s", out_path);

    count = 0; differ = 0; ok = 1'b1;
    while (ok) begin
      for (i = 0; i < K; i++) begin
        n = $fscanf(fd_in, "%h", v);
        if (n != 1) ok = 1'b0;
        x[32*i +: 32] = v;
      end
      if (ok) begin
        n = $fscanf(fd_in, "%h", scale_exp);
        if (n != 1) $fatal(1, "line %0d: missing scale field", count + 1);
        if (HAS_FLAGS != 0) begin
          n = $fscanf(fd_in, "%h", flags_exp);
          if (n != 1) $fatal(1, "line %0d: missing flags field", count + 1);
        end
        #1;
        for (i = 0; i < K; i++) $fwrite(fd_out, "%08H ", x[32*i +: 32]);
        if (HAS_FLAGS != 0) $fwrite(fd_out, "%02H %02H\n", scale, 8'h00);
        else $fwrite(fd_out, "%02H\n", scale);
        if (scale !== scale_exp || (HAS_FLAGS != 0 && flags_exp !== 8'h00)) differ++;
        count++;
      end
    end
    $fclose(fd_in);
    $fclose(fd_out);
    $display("tb_e8m0_scale: EMAX_ELEM=%0d: %0d blocks, %0d differ from the file", EMAX_ELEM, count, differ);
    $finish;
  end
endmodule
