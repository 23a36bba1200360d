/* Consumer check: the C API. W = sin(i) at 4 bits; y must be within the quantization error
 * of the unquantized product (each weight within one quantization step of its group). */
#include <actsparse/actsparse.h>
#include <math.h>
#include <stdio.h>

int main(void) {
  float w[64 * 3], x[3] = {0.5f, 0.0f, -2.0f}, y[64];
  for (int i = 0; i < 64 * 3; ++i) w[i] = sinf((float)i);
  actsparse_matrix* W = NULL;
  if (actsparse_pack(w, ACTSPARSE_F32, 64, 3, 4, 64, &W) != ACTSPARSE_OK) {
    fprintf(stderr, "%s\n", actsparse_last_error());
    return 1;
  }
  if (actsparse_gemv(W, x, y, 0.0f) != ACTSPARSE_OK) {
    fprintf(stderr, "%s\n", actsparse_last_error());
    return 1;
  }
  const double step = 2.0 / 15.0; /* sin spans [-1, 1] in every group: 15 steps at 4 bits */
  for (int n = 0; n < 64; ++n) {
    const double exact = (double)w[n * 3] * x[0] + (double)w[n * 3 + 2] * x[2];
    if (fabs(y[n] - exact) > step * (fabs(x[0]) + fabs(x[2]))) return 1;
  }
  actsparse_free(W);
  printf("C consumer: %s\n", actsparse_isa());
  return 0;
}
