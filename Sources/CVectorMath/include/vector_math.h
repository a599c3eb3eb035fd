#ifndef GUICHE_VECTOR_MATH_H
#define GUICHE_VECTOR_MATH_H

#include <stddef.h>

/// The dot-product kernels, widest last.
enum guiche_kernel { GUICHE_KERNEL_PORTABLE = 0, GUICHE_KERNEL_AVX2_FMA = 256, GUICHE_KERNEL_AVX512 = 512 };

/// The kernel this CPU runs (chosen once, at the first call): AVX-512F, else AVX2 with FMA, else portable C.
int guiche_best_kernel(void);

/// Dot products of `query` with each of the `rows` rows of `values` (row-major, `dimensions`
/// floats each) into `out`, with the best kernel of this CPU.
void guiche_dot_rows(const float *query, const float *values, size_t rows, size_t dimensions, float *out);

/// The same with a given kernel (tests compare them); returns 0 when this CPU cannot run it.
int guiche_dot_rows_with(int kernel, const float *query, const float *values, size_t rows, size_t dimensions, float *out);

/// Features per panel of the sparse encoder's weights.
enum { GUICHE_SPARSE_PANEL = 16 };
/// Tokens whose activations `guiche_sparse_encode` computes per read of the weights.
enum { GUICHE_SPARSE_TOKENS_PER_BLOCK = 64 };

/// A sparse autoencoder's encoding of `tokens` token states (row-major, `dimensions` floats each):
/// for every token, `max(0, weights · state + bias)` over the `features` features, of which the
/// `per_token` largest are kept; each feature's largest kept activation over the tokens is written
/// to `pooled` (`features` floats, zero where no token kept the feature; `per_token` is at most 512).
/// `panels` holds the weights in panels of `GUICHE_SPARSE_PANEL` features: for each panel, for
/// each dimension, the panel's features side by side (`features` a multiple of the panel). Returns 0
/// when its working memory cannot be allocated or `features` is not a multiple of the panel.
int guiche_sparse_encode(const float *panels, const float *bias, size_t features, size_t dimensions,
                         const float *tokens, size_t token_count, size_t per_token, float *pooled);

/// The same with a given kernel (AVX-512F or portable C; tests compare them); returns 0 when this
/// CPU cannot run it.
int guiche_sparse_encode_with(int kernel, const float *panels, const float *bias, size_t features, size_t dimensions,
                              const float *tokens, size_t token_count, size_t per_token, float *pooled);

/// The encoder's activations without its bias for panels `first_panel ..< first_panel + panel_count`
/// (weights laid out as for `guiche_sparse_encode`) of `token_count` token states: token `t`'s
/// feature `j` goes to `out[t * stride + j]`, other columns untouched. A feature's value does not
/// depend on the range asked as long as `first_panel` is even. Returns 0 when this CPU cannot run
/// the kernel.
int guiche_sparse_panels_with(int kernel, const float *panels, size_t dimensions, size_t first_panel, size_t panel_count,
                              const float *tokens, size_t token_count, float *out, size_t stride);
int guiche_sparse_panels(const float *panels, size_t dimensions, size_t first_panel, size_t panel_count,
                         const float *tokens, size_t token_count, float *out, size_t stride);

/// For each of `token_count` rows of `features` activations (bias not yet added): `max(0, a + bias)`,
/// the `per_token` (at most 512) largest kept, each raising its feature in `pooled` to it.
void guiche_sparse_pool(const float *activations, const float *bias, size_t features, size_t token_count, size_t per_token, float *pooled);

#endif
