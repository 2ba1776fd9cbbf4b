// cocotb wrapper: one e8m0_scale per MX element format on a shared block of 32 binary32
// elements, so that one simulation checks every element format's scale files.
// Element i sits in x[32*i +: 32]; scale_<elem> is the E8M0 code for that element format
// (EMAX_ELEM: E4M3 8, E5M2 15, E3M2 4, E2M3 2, E2M1 2, MXINT8 0).
`timescale 1ns/1ps
module cocotb_e8m0_scale_top (
    input  logic [32*32-1:0] x,
    output logic [7:0]       scale_e4m3fn,
    output logic [7:0]       scale_e5m2,
    output logic [7:0]       scale_e3m2fn,
    output logic [7:0]       scale_e2m3fn,
    output logic [7:0]       scale_e2m1fn,
    output logic [7:0]       scale_int8
);
  e8m0_scale #(.K(32), .EMAX_ELEM(8))  u_e4m3fn (.x(x), .scale(scale_e4m3fn));
  e8m0_scale #(.K(32), .EMAX_ELEM(15)) u_e5m2   (.x(x), .scale(scale_e5m2));
  e8m0_scale #(.K(32), .EMAX_ELEM(4))  u_e3m2fn (.x(x), .scale(scale_e3m2fn));
  e8m0_scale #(.K(32), .EMAX_ELEM(2))  u_e2m3fn (.x(x), .scale(scale_e2m3fn));
  e8m0_scale #(.K(32), .EMAX_ELEM(2))  u_e2m1fn (.x(x), .scale(scale_e2m1fn));
  e8m0_scale #(.K(32), .EMAX_ELEM(0))  u_int8   (.x(x), .scale(scale_int8));
endmodule
