#include "vector_math.h"

#include <stdlib.h>

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

/* The sparse autoencoder's encoder: a matrix product of the token states with the encoder's
 * weights (16,384 × 384 floats, 25 MB), laid out in panels of 16 features (for each input
 * dimension, the 16 features' weights side by side), so that 16 features' activations accumulate
 * in one vector register without horizontal sums. Tokens are taken a block at a time, so the
 * weights are read once per block; then each token keeps its `per_token` largest positive
 * activations (a bounded min-heap) and the kept ones are max-pooled. Callers may split a block's
 * panels among threads: a feature's activation does not depend on which panels a call covers,
 * provided each call starts at an even panel (the AVX-512 kernel takes panels in pairs). */

static void panels_portable(const float *panels, size_t panel_count, size_t d, const float *x, size_t count, float *out, size_t stride) {
    for (size_t p = 0; p < panel_count; p++) {
        const float *w = panels + p * d * GUICHE_SPARSE_PANEL;
        for (size_t t = 0; t < count; t++) {
            float acc[GUICHE_SPARSE_PANEL] = {0};
            const float *state = x + t * d;
            for (size_t k = 0; k < d; k++)
                for (size_t f = 0; f < GUICHE_SPARSE_PANEL; f++) acc[f] += state[k] * w[k * GUICHE_SPARSE_PANEL + f];
            for (size_t f = 0; f < GUICHE_SPARSE_PANEL; f++) out[t * stride + p * GUICHE_SPARSE_PANEL + f] = acc[f];
        }
    }
}

#ifdef GUICHE_X86
/* Two panels (32 features) × four tokens in eight accumulators; a lone panel or the last tokens
 * one token at a time. */
__attribute__((target("avx512f"))) static void panels_avx512(const float *panels, size_t panel_count, size_t d, const float *x, size_t count, float *out, size_t stride) {
    size_t p = 0;
    for (; p + 2 <= panel_count; p += 2) {
        const float *w0 = panels + p * d * 16, *w1 = w0 + d * 16;
        size_t t = 0;
        for (; t + 4 <= count; t += 4) {
            const float *x0 = x + t * d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
            __m512 a00 = _mm512_setzero_ps(), a01 = _mm512_setzero_ps(), a10 = _mm512_setzero_ps(), a11 = _mm512_setzero_ps();
            __m512 a20 = _mm512_setzero_ps(), a21 = _mm512_setzero_ps(), a30 = _mm512_setzero_ps(), a31 = _mm512_setzero_ps();
            for (size_t k = 0; k < d; k++) {
                __m512 v0 = _mm512_loadu_ps(w0 + k * 16), v1 = _mm512_loadu_ps(w1 + k * 16);
                __m512 b0 = _mm512_set1_ps(x0[k]), b1 = _mm512_set1_ps(x1[k]), b2 = _mm512_set1_ps(x2[k]), b3 = _mm512_set1_ps(x3[k]);
                a00 = _mm512_fmadd_ps(b0, v0, a00); a01 = _mm512_fmadd_ps(b0, v1, a01);
                a10 = _mm512_fmadd_ps(b1, v0, a10); a11 = _mm512_fmadd_ps(b1, v1, a11);
                a20 = _mm512_fmadd_ps(b2, v0, a20); a21 = _mm512_fmadd_ps(b2, v1, a21);
                a30 = _mm512_fmadd_ps(b3, v0, a30); a31 = _mm512_fmadd_ps(b3, v1, a31);
            }
            float *o = out + t * stride + p * 16;
            _mm512_storeu_ps(o, a00); _mm512_storeu_ps(o + 16, a01); o += stride;
            _mm512_storeu_ps(o, a10); _mm512_storeu_ps(o + 16, a11); o += stride;
            _mm512_storeu_ps(o, a20); _mm512_storeu_ps(o + 16, a21); o += stride;
            _mm512_storeu_ps(o, a30); _mm512_storeu_ps(o + 16, a31);
        }
        for (; t < count; t++) {
            const float *x0 = x + t * d;
            __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
            for (size_t k = 0; k < d; k++) {
                __m512 b = _mm512_set1_ps(x0[k]);
                a0 = _mm512_fmadd_ps(b, _mm512_loadu_ps(w0 + k * 16), a0);
                a1 = _mm512_fmadd_ps(b, _mm512_loadu_ps(w1 + k * 16), a1);
            }
            _mm512_storeu_ps(out + t * stride + p * 16, a0);
            _mm512_storeu_ps(out + t * stride + p * 16 + 16, a1);
        }
    }
    if (p < panel_count) panels_portable(panels + p * d * 16, panel_count - p, d, x, count, out + p * 16, stride);
}
#endif

static void heap_down(float *value, size_t *index, size_t position, size_t count) {
    for (;;) {
        size_t child = 2 * position + 1;
        if (child >= count) return;
        if (child + 1 < count && value[child + 1] < value[child]) child++;
        if (value[child] >= value[position]) return;
        float v = value[position]; value[position] = value[child]; value[child] = v;
        size_t i = index[position]; index[position] = index[child]; index[child] = i;
        position = child;
    }
}

int guiche_sparse_panels_with(int kernel, const float *panels, size_t dimensions, size_t first_panel, size_t panel_count,
                              const float *tokens, size_t token_count, float *out, size_t stride) {
    if (!supports(kernel)) return 0;
    const float *w = panels + first_panel * dimensions * GUICHE_SPARSE_PANEL;
    float *o = out + first_panel * GUICHE_SPARSE_PANEL;
#ifdef GUICHE_X86
    if (kernel == GUICHE_KERNEL_AVX512) { panels_avx512(w, panel_count, dimensions, tokens, token_count, o, stride); return 1; }
#endif
    panels_portable(w, panel_count, dimensions, tokens, token_count, o, stride);
    return 1;
}

int guiche_sparse_panels(const float *panels, size_t dimensions, size_t first_panel, size_t panel_count,
                         const float *tokens, size_t token_count, float *out, size_t stride) {
    int kernel = guiche_best_kernel() == GUICHE_KERNEL_AVX512 ? GUICHE_KERNEL_AVX512 : GUICHE_KERNEL_PORTABLE;
    return guiche_sparse_panels_with(kernel, panels, dimensions, first_panel, panel_count, tokens, token_count, out, stride);
}

void guiche_sparse_pool(const float *activations, const float *bias, size_t features, size_t token_count, size_t per_token, float *pooled) {
    if (per_token > 512) per_token = 512;
    if (per_token == 0) return;
    float heap_value[512];
    size_t heap_index[512];
    for (size_t t = 0; t < token_count; t++) {
        const float *activation = activations + t * features;
        size_t kept = 0;
        for (size_t j = 0; j < features; j++) {
            float v = activation[j] + bias[j];
            if (v <= 0) continue;
            if (kept < per_token) {
                heap_value[kept] = v; heap_index[kept] = j; kept++;
                if (kept == per_token)
                    for (size_t p = per_token / 2; p-- > 0;) heap_down(heap_value, heap_index, p, per_token);
            } else if (v > heap_value[0]) {
                heap_value[0] = v; heap_index[0] = j;
                heap_down(heap_value, heap_index, 0, per_token);
            }
        }
        for (size_t i = 0; i < kept; i++)
            if (heap_value[i] > pooled[heap_index[i]]) pooled[heap_index[i]] = heap_value[i];
    }
}

int guiche_sparse_encode_with(int kernel, const float *panels, const float *bias, size_t features, size_t dimensions,
                              const float *tokens, size_t token_count, size_t per_token, float *pooled) {
    if (!supports(kernel) || features % GUICHE_SPARSE_PANEL != 0) return 0;
    for (size_t j = 0; j < features; j++) pooled[j] = 0;
    if (per_token == 0 || token_count == 0) return 1;
    float *block = malloc(sizeof(float) * GUICHE_SPARSE_TOKENS_PER_BLOCK * features);
    if (!block) return 0;
    for (size_t first = 0; first < token_count; first += GUICHE_SPARSE_TOKENS_PER_BLOCK) {
        size_t count = token_count - first < GUICHE_SPARSE_TOKENS_PER_BLOCK ? token_count - first : GUICHE_SPARSE_TOKENS_PER_BLOCK;
        guiche_sparse_panels_with(kernel, panels, dimensions, 0, features / GUICHE_SPARSE_PANEL, tokens + first * dimensions, count, block, features);
        guiche_sparse_pool(block, bias, features, count, per_token, pooled);
    }
    free(block);
    return 1;
}

int guiche_sparse_encode(const float *panels, const float *bias, size_t features, size_t dimensions,
                         const float *tokens, size_t token_count, size_t per_token, float *pooled) {
    int kernel = guiche_best_kernel() == GUICHE_KERNEL_AVX512 ? GUICHE_KERNEL_AVX512 : GUICHE_KERNEL_PORTABLE;
    return guiche_sparse_encode_with(kernel, panels, bias, features, dimensions, tokens, token_count, per_token, pooled);
}
