// OCP MX shared scale (E8M0), FLOOR rule, from a block of binary32 elements, combinational.
//
//   X = floor(log2(max_i |V_i|)) - EMAX_ELEM, clamped to [-127, 127];  code = X + 127
//
// For a binary32 amax with biased exponent field ea >= 1, floor(log2 amax) = ea - 127, so the
// code is simply ea - EMAX_ELEM: the unit only needs the largest exponent field in the block
// (no mantissa compare, no leading-zero count). A zero or binary32-subnormal amax has
// floor(log2 amax) <= -127, which clamps to code 0x00 (2^-127) for every EMAX_ELEM >= 0 — as does
// an all-zero block. The top clamp (+127) is unreachable from binary32 (ea - EMAX_ELEM <= 254).
// Any NaN or Inf element (exponent field 0xFF) gives the NaN scale 0xFF.
//
// EMAX_ELEM: E4M3 8, E5M2 15, E3M2 4, E2M3 2, E2M1 2. Element 0 sits in x[31:0].
`timescale 1ns/1ps
module e8m0_scale #(
    parameter int K = 32,         // elements per block
    parameter int EMAX_ELEM = 8   // exponent of the element format's largest normal
) (
    input  logic [32*K-1:0] x,     // K binary32 elements, element i in x[32*i +: 32]
    output logic [7:0]      scale  // E8M0 code
);
  logic [7:0] emax_field;          // largest biased exponent field in the block

  always_comb begin
    emax_field = 8'h00;
    for (int i = 0; i < K; i++)
      if (x[32*i+23 +: 8] > emax_field) emax_field = x[32*i+23 +: 8];

    if (emax_field == 8'hFF)
      scale = 8'hFF;                                   // NaN or Inf in the block
    else if (emax_field <= 8'(EMAX_ELEM))
      scale = 8'h00;                                   // clamp at 2^-127 (and zero blocks)
    else
      scale = emax_field - 8'(EMAX_ELEM);
  end
endmodule
