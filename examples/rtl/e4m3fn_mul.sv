// OCP E4M3FN x E4M3FN -> E4M3FN multiplier, round to nearest even, combinational.
//
// sat = 1 (SatFinite): a product above 448 gives +-448 (S.1111.110).
// sat = 0 (OvfInf):    E4M3FN has no Inf, so an overflowing product gives NaN.
// A NaN operand (S.1111.111, quiet) gives the canonical NaN 0x7F; E4M3FN has no Inf, so no
// 0 x Inf. A zero product is +-0 with the sign of a XOR b (also when a tiny product rounds to 0).
//
// flags, TestFloat / RISC-V fflags order: flags[4:0] = {NV, DZ, OF, UF, NX}
//   NX  the delivered value differs from the exact product (saturation and overflow included)
//   UF  tiny and inexact; tiny = 0 < |p rounded to 4 bits with unbounded exponent| < 2^-6
//       (tininess detected after rounding)
//   OF  the product rounded with unbounded exponent exceeds 448 (saturation changes z, not OF)
//   DZ, NV  never (no Inf, no signalling NaN in E4M3FN)
//
// Datapath (the same rounding scheme as e4m3fn_encode.sv): an operand is sig * 2^(u - 10)
// with sig = {e != 0, m} (4 bits) and u = max(e, 1); the exact product is
// P * 2^(ua + ub - 20), P = siga * sigb (8 bits, exact). With lz the leading zeros of P,
// ev = floor(log2 p) = ua + ub - 13 - lz and te = max(ev, -6) fixes the quantum 2^(te-3):
// kept = floor(p / 2^(te-3)) = {P, 10'b0} >> r with r = te + 27 - ua - ub (7 .. 19), the next
// bit is the guard bit and the rest the sticky bit. The magnitude code is
// ((te + 6) << 3) + rounded kept: a rounding carry moves into the exponent field and a
// subnormal product that rounds up becomes the smallest normal.
//
// MUTANT (verification demo only; 0 = the correct unit) plants one classic bug:
//   1 truncation instead of RNE             2 ties away from zero instead of ties to even
//   3 overflow threshold at 480 (0x7F) instead of 448
//   4 sticky bit lost (only the guard bit decides rounding)
//   5 exponent bias of subnormal operands: exponent field 0 read as 2^(0-7) instead of
//     2^(1-7) (u = e instead of max(e, 1))
`timescale 1ns/1ps
module e4m3fn_mul #(
    parameter int MUTANT = 0
) (
    input  logic [7:0] a,       // E4M3FN code
    input  logic [7:0] b,       // E4M3FN code
    input  logic       sat,     // 1 = SatFinite, 0 = OvfInf
    output logic [7:0] z,       // E4M3FN code
    output logic [4:0] flags    // {NV, DZ, OF, UF, NX}
);
  localparam logic [6:0] MAX_MAG   = 7'h7E;                          // 448
  localparam logic [7:0] NAN       = 8'h7F;                          // canonical NaN
  localparam logic [8:0] OVF_ABOVE = (MUTANT == 3) ? 9'h07F : 9'h07E;

  wire       s  = a[7] ^ b[7];
  wire [3:0] ea = a[6:3], eb = b[6:3];
  wire [3:0] siga = {ea != 4'd0, a[2:0]};
  wire [3:0] sigb = {eb != 4'd0, b[2:0]};
  wire       is_nan  = (a[6:0] == 7'h7F) || (b[6:0] == 7'h7F);
  wire       is_zero = (siga == 4'd0) || (sigb == 4'd0);

  // ---- exact product -------------------------------------------------------------------
  wire [4:0] ua = (MUTANT == 5) ? {1'b0, ea} : ((ea == 4'd0) ? 5'd1 : {1'b0, ea});
  wire [4:0] ub = (MUTANT == 5) ? {1'b0, eb} : ((eb == 4'd0) ? 5'd1 : {1'b0, eb});
  wire [7:0] P  = siga * sigb;

  logic [3:0] lz;                                   // leading zeros of P (P != 0 here)
  always_comb begin
    lz = 4'd8;
    for (int i = 0; i < 8; i++)
      if (P[i]) lz = 4'(7 - i);
  end

  // ev + 13 = ua + ub - lz (biased by 13 to stay non-negative: ev >= -13 - 7)
  wire signed [6:0] ev   = $signed({2'b00, ua}) + $signed({2'b00, ub}) - 7'sd13 - $signed({3'b000, lz});
  wire signed [6:0] te   = (ev < -7'sd6) ? -7'sd6 : ev;
  wire        [5:0] r    = 6'(te + 7'sd27 - $signed({2'b00, ua}) - $signed({2'b00, ub}));  // 7 .. 19 (mutant 5: 21)
  wire       [23:0] T    = {6'b0, P, 10'b0};
  wire       [23:0] ext  = T >> r;
  wire       [23:0] rest = T & ((24'd1 << r) - 24'd1);   // the bits shifted out
  wire        [3:0] kept = ext[3:0];                     // at most 4 bits
  wire        guard   = T[r - 6'd1];                     // r >= 7
  wire        below   = |(rest & ~(24'd1 << (r - 6'd1)));  // the bits below the guard bit
  wire        sticky  = (MUTANT == 4) ? 1'b0 : below;
  wire        inexact = guard | below;

  // ---- round -----------------------------------------------------------------------------
  wire round_up = (MUTANT == 1) ? 1'b0                      // truncate
                : (MUTANT == 2) ? guard                     // ties away
                : guard & (sticky | kept[0]);               // ties to even
  wire [4:0] kept_r = {1'b0, kept} + {4'b0, round_up};
  wire [8:0] mag    = {3'b0, 6'(te + 7'sd6)} << 3;
  wire [8:0] code   = mag + {4'b0, kept_r};                 // at most 200
  wire [6:0] code7  = code[6:0];                            // the code when in range
  wire       over   = code > OVF_ABOVE;

  // ---- tininess after rounding -----------------------------------------------------------
  // p < 2^-6 is tiny unless it rounds up to 2^-6 at 4-bit precision: only p in [2^-7, 2^-6)
  // (ev = -7) can, and under RNE it does exactly when the normalised P starts 1.1111 (the kept
  // bits 1.111 are odd, so the guard bit alone decides, ties included).
  wire [7:0] Pn   = P << lz;
  wire       tiny = (ev < -7'sd6) && !(ev == -7'sd7 && Pn[7:3] == 5'b11111);

  // ---- deliver ---------------------------------------------------------------------------
  always_comb begin
    flags = 5'b0;
    if (is_nan)
      z = NAN;                                      // quiet NaN operand: no flags
    else if (is_zero)
      z = {s, 7'h00};
    else if (over) begin
      z = sat ? {s, MAX_MAG} : NAN;
      flags = 5'b00101;                             // OF | NX
    end
    else begin
      z = {s, code7};
      flags = {3'b000, tiny & inexact, inexact};    // UF, NX
    end
  end
endmodule
