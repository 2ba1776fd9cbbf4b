// Runs matrix instructions on an NVIDIA GPU (sm_90a: H100/H200) over test rows and writes the raw
// result bits (fp8ref scripts/gpu; README.md there). One job = one instruction kind over many rows.
//
// Each thread block computes tiles of one instruction kind. Row r of a job is one dot product
// (a[r][0..K), b[r][0..K), c[r]). Eight rows share a tile: row i of A is a of row 8t+i, column j of B
// is b of row 8t+j, C[i][i] = c of row 8t+i, every other C element is 0, A rows 8.. are 0. Each
// of the 64 outputs D[i][j] (i, j < 8) is a real dot product (C = 0 off the diagonal) and all 64
// are written. K > k runs K/k instructions in order, D of one being C of the next (as a kernel
// loops over k).
//
// Fragment layouts: PTX ISA, "Matrix fragments for mma.m16n8k*" and the wgmma register fragment
// for A; g = lane / 4, t = lane % 4, E = 32 / element bits (elements per 32-bit register):
//   A register r: row g + 8 (r & 1) (+ 16 warp for wgmma), columns t E + (r >> 1) 4E ... + E - 1
//   B register r: rows (k) t E + r 4E ... + E - 1, column g
//   D element i:  row g + 8 (i >> 1) (+ 16 warp), column 2t + (i & 1); f16 D packs elements 2j, 2j+1
// wgmma reads B from shared memory without swizzle: 8 x 16-byte core matrices, K-major, the second
// core matrix along K 128 bytes after the first (leading and stride byte offsets both 128, so
// either reading of the two fields gives the same address; N = 8 has one core matrix along N).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <cuda_runtime.h>

typedef uint32_t u32;

#define CK(x)                                                                                     \
    do {                                                                                          \
        cudaError_t e_ = (x);                                                                     \
        if (e_ != cudaSuccess) {                                                                  \
            fprintf(stderr, "CUDA error %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__); \
            exit(2);                                                                              \
        }                                                                                         \
    } while (0)

// ---- instruction wrappers: acc is 4 floats (f32 D) or 2 packed f16x2 words (f16 D) ----
#define MMA_F32(SH, AT, BT, NA, NB) \
    struct mma_##SH##_f32_##AT##_##BT { \
        static constexpr int na = NA, nb = NB; static constexpr bool f16d = false, wg = false; \
        __device__ static void run(u32* d, const u32* a, const u32* b, u32) { MMA_ASM_F32_##NA##NB("mma.sync.aligned." #SH ".row.col.f32." #AT "." #BT ".f32") } };
#define MMA_F16(SH, AT, BT, NA, NB) \
    struct mma_##SH##_f16_##AT##_##BT { \
        static constexpr int na = NA, nb = NB; static constexpr bool f16d = true, wg = false; \
        __device__ static void run(u32* d, const u32* a, const u32* b, u32) { MMA_ASM_F16_##NA##NB("mma.sync.aligned." #SH ".row.col.f16." #AT "." #BT ".f16") } };

#define MMA_ASM_F32_42(Q) asm volatile(Q " {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};" \
    : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#define MMA_ASM_F32_21(Q) asm volatile(Q " {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};" \
    : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]) : "r"(a[0]), "r"(a[1]), "r"(b[0]));
#define MMA_ASM_F16_42(Q) asm volatile(Q " {%0,%1}, {%2,%3,%4,%5}, {%6,%7}, {%0,%1};" \
    : "+r"(d[0]), "+r"(d[1]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#define MMA_ASM_F16_21(Q) asm volatile(Q " {%0,%1}, {%2,%3}, {%4}, {%0,%1};" \
    : "+r"(d[0]), "+r"(d[1]) : "r"(a[0]), "r"(a[1]), "r"(b[0]));

MMA_F32(m16n8k16, f16, f16, 4, 2)
MMA_F16(m16n8k16, f16, f16, 4, 2)
MMA_F32(m16n8k16, bf16, bf16, 4, 2)
MMA_F32(m16n8k8, f16, f16, 2, 1)
MMA_F16(m16n8k8, f16, f16, 2, 1)
MMA_F32(m16n8k8, bf16, bf16, 2, 1)
MMA_F32(m16n8k8, tf32, tf32, 4, 2)
MMA_F32(m16n8k4, tf32, tf32, 2, 1)
MMA_F32(m16n8k32, e4m3, e4m3, 4, 2)
MMA_F32(m16n8k32, e4m3, e5m2, 4, 2)
MMA_F32(m16n8k32, e5m2, e4m3, 4, 2)
MMA_F32(m16n8k32, e5m2, e5m2, 4, 2)
MMA_F16(m16n8k32, e4m3, e4m3, 4, 2)
MMA_F16(m16n8k32, e4m3, e5m2, 4, 2)
MMA_F16(m16n8k32, e5m2, e4m3, 4, 2)
MMA_F16(m16n8k32, e5m2, e5m2, 4, 2)

// wgmma, A from registers, B from shared memory through descriptor db
#define WG_F32(SH, AT, BT, TAIL) \
    struct wgmma_##SH##_f32_##AT##_##BT { \
        static constexpr int na = 4, nb = 0; static constexpr bool f16d = false, wg = true; \
        __device__ static void run(u32* d, const u32* a, const u32*, uint64_t db) { \
            asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); \
            asm volatile("wgmma.mma_async.sync.aligned." #SH ".f32." #AT "." #BT " {%0,%1,%2,%3}, {%4,%5,%6,%7}, %8, 1, 1, 1" TAIL ";" \
                : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db)); \
            asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); \
            asm volatile("wgmma.wait_group.sync.aligned 0;" : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]) :: "memory"); } };
#define WG_F16(SH, AT, BT, TAIL) \
    struct wgmma_##SH##_f16_##AT##_##BT { \
        static constexpr int na = 4, nb = 0; static constexpr bool f16d = true, wg = true; \
        __device__ static void run(u32* d, const u32* a, const u32*, uint64_t db) { \
            asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); \
            asm volatile("wgmma.mma_async.sync.aligned." #SH ".f16." #AT "." #BT " {%0,%1}, {%2,%3,%4,%5}, %6, 1, 1, 1" TAIL ";" \
                : "+r"(d[0]), "+r"(d[1]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db)); \
            asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); \
            asm volatile("wgmma.wait_group.sync.aligned 0;" : "+r"(d[0]), "+r"(d[1]) :: "memory"); } };

WG_F32(m64n8k16, f16, f16, ", 0")
WG_F16(m64n8k16, f16, f16, ", 0")
WG_F32(m64n8k16, bf16, bf16, ", 0")
WG_F32(m64n8k8, tf32, tf32, "")
WG_F32(m64n8k32, e4m3, e4m3, "")
WG_F32(m64n8k32, e4m3, e5m2, "")
WG_F32(m64n8k32, e5m2, e4m3, "")
WG_F32(m64n8k32, e5m2, e5m2, "")
WG_F16(m64n8k32, e4m3, e4m3, "")
WG_F16(m64n8k32, e4m3, e5m2, "")
WG_F16(m64n8k32, e5m2, e4m3, "")
WG_F16(m64n8k32, e5m2, e5m2, "")

// ---- the kernel: one block = one tile of 8 rows ----
template <class Op, int BITS, int KI>
__global__ void tile_kernel(const u32* A, const u32* B, const u32* C, u32* D, int K) {
    constexpr int E = 32 / BITS;
    constexpr u32 MASK = BITS == 32 ? 0xFFFFFFFFu : ((1u << BITS) - 1);
    __shared__ __align__(256) unsigned char sB[16 * 256];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
    const u32* a = A + (size_t)blockIdx.x * 8 * K;
    const u32* b = B + (size_t)blockIdx.x * 8 * K;
    const u32* c = C + (size_t)blockIdx.x * 64;
    u32* dout = D + (size_t)blockIdx.x * 64;
    const int row0 = (Op::wg ? 16 * warp : 0) + g;
    u32 acc[4];
    for (int i = 0; i < 4; i++) {  // element i of D
        int row = row0 + 8 * (i >> 1), col = 2 * t + (i & 1);
        u32 v = row < 8 ? c[row * 8 + col] : 0u;
        if (Op::f16d) {
            if (i & 1) acc[i >> 1] |= (v & 0xFFFFu) << 16; else acc[i >> 1] = v & 0xFFFFu;
        } else {
            acc[i] = v;
        }
    }
    if (Op::wg) {  // every step's B into shared memory, core-matrix layout
        const int steps = K / KI, bytes_per_k = BITS / 8;
        for (int idx = threadIdx.x; idx < steps * 8 * KI; idx += blockDim.x) {
            int s = idx / (8 * KI), rem = idx % (8 * KI), n = rem / KI, k = rem % KI;
            u32 v = b[n * K + s * KI + k];
            int kb = k * bytes_per_k;
            unsigned char* p = sB + s * 256 + (kb / 16) * 128 + n * 16 + (kb % 16);
            for (int byte = 0; byte < bytes_per_k; byte++) p[byte] = (v >> (8 * byte)) & 0xFF;
        }
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
        __syncthreads();
    }
    for (int k0 = 0; k0 < K; k0 += KI) {
        u32 ra[4] = {0, 0, 0, 0}, rb[2] = {0, 0};
        for (int r = 0; r < Op::na; r++) {
            int row = row0 + 8 * (r & 1), col = k0 + t * E + (r >> 1) * 4 * E;
            u32 w = 0;
            if (row < 8)
                for (int e = 0; e < E; e++) w |= (a[row * K + col + e] & MASK) << (e * BITS);
            ra[r] = w;
        }
        for (int r = 0; r < Op::nb; r++) {
            int k = k0 + t * E + r * 4 * E;
            u32 w = 0;
            for (int e = 0; e < E; e++) w |= (b[g * K + k + e] & MASK) << (e * BITS);
            rb[r] = w;
        }
        uint64_t db = 0;
        if (Op::wg) {
            u32 addr = (u32)__cvta_generic_to_shared(sB + (k0 / KI) * 256);
            db = (uint64_t)((addr & 0x3FFFF) >> 4) | ((uint64_t)(128 >> 4) << 16) | ((uint64_t)(128 >> 4) << 32);
        }
        Op::run(acc, ra, rb, db);
    }
    for (int i = 0; i < 4; i++) {
        int row = row0 + 8 * (i >> 1), col = 2 * t + (i & 1);
        if (row < 8) dout[row * 8 + col] = Op::f16d ? ((acc[i >> 1] >> (16 * (i & 1))) & 0xFFFFu) : acc[i];
    }
}

struct Kind {
    const char* name;
    int bits, ki, threads;
    void (*kernel)(const u32*, const u32*, const u32*, u32*, int);
};

#define KD(OP, BITS, KI) {#OP, BITS, KI, OP::wg ? 128 : 32, tile_kernel<OP, BITS, KI>}
static const Kind KINDS[] = {
    KD(mma_m16n8k16_f32_f16_f16, 16, 16), KD(mma_m16n8k16_f16_f16_f16, 16, 16), KD(mma_m16n8k16_f32_bf16_bf16, 16, 16),
    KD(mma_m16n8k8_f32_f16_f16, 16, 8), KD(mma_m16n8k8_f16_f16_f16, 16, 8), KD(mma_m16n8k8_f32_bf16_bf16, 16, 8),
    KD(mma_m16n8k8_f32_tf32_tf32, 32, 8), KD(mma_m16n8k4_f32_tf32_tf32, 32, 4),
    KD(mma_m16n8k32_f32_e4m3_e4m3, 8, 32), KD(mma_m16n8k32_f32_e4m3_e5m2, 8, 32),
    KD(mma_m16n8k32_f32_e5m2_e4m3, 8, 32), KD(mma_m16n8k32_f32_e5m2_e5m2, 8, 32),
    KD(mma_m16n8k32_f16_e4m3_e4m3, 8, 32), KD(mma_m16n8k32_f16_e4m3_e5m2, 8, 32),
    KD(mma_m16n8k32_f16_e5m2_e4m3, 8, 32), KD(mma_m16n8k32_f16_e5m2_e5m2, 8, 32),
    KD(wgmma_m64n8k16_f32_f16_f16, 16, 16), KD(wgmma_m64n8k16_f16_f16_f16, 16, 16),
    KD(wgmma_m64n8k16_f32_bf16_bf16, 16, 16), KD(wgmma_m64n8k8_f32_tf32_tf32, 32, 8),
    KD(wgmma_m64n8k32_f32_e4m3_e4m3, 8, 32), KD(wgmma_m64n8k32_f32_e4m3_e5m2, 8, 32),
    KD(wgmma_m64n8k32_f32_e5m2_e4m3, 8, 32), KD(wgmma_m64n8k32_f32_e5m2_e5m2, 8, 32),
    KD(wgmma_m64n8k32_f16_e4m3_e4m3, 8, 32), KD(wgmma_m64n8k32_f16_e4m3_e5m2, 8, 32),
    KD(wgmma_m64n8k32_f16_e5m2_e4m3, 8, 32), KD(wgmma_m64n8k32_f16_e5m2_e5m2, 8, 32),
};

static std::vector<u32> read_words(const char* path) {
    FILE* f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "cannot open %s\n", path); exit(1); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    std::vector<u32> w(n / 4);
    if (fread(w.data(), 4, w.size(), f) != w.size()) { fprintf(stderr, "short read %s\n", path); exit(1); }
    fclose(f);
    return w;
}

// job file (little-endian u32 words): tiles, K, then A [tiles][8][K], B [tiles][8][K] (row j = column j
// of B), C [tiles][8][8]. Output: D [tiles][8][8].
int main(int argc, char** argv) {
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (const Kind& k : KINDS) printf("%s\n", k.name);
        return 0;
    }
    if (argc != 4) { fprintf(stderr, "usage: probe KIND job.bin out.bin | probe --list\n"); return 1; }
    const Kind* kind = nullptr;
    for (const Kind& k : KINDS) if (!strcmp(k.name, argv[1])) kind = &k;
    if (!kind) { fprintf(stderr, "unknown kind %s\n", argv[1]); return 1; }
    std::vector<u32> w = read_words(argv[2]);
    size_t tiles = w[0], K = w[1];
    if (K % kind->ki || K / kind->ki > 16 || w.size() != 2 + tiles * (16 * K + 64)) {
        fprintf(stderr, "%s: bad job shape tiles=%zu K=%zu words=%zu\n", argv[2], tiles, K, w.size());
        return 1;
    }
    u32 *dA, *dB, *dC, *dD;
    CK(cudaMalloc(&dA, tiles * 8 * K * 4)); CK(cudaMalloc(&dB, tiles * 8 * K * 4));
    CK(cudaMalloc(&dC, tiles * 64 * 4)); CK(cudaMalloc(&dD, tiles * 64 * 4));
    CK(cudaMemcpy(dA, &w[2], tiles * 8 * K * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dB, &w[2 + tiles * 8 * K], tiles * 8 * K * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dC, &w[2 + tiles * 16 * K], tiles * 64 * 4, cudaMemcpyHostToDevice));
    CK(cudaMemset(dD, 0xFF, tiles * 64 * 4));
    kind->kernel<<<tiles, kind->threads>>>(dA, dB, dC, dD, (int)K);
    CK(cudaGetLastError());
    CK(cudaDeviceSynchronize());
    std::vector<u32> out(tiles * 64);
    CK(cudaMemcpy(out.data(), dD, tiles * 64 * 4, cudaMemcpyDeviceToHost));
    std::string tmp = std::string(argv[3]) + ".tmp";
    FILE* f = fopen(tmp.c_str(), "wb");
    fwrite(out.data(), 4, out.size(), f);
    fclose(f);
    rename(tmp.c_str(), argv[3]);
    printf("%s %s tiles=%zu K=%zu ok\n", kind->name, argv[2], tiles, K);
    return 0;
}
