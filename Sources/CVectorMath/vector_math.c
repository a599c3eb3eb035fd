#include "vector_math.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GUICHE_X86 1
#endif

static float dot_portable(const float *a, const float *b, size_t n) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static void rows_portable(const float *q, const float *values, size_t rows, size_t d, float *out) {
    for (size_t r = 0; r < rows; r++) out[r] = dot_portable(q, values + r * d, d);
}

#ifdef GUICHE_X86
__attribute__((target("avx2,fma"))) static void rows_avx2(const float *q, const float *values, size_t rows, size_t d, float *out) {
    for (size_t r = 0; r < rows; r++) {
        const float *b = values + r * d;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 32 <= d; i += 32) {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(b + i), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(b + i + 8), s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 16), _mm256_loadu_ps(b + i + 16), s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 24), _mm256_loadu_ps(b + i + 24), s3);
        }
        for (; i + 8 <= d; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(b + i), s0);
        __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_movehdup_ps(h));
        float total = _mm_cvtss_f32(h);
        for (; i < d; i++) total += q[i] * b[i];
        out[r] = total;
    }
}

__attribute__((target("avx512f"))) static void rows_avx512(const float *q, const float *values, size_t rows, size_t d, float *out) {
    for (size_t r = 0; r < rows; r++) {
        const float *b = values + r * d;
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        size_t i = 0;
        for (; i + 32 <= d; i += 32) {
            s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(b + i), s0);
            s1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), _mm512_loadu_ps(b + i + 16), s1);
        }
        if (i < d) {
            // The last 1…31 floats: whole 16-lane blocks, then a masked load of the rest.
            for (; i + 16 <= d; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(b + i), s0);
            if (i < d) {
                __mmask16 mask = (__mmask16)((1u << (d - i)) - 1u);
                s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, q + i), _mm512_maskz_loadu_ps(mask, b + i), s1);
            }
        }
        out[r] = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    }
}
#endif

static int supports(int kernel) {
    switch (kernel) {
    case GUICHE_KERNEL_PORTABLE: return 1;
#ifdef GUICHE_X86
    case GUICHE_KERNEL_AVX2_FMA: __builtin_cpu_init(); return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case GUICHE_KERNEL_AVX512: __builtin_cpu_init(); return __builtin_cpu_supports("avx512f");
#endif
    default: return 0;
    }
}

int guiche_best_kernel(void) {
    static int best = -1;
    int known = __atomic_load_n(&best, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    known = supports(GUICHE_KERNEL_AVX512) ? GUICHE_KERNEL_AVX512 : supports(GUICHE_KERNEL_AVX2_FMA) ? GUICHE_KERNEL_AVX2_FMA : GUICHE_KERNEL_PORTABLE;
    __atomic_store_n(&best, known, __ATOMIC_RELAXED);
    return known;
}

int guiche_dot_rows_with(int kernel, const float *query, const float *values, size_t rows, size_t dimensions, float *out) {
    if (!supports(kernel)) return 0;
    switch (kernel) {
#ifdef GUICHE_X86
    case GUICHE_KERNEL_AVX512: rows_avx512(query, values, rows, dimensions, out); return 1;
    case GUICHE_KERNEL_AVX2_FMA: rows_avx2(query, values, rows, dimensions, out); return 1;
#endif
    default: rows_portable(query, values, rows, dimensions, out); return 1;
    }
}

void guiche_dot_rows(const float *query, const float *values, size_t rows, size_t dimensions, float *out) {
    guiche_dot_rows_with(guiche_best_kernel(), query, values, rows, dimensions, out);
}
