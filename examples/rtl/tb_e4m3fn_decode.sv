// Testbench: E4M3FN -> binary32 decoder against a golden-vector file in `memh` syntax.
//
// Loads `a_z_flags` words (the `tv` fields joined by `_`, `//` header) with $readmemh into a
// packed array, slices the code out of each word, and writes `a z flags` lines with the
// unit's result (a decoder has no flags: 00) to +out=. `fp8ref golden check` is the judge.
// +n= is the vector count (`n=` in the memh header, `lines` in the sidecar); without it the
// end of the file is found by the first word left X, which needs a 4-state simulator.
//
//   vvp sim +vectors=e4m3fn_to_f32....memh +out=dut.tv +n=256
`timescale 1ns/1ps
module tb_e4m3fn_decode;
  localparam int MAX_N = 4096;            // capacity; the file may hold fewer words
  localparam int W = 8 + 32 + 8;          // {a[47:40], z[39:8], flags[7:0]}

  logic [W-1:0]  mem [0:MAX_N-1];
  logic [7:0]    a;
  logic [31:0]   z;

  e4m3fn_decode dut (.a(a), .z(z));

  string  vec_path, out_path;
  integer fd_out, i, count, differ, n_lines;

  initial begin
    if (!$value$plusargs("vectors=%s", vec_path)) $fatal(1, "missing +vectors=FILE");
    if (!$value$plusargs("out=%s", out_path)) $fatal(1, "missing +out=FILE");
    if (!$value$plusargs("n=%d", n_lines)) n_lines = -1;
    if (n_lines > MAX_N) $fatal(1, "+n=%0d exceeds MAX_N=%0d", n_lines, MAX_N);
    for (i = 0; i < MAX_N; i++) mem[i] = 'x;
    if (n_lines >= 0) $readmemh(vec_path, mem, 0, n_lines - 1);   // exactly the file's words
    else              $readmemh(vec_path, mem);                    // (warns: file shorter than mem)
    fd_out = $fopen(out_path, "w");
    if (fd_out == 0) $fatal(1, "cannot create %s", out_path);

    count = 0; differ = 0;
    for (i = 0; i < MAX_N; i++) begin
      if (n_lines >= 0 ? i < n_lines : mem[i][0] !== 1'bx) begin   // unfilled words stay X
        a = mem[i][47:40];
        #1;
        $fwrite(fd_out, "%02H %08H %02H\n", a, z, 8'h00);
        if (z !== mem[i][39:8]) differ++;
        count++;
      end
    end
    $fclose(fd_out);
    $display("tb_e4m3fn_decode: %0d vectors, %0d differ from the file", count, differ);
    $finish;
  end
endmodule
