// One mma.sync FP8 instruction per kernel (fp8ref tests/data/sass; see README.md).
// Fragments are loaded from global memory so ptxas cannot fold anything; each kernel issues the
// Ada instruction mma.sync.aligned.m16n8k32 with FP8 inputs, which sm_89 runs natively and
// sm_90/sm_100 have no FP8 mma.sync for.  fp16_chain issues two dependent instructions
// (K = 64: the second takes the first's D as C).
#define MMA_F16(T)                                                                           \
    asm volatile("mma.sync.aligned.m16n8k32.row.col.f16." T "." T ".f16 "                   \
                 "{%0,%1}, {%2,%3,%4,%5}, {%6,%7}, {%8,%9};\n"                              \
                 : "=r"(d0), "=r"(d1)                                                       \
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]),        \
                   "r"(c0), "r"(c1))
#define MMA_F32(T)                                                                           \
    asm volatile("mma.sync.aligned.m16n8k32.row.col.f32." T "." T ".f32 "                   \
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};\n"              \
                 : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])                           \
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]),        \
                   "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]))

#define KERNEL_F16(NAME, T)                                                                  \
    extern "C" __global__ void NAME(const uint4* A, const uint2* B, const uint2* C, uint2* D) { \
        int t = threadIdx.x;                                                                 \
        uint4 av = A[t]; uint2 bv = B[t]; unsigned a[4] = {av.x, av.y, av.z, av.w};          \
        unsigned b[2] = {bv.x, bv.y}, c0 = C[t].x, c1 = C[t].y, d0, d1;                      \
        MMA_F16(T);                                                                          \
        D[t] = make_uint2(d0, d1);                                                           \
    }
#define KERNEL_F32(NAME, T)                                                                  \
    extern "C" __global__ void NAME(const uint4* A, const uint2* B, const float4* C, float4* D) { \
        int t = threadIdx.x;                                                                 \
        uint4 av = A[t]; uint2 bv = B[t]; unsigned a[4] = {av.x, av.y, av.z, av.w};          \
        unsigned b[2] = {bv.x, bv.y};                                                        \
        float4 cv = C[t]; float c[4] = {cv.x, cv.y, cv.z, cv.w}, d[4];                       \
        MMA_F32(T);                                                                          \
        D[t] = make_float4(d[0], d[1], d[2], d[3]);                                          \
    }

KERNEL_F16(fp16_e4m3, "e4m3")
KERNEL_F16(fp16_e5m2, "e5m2")
KERNEL_F32(fp32_e4m3, "e4m3")
KERNEL_F32(fp32_e5m2, "e5m2")

// K = 64 as two dependent instructions: does each one keep its own HMMA, HMMA, HADD2?
extern "C" __global__ void fp16_chain(const uint4* A, const uint2* B, const uint2* C, uint2* D) {
    int t = threadIdx.x;
    uint4 av = A[t]; uint2 bv = B[t]; unsigned a[4] = {av.x, av.y, av.z, av.w};
    unsigned b[2] = {bv.x, bv.y}, c0 = C[t].x, c1 = C[t].y, d0, d1;
    MMA_F16("e4m3");
    av = A[32 + t]; bv = B[32 + t]; a[0] = av.x; a[1] = av.y; a[2] = av.z; a[3] = av.w;
    b[0] = bv.x; b[1] = bv.y; c0 = d0; c1 = d1;
    MMA_F16("e4m3");
    D[t] = make_uint2(d0, d1);
}
