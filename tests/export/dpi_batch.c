/* Test harness: loops over arrays calling the DPI-C model's scalar functions (compiled with
 * the generated fp8ref_dpi.c into one shared library for ctypes). kind: 0 f32, 1 f16, 2 bf16. */
#include <stddef.h>
#include <stdint.h>

unsigned int fp8ref_encode_f32(int model, unsigned int a, unsigned char *flags);
unsigned int fp8ref_encode_f16(int model, unsigned short a, unsigned char *flags);
unsigned int fp8ref_encode_bf16(int model, unsigned short a, unsigned char *flags);
unsigned int fp8ref_decode_f32(int fmt, unsigned int code);

void batch_encode(int kind, int model, const uint32_t *a, uint32_t *z, uint8_t *flags, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char f = 0;
    if (kind == 0) z[i] = fp8ref_encode_f32(model, a[i], &f);
    else if (kind == 1) z[i] = fp8ref_encode_f16(model, (unsigned short)a[i], &f);
    else z[i] = fp8ref_encode_bf16(model, (unsigned short)a[i], &f);
    flags[i] = f;
  }
}

void batch_decode(int fmt, const uint32_t *a, uint32_t *z, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) z[i] = fp8ref_decode_f32(fmt, a[i]);
}
