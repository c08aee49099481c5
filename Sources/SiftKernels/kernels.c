// See include/SiftKernels.h.
#include "SiftKernels.h"
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#define SIFT_X86 1
#include <immintrin.h>
#else
#define SIFT_X86 0
#endif

// ---------------------------------------------------------------------------------------
// Dispatch

static int detected = -1;
static int cap = 2;

static int detect(void) {
#if SIFT_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512vpopcntdq") && __builtin_cpu_supports("avx512vnni")) return SIFT_KERNELS_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt")) return SIFT_KERNELS_AVX2;
#endif
    return SIFT_KERNELS_PORTABLE;
}

int sift_kernels_variant(void) {
    int d = __atomic_load_n(&detected, __ATOMIC_RELAXED);
    if (d < 0) { d = detect(); __atomic_store_n(&detected, d, __ATOMIC_RELAXED); }
    int c = __atomic_load_n(&cap, __ATOMIC_RELAXED);
    return d < c ? d : c;
}

int sift_kernels_force(int max_variant) {
    __atomic_store_n(&cap, max_variant < -1 ? -1 : max_variant, __ATOMIC_RELAXED);
    return sift_kernels_variant();
}

void sift_bf16_dot(const uint16_t *m, size_t rows, size_t dim, const float *q, float *out) {
    switch (sift_kernels_variant()) {
    case SIFT_KERNELS_AVX512: sift_bf16_dot_avx512(m, rows, dim, q, out); break;
    case SIFT_KERNELS_AVX2: sift_bf16_dot_avx2(m, rows, dim, q, out); break;
    default: sift_bf16_dot_portable(m, rows, dim, q, out);
    }
}

void sift_sign_dot4(const void *c, size_t rows, size_t words, size_t stride, const uint64_t *p, uint32_t *dot, uint32_t *ones) {
    switch (sift_kernels_variant()) {
    case SIFT_KERNELS_AVX512: sift_sign_dot4_avx512(c, rows, words, stride, p, dot, ones); break;
    case SIFT_KERNELS_AVX2: sift_sign_dot4_avx2(c, rows, words, stride, p, dot, ones); break;
    default: sift_sign_dot4_portable(c, rows, words, stride, p, dot, ones);
    }
}

void sift_u8i8_dot(const int8_t *c, size_t rows, size_t dim, size_t stride, const uint8_t *q, int32_t *out) {
    switch (sift_kernels_variant()) {
    case SIFT_KERNELS_AVX512: sift_u8i8_dot_avx512(c, rows, dim, stride, q, out); break;
    case SIFT_KERNELS_AVX2: sift_u8i8_dot_avx2(c, rows, dim, stride, q, out); break;
    default: sift_u8i8_dot_portable(c, rows, dim, stride, q, out);
    }
}

// ---------------------------------------------------------------------------------------
// Portable variants

static inline float widen(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

void sift_bf16_dot_portable(const uint16_t *m, size_t rows, size_t dim, const float *q, float *out) {
    for (size_t r = 0; r < rows; r++) {
        const uint16_t *row = m + r * dim;
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (size_t i = 0; i < dim; i += 4) {
            a0 += widen(row[i]) * q[i];
            a1 += widen(row[i + 1]) * q[i + 1];
            a2 += widen(row[i + 2]) * q[i + 2];
            a3 += widen(row[i + 3]) * q[i + 3];
        }
        out[r] = (a0 + a1) + (a2 + a3);
    }
}

static inline uint32_t popcount64(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (uint32_t)((x * 0x0101010101010101ULL) >> 56);
}

void sift_sign_dot4_portable(const void *c, size_t rows, size_t words, size_t stride, const uint64_t *p, uint32_t *dot, uint32_t *ones) {
    for (size_t r = 0; r < rows; r++) {
        const uint64_t *row = (const uint64_t *)((const char *)c + r * stride);
        uint32_t d0 = 0, d1 = 0, d2 = 0, d3 = 0, n = 0;
        for (size_t w = 0; w < words; w++) {
            uint64_t x = row[w];
            d0 += popcount64(x & p[w]);
            d1 += popcount64(x & p[words + w]);
            d2 += popcount64(x & p[2 * words + w]);
            d3 += popcount64(x & p[3 * words + w]);
            n += popcount64(x);
        }
        dot[r] = d0 + 2 * d1 + 4 * d2 + 8 * d3;
        ones[r] = n;
    }
}

void sift_u8i8_dot_portable(const int8_t *c, size_t rows, size_t dim, size_t stride, const uint8_t *q, int32_t *out) {
    for (size_t r = 0; r < rows; r++) {
        const int8_t *row = c + r * stride;
        int32_t s = 0;
        for (size_t i = 0; i < dim; i++) s += (int32_t)q[i] * (int32_t)row[i];
        out[r] = s;
    }
}

// ---------------------------------------------------------------------------------------
// x86-64 variants

#if SIFT_X86

__attribute__((target("avx2,fma")))
void sift_bf16_dot_avx2(const uint16_t *m, size_t rows, size_t dim, const float *q, float *out) {
    for (size_t r = 0; r < rows; r++) {
        const uint16_t *row = m + r * dim;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        for (size_t i = 0; i < dim; i += 16) {
            __m256i w0 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(row + i)));
            __m256i w1 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(row + i + 8)));
            a0 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(w0, 16)), _mm256_loadu_ps(q + i), a0);
            a1 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(w1, 16)), _mm256_loadu_ps(q + i + 8), a1);
        }
        __m256 s = _mm256_add_ps(a0, a1);
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_movehdup_ps(h));
        out[r] = _mm_cvtss_f32(h);
    }
}

__attribute__((target("avx512f,avx512bw")))
void sift_bf16_dot_avx512(const uint16_t *m, size_t rows, size_t dim, const float *q, float *out) {
    for (size_t r = 0; r < rows; r++) {
        const uint16_t *row = m + r * dim;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        for (size_t i = 0; i < dim; i += 32) {
            __m512i w0 = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(row + i)));
            __m512i w1 = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(row + i + 16)));
            a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(w0, 16)), _mm512_loadu_ps(q + i), a0);
            a1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(w1, 16)), _mm512_loadu_ps(q + i + 16), a1);
        }
        out[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
    }
}

__attribute__((target("avx2,popcnt")))
void sift_sign_dot4_avx2(const void *c, size_t rows, size_t words, size_t stride, const uint64_t *p, uint32_t *dot, uint32_t *ones) {
    for (size_t r = 0; r < rows; r++) {
        const uint64_t *row = (const uint64_t *)((const char *)c + r * stride);
        uint64_t d0 = 0, d1 = 0, d2 = 0, d3 = 0, n = 0;
        for (size_t w = 0; w < words; w++) {
            uint64_t x = row[w];
            d0 += (uint64_t)_mm_popcnt_u64(x & p[w]);
            d1 += (uint64_t)_mm_popcnt_u64(x & p[words + w]);
            d2 += (uint64_t)_mm_popcnt_u64(x & p[2 * words + w]);
            d3 += (uint64_t)_mm_popcnt_u64(x & p[3 * words + w]);
            n += (uint64_t)_mm_popcnt_u64(x);
        }
        dot[r] = (uint32_t)(d0 + 2 * d1 + 4 * d2 + 8 * d3);
        ones[r] = (uint32_t)n;
    }
}

__attribute__((target("avx512f,avx512vpopcntdq")))
void sift_sign_dot4_avx512(const void *c, size_t rows, size_t words, size_t stride, const uint64_t *p, uint32_t *dot, uint32_t *ones) {
    for (size_t r = 0; r < rows; r++) {
        const uint64_t *row = (const uint64_t *)((const char *)c + r * stride);
        __m512i a = _mm512_setzero_si512(), n = _mm512_setzero_si512();
        for (size_t w = 0; w < words; w += 8) {
            __m512i x = _mm512_loadu_si512((const void *)(row + w));
            __m512i s0 = _mm512_popcnt_epi64(_mm512_and_si512(x, _mm512_loadu_si512((const void *)(p + w))));
            __m512i s1 = _mm512_popcnt_epi64(_mm512_and_si512(x, _mm512_loadu_si512((const void *)(p + words + w))));
            __m512i s2 = _mm512_popcnt_epi64(_mm512_and_si512(x, _mm512_loadu_si512((const void *)(p + 2 * words + w))));
            __m512i s3 = _mm512_popcnt_epi64(_mm512_and_si512(x, _mm512_loadu_si512((const void *)(p + 3 * words + w))));
            // s0 + 2·s1 + 4·s2 + 8·s3
            a = _mm512_add_epi64(a, _mm512_add_epi64(_mm512_add_epi64(s0, _mm512_slli_epi64(s1, 1)),
                                                     _mm512_add_epi64(_mm512_slli_epi64(s2, 2), _mm512_slli_epi64(s3, 3))));
            n = _mm512_add_epi64(n, _mm512_popcnt_epi64(x));
        }
        dot[r] = (uint32_t)_mm512_reduce_add_epi64(a);
        ones[r] = (uint32_t)_mm512_reduce_add_epi64(n);
    }
}

__attribute__((target("avx2")))
void sift_u8i8_dot_avx2(const int8_t *c, size_t rows, size_t dim, size_t stride, const uint8_t *q, int32_t *out) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (size_t r = 0; r < rows; r++) {
        const int8_t *row = c + r * stride;
        __m256i acc = _mm256_setzero_si256();
        for (size_t i = 0; i < dim; i += 32) {
            // maddubs: u8 × s8 pairs summed to int16 (|sum| ≤ 2·255·128 fits), then to int32.
            __m256i p = _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(q + i)), _mm256_loadu_si256((const __m256i *)(row + i)));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
        }
        __m128i h = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4E));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1));
        out[r] = _mm_cvtsi128_si32(h);
    }
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
void sift_u8i8_dot_avx512(const int8_t *c, size_t rows, size_t dim, size_t stride, const uint8_t *q, int32_t *out) {
    for (size_t r = 0; r < rows; r++) {
        const int8_t *row = c + r * stride;
        __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
        size_t i = 0;
        for (; i + 128 <= dim; i += 128) {
            a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512((const void *)(q + i)), _mm512_loadu_si512((const void *)(row + i)));
            a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512((const void *)(q + i + 64)), _mm512_loadu_si512((const void *)(row + i + 64)));
        }
        for (; i < dim; i += 64) {
            a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512((const void *)(q + i)), _mm512_loadu_si512((const void *)(row + i)));
        }
        out[r] = _mm512_reduce_add_epi32(_mm512_add_epi32(a0, a1));
    }
}

#else  // not x86-64: the "fast" variants are the portable ones

void sift_bf16_dot_avx2(const uint16_t *m, size_t rows, size_t dim, const float *q, float *out) { sift_bf16_dot_portable(m, rows, dim, q, out); }
void sift_bf16_dot_avx512(const uint16_t *m, size_t rows, size_t dim, const float *q, float *out) { sift_bf16_dot_portable(m, rows, dim, q, out); }
void sift_u8i8_dot_avx2(const int8_t *c, size_t rows, size_t dim, size_t stride, const uint8_t *q, int32_t *out) { sift_u8i8_dot_portable(c, rows, dim, stride, q, out); }
void sift_sign_dot4_avx2(const void *c, size_t rows, size_t words, size_t stride, const uint64_t *p, uint32_t *dot, uint32_t *ones) { sift_sign_dot4_portable(c, rows, words, stride, p, dot, ones); }
void sift_sign_dot4_avx512(const void *c, size_t rows, size_t words, size_t stride, const uint64_t *p, uint32_t *dot, uint32_t *ones) { sift_sign_dot4_portable(c, rows, words, stride, p, dot, ones); }
void sift_u8i8_dot_avx512(const int8_t *c, size_t rows, size_t dim, size_t stride, const uint8_t *q, int32_t *out) { sift_u8i8_dot_portable(c, rows, dim, stride, q, out); }

#endif
