/*
 * CRC32C (Castagnoli) for Samsa's record batches, as a Node-API addon.
 *
 * On x86-64 with SSE4.2 the buffer is cut into three blocks that are checksummed in one loop
 * with the crc32 instruction (three independent dependency chains keep the unit busy, where a
 * single chain waits out the instruction's latency), and the three results are joined by
 * "shifting" a CRC over a block of zeros with a table built at load time. Elsewhere, or without
 * SSE4.2, `hardware` is false and the JavaScript side keeps its portable implementation.
 *
 * Written for this project from the textbook description of the method: the CRC register is
 * linear over GF(2), so crc(A || B) = shift(crc(A), |B|) ^ crc0(B), where crc0 starts from zero
 * and shift(c, n) multiplies c by x^(8n) modulo the polynomial.
 */
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define POLY 0x82f63b78u /* reflected Castagnoli polynomial */
#define LONG_BLOCK 8192
#define SHORT_BLOCK 256

/* Multiplies a by b modulo the polynomial (both in reflected bit order). */
static uint32_t multmodp(uint32_t a, uint32_t b) {
  uint32_t m = 1u << 31, p = 0;
  if (a == 0) return 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>= 1;
    b = (b & 1) ? (b >> 1) ^ POLY : b >> 1;
  }
  return p;
}

/* x^(8n) modulo the polynomial: the operator "advance over n zero bytes". */
static uint32_t x8nmodp(size_t n) {
  uint32_t p = 1u << 31; /* x^0 */
  uint32_t sq = 1u << 23; /* x^8 */
  while (n) {
    if (n & 1) p = multmodp(sq, p);
    sq = multmodp(sq, sq);
    n >>= 1;
  }
  return p;
}

static uint32_t shift_long[4][256];
static uint32_t shift_short[4][256];
static uint32_t table_sw[256];

static void build_shift_table(uint32_t table[4][256], size_t bytes) {
  uint32_t op = x8nmodp(bytes);
  for (int k = 0; k < 4; k++)
    for (uint32_t b = 0; b < 256; b++) table[k][b] = multmodp(b << (8 * k), op);
}

static inline uint32_t shift(uint32_t table[4][256], uint32_t c) {
  return table[0][c & 0xff] ^ table[1][(c >> 8) & 0xff] ^ table[2][(c >> 16) & 0xff] ^ table[3][c >> 24];
}

static uint32_t crc32c_sw(uint32_t crc, const uint8_t* p, size_t n) {
  while (n--) crc = table_sw[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_X86_HW 1
#include <nmmintrin.h>

static inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* Raw register update over n bytes (no pre/post inversion). */
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc32, const uint8_t* next, size_t len) {
  uint64_t crc0 = crc32;
  while (len && ((uintptr_t)next & 7)) {
    crc0 = _mm_crc32_u8((uint32_t)crc0, *next++);
    len--;
  }
  while (len >= 3 * LONG_BLOCK) {
    uint64_t crc1 = 0, crc2 = 0;
    const uint8_t* end = next + LONG_BLOCK;
    do {
      crc0 = _mm_crc32_u64(crc0, load64(next));
      crc1 = _mm_crc32_u64(crc1, load64(next + LONG_BLOCK));
      crc2 = _mm_crc32_u64(crc2, load64(next + 2 * LONG_BLOCK));
      next += 8;
    } while (next < end);
    crc0 = shift(shift_long, (uint32_t)crc0) ^ (uint32_t)crc1;
    crc0 = shift(shift_long, (uint32_t)crc0) ^ (uint32_t)crc2;
    next += 2 * LONG_BLOCK;
    len -= 3 * LONG_BLOCK;
  }
  while (len >= 3 * SHORT_BLOCK) {
    uint64_t crc1 = 0, crc2 = 0;
    const uint8_t* end = next + SHORT_BLOCK;
    do {
      crc0 = _mm_crc32_u64(crc0, load64(next));
      crc1 = _mm_crc32_u64(crc1, load64(next + SHORT_BLOCK));
      crc2 = _mm_crc32_u64(crc2, load64(next + 2 * SHORT_BLOCK));
      next += 8;
    } while (next < end);
    crc0 = shift(shift_short, (uint32_t)crc0) ^ (uint32_t)crc1;
    crc0 = shift(shift_short, (uint32_t)crc0) ^ (uint32_t)crc2;
    next += 2 * SHORT_BLOCK;
    len -= 3 * SHORT_BLOCK;
  }
  while (len >= 8) {
    crc0 = _mm_crc32_u64(crc0, load64(next));
    next += 8;
    len -= 8;
  }
  while (len--) crc0 = _mm_crc32_u8((uint32_t)crc0, *next++);
  return (uint32_t)crc0;
}
#endif

static int use_hw = 0;

/* crc32c(data: Uint8Array, initial: number): number */
static napi_value js_crc32c(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "crc32c(data, initial): data is required");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* data = NULL;
  napi_value ab;
  size_t offset = 0;
  bool is_typed = false;
  napi_is_typedarray(env, argv[0], &is_typed);
  if (!is_typed) {
    napi_throw_type_error(env, NULL, "crc32c(data, initial): data must be a Uint8Array");
    return NULL;
  }
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset) != napi_ok) return NULL;
  if (type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "crc32c(data, initial): data must be a Uint8Array");
    return NULL;
  }
  uint32_t initial = 0;
  if (argc >= 2) {
    napi_valuetype vt;
    napi_typeof(env, argv[1], &vt);
    if (vt == napi_number) napi_get_value_uint32(env, argv[1], &initial);
  }
  uint32_t crc = ~initial;
#ifdef HAVE_X86_HW
  if (use_hw)
    crc = crc32c_hw(crc, (const uint8_t*)data, length);
  else
#endif
    crc = crc32c_sw(crc, (const uint8_t*)data, length);
  napi_value result;
  napi_create_uint32(env, ~crc, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
    table_sw[n] = c;
  }
  build_shift_table(shift_long, LONG_BLOCK);
  build_shift_table(shift_short, SHORT_BLOCK);
#ifdef HAVE_X86_HW
  __builtin_cpu_init();
  use_hw = __builtin_cpu_supports("sse4.2");
#endif
  napi_value fn, hw;
  napi_create_function(env, "crc32c", NAPI_AUTO_LENGTH, js_crc32c, NULL, &fn);
  napi_set_named_property(env, exports, "crc32c", fn);
  napi_get_boolean(env, use_hw != 0, &hw);
  napi_set_named_property(env, exports, "hardware", hw);
  return exports;
}

NAPI_MODULE_INIT() {
  return init(env, exports);
}
