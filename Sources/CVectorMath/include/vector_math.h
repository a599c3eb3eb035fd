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

#endif
