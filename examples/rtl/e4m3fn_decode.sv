// OCP E4M3FN -> IEEE binary32, combinational.
//
// E4M3FN: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities; S.1111.111 is NaN;
// max finite 448 (S.1111.110); subnormals m * 2^-9. Every E4M3FN value is exact in binary32,
// so this unit never rounds and has no flags.
// NaN is delivered as the binary32 quiet NaN with the input's sign ({s, 0x7FC00000}).
`timescale 1ns/1ps
module e4m3fn_decode (
    input  logic [7:0]  a,  // E4M3FN code
    output logic [31:0] z   // binary32 bits
);
  wire       s = a[7];
  wire [3:0] e = a[6:3];
  wire [2:0] m = a[2:0];

  // A subnormal m * 2^-9 is normalised by its leading one: 1.xx * 2^-7, 1.x * 2^-8, 1.0 * 2^-9.
  wire [7:0]  sub_exp  = m[2] ? 8'd120 : m[1] ? 8'd119 : 8'd118;
  wire [22:0] sub_frac = m[2] ? {m[1:0], 21'h0} : m[1] ? {m[0], 22'h0} : 23'h0;

  assign z = (e == 4'hF && m == 3'h7) ? {s, 8'hFF, 23'h400000}       // NaN
           : (e == 4'h0 && m == 3'h0) ? {s, 31'h0}                    // +-0
           : (e == 4'h0)              ? {s, sub_exp, sub_frac}        // subnormal
           :                            {s, {4'h0, e} + 8'd120, m, 20'h0};  // rebias 7 -> 127
endmodule
