// One matrix instruction per kernel; a kernel is compiled only when -DK_<kernel> is given, so
// one nvcc run per architecture takes exactly the kernels that architecture accepts
// (fp8ref tests/data/sass; see README.md and tests/accum/test_sass_evidence.py).
// Operands come from global memory, so ptxas cannot fold anything; the SASS of each kernel shows
// which tensor-core instruction (or which emulation) ptxas emits for the PTX instruction.
#include <cstdint>

#define G(i) (P[(i) * 32 + threadIdx.x])
#define F(i) (__uint_as_float(G(i)))
#define KERNEL(name) extern "C" __global__ void name(unsigned* P)
#define LOAD4 float d0 = F(5), d1 = F(6), d2 = F(7), d3 = F(8)
#define STORE4                                                                                    \
    P[threadIdx.x] = __float_as_uint(d0), P[32 + threadIdx.x] = __float_as_uint(d1),             \
    P[64 + threadIdx.x] = __float_as_uint(d2), P[96 + threadIdx.x] = __float_as_uint(d3)
#define D4 "+f"(d0), "+f"(d1), "+f"(d2), "+f"(d3)
#define A4B2 "r"(G(1)), "r"(G(2)), "r"(G(3)), "r"(G(4)), "r"(G(9)), "r"(G(10))
#define A2B1 "r"(G(1)), "r"(G(2)), "r"(G(3))

// ---- mma.sync ------------------------------------------------------------------------------
#ifdef K_mma_m8n8k4_f32_f16   // Volta shape (HMMA.884 on sm_70/sm_75)
KERNEL(mma_m8n8k4_f32_f16) {
    LOAD4;
    float d4 = F(11), d5 = F(12), d6 = F(13), d7 = F(14);
    asm volatile("mma.sync.aligned.m8n8k4.row.col.f32.f16.f16.f32 {%0,%1,%2,%3,%4,%5,%6,%7}, {%8,%9}, {%10,%11}, "
                 "{%0,%1,%2,%3,%4,%5,%6,%7};"
                 : D4, "+f"(d4), "+f"(d5), "+f"(d6), "+f"(d7) : "r"(G(1)), "r"(G(2)), "r"(G(3)), "r"(G(4)));
    STORE4;
    P[128 + threadIdx.x] = __float_as_uint(d4), P[160 + threadIdx.x] = __float_as_uint(d5);
    P[192 + threadIdx.x] = __float_as_uint(d6), P[224 + threadIdx.x] = __float_as_uint(d7);
}
#endif
#ifdef K_mma_m16n8k8_f32_f16  // Turing shape
KERNEL(mma_m16n8k8_f32_f16) {
    LOAD4;
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};"
                 : D4 : A2B1);
    STORE4;
}
#endif
#ifdef K_mma_m16n8k16_f32_f16
KERNEL(mma_m16n8k16_f32_f16) {
    LOAD4;
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};" : D4 : A4B2);
    STORE4;
}
#endif
#ifdef K_mma_m16n8k16_f16_f16
KERNEL(mma_m16n8k16_f16_f16) {
    unsigned h0 = G(5), h1 = G(6);
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16 {%0,%1}, {%2,%3,%4,%5}, {%6,%7}, {%0,%1};"
                 : "+r"(h0), "+r"(h1) : A4B2);
    P[threadIdx.x] = h0, P[32 + threadIdx.x] = h1;
}
#endif
#ifdef K_mma_m16n8k16_f32_bf16
KERNEL(mma_m16n8k16_f32_bf16) {
    LOAD4;
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};" : D4 : A4B2);
    STORE4;
}
#endif
#ifdef K_mma_m16n8k8_f32_tf32
KERNEL(mma_m16n8k8_f32_tf32) {
    LOAD4;
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};" : D4 : A4B2);
    STORE4;
}
#endif
#ifdef K_mma_m16n8k4_f32_tf32
KERNEL(mma_m16n8k4_f32_tf32) {
    LOAD4;
    asm volatile("mma.sync.aligned.m16n8k4.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};"
                 : D4 : A2B1);
    STORE4;
}
#endif
#ifdef K_mma_m16n8k16_f32_e4m3  // Ada FP8 k16 shape
KERNEL(mma_m16n8k16_f32_e4m3) {
    LOAD4;
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};"
                 : D4 : A2B1);
    STORE4;
}
#endif
#ifdef K_mma_m16n8k32_f32_f8f6f4_e4m3  // sm_120a kind::f8f6f4 (also accepted on sm_100a)
KERNEL(mma_m16n8k32_f32_f8f6f4_e4m3) {
    LOAD4;
    asm volatile("mma.sync.aligned.m16n8k32.row.col.kind::f8f6f4.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
                 "{%8,%9}, {%0,%1,%2,%3};" : D4 : A4B2);
    STORE4;
}
#endif
#ifdef K_mma_m16n8k32_f32_f8f6f4_e2m1
KERNEL(mma_m16n8k32_f32_f8f6f4_e2m1) {
    LOAD4;
    asm volatile("mma.sync.aligned.m16n8k32.row.col.kind::f8f6f4.f32.e2m1.e2m1.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
                 "{%8,%9}, {%0,%1,%2,%3};" : D4 : A4B2);
    STORE4;
}
#endif
#define MMA_BS(Q)                                                                                 \
    LOAD4;                                                                                        \
    asm volatile("mma.sync.aligned." Q " {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3}, %10, {0, 0}, "   \
                 "%11, {0, 0};" : D4 : A4B2, "r"(G(11)), "r"(G(12)));                            \
    STORE4
#ifdef K_mma_m16n8k32_mxf8f6f4_ue8m0  // MXFP8: block 32, UE8M0
KERNEL(mma_m16n8k32_mxf8f6f4_ue8m0) {
    MMA_BS("m16n8k32.row.col.kind::mxf8f6f4.block_scale.scale_vec::1X.f32.e4m3.e4m3.f32.ue8m0");
}
#endif
#ifdef K_mma_m16n8k64_mxf4nvf4_ue4m3  // NVFP4: block 16, UE4M3
KERNEL(mma_m16n8k64_mxf4nvf4_ue4m3) {
    MMA_BS("m16n8k64.row.col.kind::mxf4nvf4.block_scale.scale_vec::4X.f32.e2m1.e2m1.f32.ue4m3");
}
#endif
#ifdef K_mma_m16n8k64_mxf4nvf4_ue8m0  // MXFP4: block 32, UE8M0
KERNEL(mma_m16n8k64_mxf4nvf4_ue8m0) {
    MMA_BS("m16n8k64.row.col.kind::mxf4nvf4.block_scale.scale_vec::2X.f32.e2m1.e2m1.f32.ue8m0");
}
#endif

// ---- wgmma.mma_async (sm_90a) ----------------------------------------------------------------
#define WG_BEGIN                                                                                  \
    uint64_t da = ((uint64_t)G(1) << 32) | G(2), db = ((uint64_t)G(3) << 32) | G(4);              \
    asm volatile("wgmma.fence.sync.aligned;")
#define WG_END                                                                                    \
    asm volatile("wgmma.commit_group.sync.aligned;");                                             \
    asm volatile("wgmma.wait_group.sync.aligned 0;")
#define WG_F32(Q, IMM)                                                                            \
    LOAD4;                                                                                        \
    WG_BEGIN;                                                                                     \
    asm volatile("wgmma.mma_async.sync.aligned." Q " {%0,%1,%2,%3}, %4, %5, 1, 1, 1" IMM ";"      \
                 : D4 : "l"(da), "l"(db));                                                        \
    WG_END;                                                                                       \
    STORE4
#define WG_F16(Q, IMM)                                                                            \
    unsigned h0 = G(5), h1 = G(6);                                                                \
    WG_BEGIN;                                                                                     \
    asm volatile("wgmma.mma_async.sync.aligned." Q " {%0,%1}, %2, %3, 1, 1, 1" IMM ";"            \
                 : "+r"(h0), "+r"(h1) : "l"(da), "l"(db));                                        \
    WG_END;                                                                                       \
    P[threadIdx.x] = h0, P[32 + threadIdx.x] = h1
#ifdef K_wgmma_m64n8k16_f32_f16
KERNEL(wgmma_m64n8k16_f32_f16) { WG_F32("m64n8k16.f32.f16.f16", ", 0, 0"); }
#endif
#ifdef K_wgmma_m64n8k16_f16_f16
KERNEL(wgmma_m64n8k16_f16_f16) { WG_F16("m64n8k16.f16.f16.f16", ", 0, 0"); }
#endif
#ifdef K_wgmma_m64n8k16_f32_bf16
KERNEL(wgmma_m64n8k16_f32_bf16) { WG_F32("m64n8k16.f32.bf16.bf16", ", 0, 0"); }
#endif
#ifdef K_wgmma_m64n8k8_f32_tf32
KERNEL(wgmma_m64n8k8_f32_tf32) { WG_F32("m64n8k8.f32.tf32.tf32", ""); }
#endif
#ifdef K_wgmma_m64n8k32_f32_e4m3
KERNEL(wgmma_m64n8k32_f32_e4m3) { WG_F32("m64n8k32.f32.e4m3.e4m3", ""); }
#endif
#ifdef K_wgmma_m64n8k32_f16_e4m3
KERNEL(wgmma_m64n8k32_f16_e4m3) { WG_F16("m64n8k32.f16.e4m3.e4m3", ""); }
#endif

// ---- tcgen05.mma (sm_100a): the element types live in the run-time instruction descriptor ----
#define TC(Q, SCALES, ...)                                                                        \
    uint64_t da = ((uint64_t)G(1) << 32) | G(2), db = ((uint64_t)G(3) << 32) | G(4);              \
    if (G(9))                                                                                     \
        asm volatile("{.reg .pred p; setp.ne.b32 p, %4, 0; tcgen05.mma.cta_group::1." Q           \
                     " [%0], %1, %2, %3" SCALES ", p;}"                                           \
                     :: "r"(G(5)), "l"(da), "l"(db), "r"(G(6)), "r"(G(10)) __VA_ARGS__)
#ifdef K_tcgen05_kind_f16
KERNEL(tcgen05_kind_f16) { TC("kind::f16", ""); }
#endif
#ifdef K_tcgen05_kind_tf32
KERNEL(tcgen05_kind_tf32) { TC("kind::tf32", ""); }
#endif
#ifdef K_tcgen05_kind_f8f6f4
KERNEL(tcgen05_kind_f8f6f4) { TC("kind::f8f6f4", ""); }
#endif
#ifdef K_tcgen05_kind_mxf8f6f4_block32
KERNEL(tcgen05_kind_mxf8f6f4_block32) { TC("kind::mxf8f6f4.block_scale.block32", ", [%5], [%6]", , "r"(G(7)), "r"(G(8))); }
#endif
#ifdef K_tcgen05_kind_mxf4nvf4_block16
KERNEL(tcgen05_kind_mxf4nvf4_block16) { TC("kind::mxf4nvf4.block_scale.block16", ", [%5], [%6]", , "r"(G(7)), "r"(G(8))); }
#endif
#ifdef K_tcgen05_kind_mxf4nvf4_block32
KERNEL(tcgen05_kind_mxf4nvf4_block32) { TC("kind::mxf4nvf4.block_scale.block32", ", [%5], [%6]", , "r"(G(7)), "r"(G(8))); }
#endif
