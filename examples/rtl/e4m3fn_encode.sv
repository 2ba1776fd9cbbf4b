// IEEE binary32 -> OCP E4M3FN, round to nearest even, combinational.
//
// sat = 1 (SatFinite): finite overflow and +-Inf give +-448 (S.1111.110).
// sat = 0 (OvfInf):    E4M3FN has no Inf, so finite overflow and +-Inf give NaN.
// NaN results are the canonical NaN 0x7F (sign dropped); +-0 keeps its sign.
//
// flags, TestFloat / RISC-V fflags order: flags[4:0] = {NV, DZ, OF, UF, NX}
//   NX  the delivered value differs from a finite input (saturation and overflow included)
//   UF  tiny and inexact; tiny = 0 < |x rounded to 4 bits with unbounded exponent| < 2^-6
//       (tininess detected after rounding)
//   OF  x rounded with unbounded exponent exceeds 448 (saturation changes z, not OF)
//   DZ  never
//   NV  signalling-NaN input
//
// Datapath: x = sig * 2^(max(ea,1) - 150) with sig = {hidden, fraction}. The result exponent
// te = max(floor(log2 x), -6) fixes the quantum 2^(te-3); shifting sig right by
// sh = te - 3 - (max(ea,1) - 150) leaves the kept significand, a guard bit and a sticky bit.
// The magnitude code is ((te + 6) << 3) + rounded kept significand: a rounding carry moves
// into the exponent field and a subnormal that rounds up becomes the smallest normal.
//
// MUTANT (verification demo only; 0 = the correct unit) plants one classic bug:
//   1 truncation instead of RNE       2 ties away from zero instead of ties to even
//   3 overflow threshold at 480 (0x7F, the IEEE-style E4M3 layout) instead of 448
//   4 sticky bit lost (only the guard bit decides rounding)
//   5 tininess tie: an input exactly at 1.1111b * 2^-7 (rounds, ties-to-even, up to 2^-6 at
//     4-bit precision) is wrongly called tiny, so it raises UF
`timescale 1ns/1ps
module e4m3fn_encode #(
    parameter int MUTANT = 0
) (
    input  logic [31:0] a,      // binary32 bits
    input  logic        sat,    // 1 = SatFinite, 0 = OvfInf
    output logic [7:0]  z,      // E4M3FN code
    output logic [4:0]  flags   // {NV, DZ, OF, UF, NX}
);
  localparam logic [6:0]  MAX_MAG = 7'h7E;                          // 448
  localparam logic [7:0]  NAN     = 8'h7F;                          // canonical NaN
  localparam logic [11:0] OVF_ABOVE = (MUTANT == 3) ? 12'h07F : 12'h07E;

  wire        s  = a[31];
  wire [7:0]  ea = a[30:23];
  wire [22:0] fa = a[22:0];

  // ---- classify ---------------------------------------------------------------------------
  wire is_special = (ea == 8'hFF);                  // Inf or NaN
  wire is_inf     = is_special && (fa == 23'd0);
  wire is_snan    = is_special && (fa != 23'd0) && !fa[22];
  wire is_zero    = (ea == 8'd0) && (fa == 23'd0);

  // ---- align: te = max(ea - 127, -6) -----------------------------------------------------
  // ea >= 121: normal result range, shift 20. Below: shift 141 - ea, capped at 26 (from then
  // on nothing but sticky survives); a binary32 subnormal (ea = 0) takes the cap.
  wire [23:0] sig = {ea != 8'd0, fa};
  wire [7:0]  sh  = (ea >= 8'd121) ? 8'd20
                  : (ea <= 8'd115) ? 8'd26
                  : 8'd141 - ea;
  // {sig, 26 zero bits} >> sh: integer part in [29:26] (at most 4 bits since sh >= 20),
  // the bits shifted out in [25:0] (none lost, since sh <= 26)
  wire [29:0] ext = 30'({sig, 26'b0} >> sh);

  wire [3:0] kept    = ext[29:26];                  // at most 4 bits because sh >= 20
  wire       guard   = ext[25];
  wire       sticky  = (MUTANT == 4) ? 1'b0 : |ext[24:0];
  wire       inexact = guard | (|ext[24:0]);

  // ---- round -----------------------------------------------------------------------------
  wire round_up = (MUTANT == 1) ? 1'b0                      // truncate
                : (MUTANT == 2) ? guard                     // ties away
                : guard & (sticky | kept[0]);               // ties to even
  wire [4:0] kept_r = {1'b0, kept} + {4'b0, round_up};

  // magnitude code with unbounded exponent: ((te + 6) << 3) + kept_r  (at most 1080)
  wire [11:0] mag = (ea >= 8'd121) ? (({4'b0, ea} - 12'd121) << 3) + {7'b0, kept_r}
                                   : {7'b0, kept_r};
  wire [6:0]  mag7 = mag[6:0];                      // the code when in range
  wire        over = mag > OVF_ABOVE;

  // ---- tininess after rounding -----------------------------------------------------------
  // x < 2^-6 is tiny unless it rounds up to 2^-6 at 4-bit precision; only x in [2^-7, 2^-6)
  // (ea = 120) can, and under RNE it does exactly when sig starts 1.111|1 (kept bits 1.111 are
  // odd, so the guard bit alone decides, ties included).
  wire rounds_to_normal = (MUTANT == 5) ? (sig[23:19] == 5'b11111) && (|sig[18:0])
                                        : (sig[23:19] == 5'b11111);
  wire tiny = (ea < 8'd121) && !(ea == 8'd120 && rounds_to_normal);

  // ---- deliver ---------------------------------------------------------------------------
  always_comb begin
    flags = 5'b0;
    if (is_inf)
      z = sat ? {s, MAX_MAG} : NAN;                 // no flags
    else if (is_special) begin
      z = NAN;
      flags = {is_snan, 4'b0000};                   // NV for a signalling NaN
    end
    else if (is_zero)
      z = {s, 7'h00};
    else if (over) begin
      z = sat ? {s, MAX_MAG} : NAN;
      flags = 5'b00101;                             // OF | NX
    end
    else begin
      z = {s, mag7};
      flags = {3'b000, tiny & inexact, inexact};    // UF, NX
    end
  end
endmodule
