// Scan kernels of Sift's first stage, in C for run-time CPU dispatch: Swift builds for
// baseline x86-64 (SSE2, no FMA, no POPCNT), so the fast variants are compiled with
// `target` attributes and picked once, at first use, with __builtin_cpu_supports. Every
// kernel has a portable variant; Sift's Swift scan stays the fallback of the bfloat16 path.
//
// All kernels score `rows` consecutive rows into `out[0 ..< rows]`.
#ifndef SIFT_KERNELS_H
#define SIFT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Variants, fastest last. `sift_kernels_variant()` says which one the dispatchers use.
enum {
    SIFT_KERNELS_PORTABLE = 0,
    SIFT_KERNELS_AVX2 = 1,      // AVX2 + FMA + POPCNT
    SIFT_KERNELS_AVX512 = 2,    // AVX-512 F/BW/VL + VPOPCNTDQ + VNNI
};

/// The variant the dispatching functions below use on this CPU (after `sift_kernels_force`);
/// -1 when the caller should use its own portable code instead of these kernels.
int sift_kernels_variant(void);
/// Caps the variant (for tests and for measuring the fallback; -1: none of these kernels);
/// returns the variant now in use.
int sift_kernels_force(int max_variant);

/// Dot products of bfloat16 rows (each component the upper half of a Float32, stored
/// little-endian) with a Float32 query, `dim` a multiple of 32: out[r] = Σ widen(row[r][i]) · q[i].
void sift_bf16_dot(const uint16_t *matrix, size_t rows, size_t dim, const float *query, float *out);

/// Asymmetric scores of 1-bit codes (`words` 64-bit words per row, a multiple of 8; rows
/// `stride` bytes apart, a multiple of 4) against a 4-bit query given as four bit planes
/// (plane k holds bit k of every component's value, `4 × words` words): for each row,
/// dot[r] = Σ_k 2^k · popcount(plane_k AND code[r]) and ones[r] = popcount(code[r]).
void sift_sign_dot4(const void *codes, size_t rows, size_t words, size_t stride, const uint64_t *planes, uint32_t *dot, uint32_t *ones);

/// Integer dot products of int8 codes (`dim` per row, a multiple of 64; rows `stride` bytes
/// apart) with a 7-bit query (every value in 0...127, so that no variant's 16-bit pair sums
/// saturate): out[r] = Σ query[i] · code[r][i], exact in 32 bits.
void sift_u8i8_dot(const int8_t *codes, size_t rows, size_t dim, size_t stride, const uint8_t *query, int32_t *out);

/// The variants themselves, for tests against a reference (a variant the CPU lacks must not be called).
void sift_bf16_dot_portable(const uint16_t *matrix, size_t rows, size_t dim, const float *query, float *out);
void sift_bf16_dot_avx2(const uint16_t *matrix, size_t rows, size_t dim, const float *query, float *out);
void sift_bf16_dot_avx512(const uint16_t *matrix, size_t rows, size_t dim, const float *query, float *out);
void sift_sign_dot4_portable(const void *codes, size_t rows, size_t words, size_t stride, const uint64_t *planes, uint32_t *dot, uint32_t *ones);
void sift_sign_dot4_avx2(const void *codes, size_t rows, size_t words, size_t stride, const uint64_t *planes, uint32_t *dot, uint32_t *ones);
void sift_sign_dot4_avx512(const void *codes, size_t rows, size_t words, size_t stride, const uint64_t *planes, uint32_t *dot, uint32_t *ones);
void sift_u8i8_dot_portable(const int8_t *codes, size_t rows, size_t dim, size_t stride, const uint8_t *query, int32_t *out);
void sift_u8i8_dot_avx2(const int8_t *codes, size_t rows, size_t dim, size_t stride, const uint8_t *query, int32_t *out);
void sift_u8i8_dot_avx512(const int8_t *codes, size_t rows, size_t dim, size_t stride, const uint8_t *query, int32_t *out);

#ifdef __cplusplus
}
#endif
#endif
