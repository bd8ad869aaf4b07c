/*
 * Yardstick for `npm run bench:mlp`: OpenBLAS cblas_sgemm (row-major) on the
 * eight GEMMs of one training step of the 784-400-700-10 MLP, for B = 32, 64, 128.
 *
 * Weights are stored row-major [fan_in x fan_out] (native/core/mlp.h), so per
 * layer (in -> out) with activations A (B x in) and output gradient dZ (B x out):
 *   forward       Z  = A  . W      NN  M=B   N=out K=in
 *   weight grad   dW = A' . dZ     TN  M=in  N=out K=B
 *   input grad    dA = dZ . W'     NT  M=B   N=in  K=out   (not for layer 1)
 * which is 3 + 3 + 2 = 8 GEMMs, 2.9764 MFLOP per sample (149 GFLOP per epoch
 * of 50,000 rows).
 *
 * Build: cc -O2 bench/openblas_sgemm.c -o bench/out/openblas_sgemm -lopenblas
 * Usage: openblas_sgemm THREADS [--quick] [--batches 32,64,128]
 * Output: one JSON object per line; first a header {"kind":"config",...} that
 * names the kernel OpenBLAS picked, then one {"kind":"gemm",...} per shape.
 * bench/mlp.ts parses these lines; they are also meant to be read by a person.
 *
 * Timing: each sample runs the call `inner` times back to back, with `inner`
 * chosen so one sample lasts about 2 ms (so timer resolution and call overhead
 * of tiny shapes like 32x10x700 do not dominate); after a warm-up we take many
 * samples and report the best and the median time per call.
 */
#define _POSIX_C_SOURCE 199309L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Declared by OpenBLAS's cblas.h, repeated here in case another cblas.h is found first. */
extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char *openblas_get_corename(void);
extern char *openblas_get_config(void);

typedef struct {
  const char *name; /* fwd1..3, dW1..3, dA1..2 (dA1 = gradient w.r.t. layer-1 output) */
  int transA, transB;
  int M, N, K;
} Shape;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Deterministic values in [-1, 1): no denormals, nothing that could make a kernel slow. */
static void fill(float *p, size_t n, unsigned seed) {
  unsigned s = seed * 2654435761u + 1u;
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    p[i] = (float)((s >> 8) & 0xFFFF) / 32768.0f - 1.0f;
  }
}

static int make_shapes(int B, Shape *out) {
  const int in[3] = {784, 400, 700};
  const int outs[3] = {400, 700, 10};
  static const char *fwd[3] = {"fwd1", "fwd2", "fwd3"};
  static const char *dw[3] = {"dW1", "dW2", "dW3"};
  static const char *da[3] = {"", "dA1", "dA2"};
  int n = 0;
  for (int l = 0; l < 3; l++) out[n++] = (Shape){fwd[l], 0, 0, B, outs[l], in[l]};
  for (int l = 0; l < 3; l++) out[n++] = (Shape){dw[l], 1, 0, in[l], outs[l], B};
  /* layer l+1's input gradient is the gradient w.r.t. layer l's activation */
  for (int l = 1; l < 3; l++) out[n++] = (Shape){da[l], 0, 1, B, in[l], outs[l]};
  return n;
}

static void run_gemm(const Shape *s, const float *A, const float *Bm, float *C) {
  /* Stored matrices: A is M x K (or K x M when transposed), B is K x N (or N x K). */
  const int lda = s->transA ? s->M : s->K;
  const int ldb = s->transB ? s->K : s->N;
  cblas_sgemm(CblasRowMajor, s->transA ? CblasTrans : CblasNoTrans,
              s->transB ? CblasTrans : CblasNoTrans, s->M, s->N, s->K, 1.0f, A, lda, Bm,
              ldb, 0.0f, C, s->N);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s THREADS [--quick] [--batches 32,64,128]\n", argv[0]);
    return 2;
  }
  const int threads = atoi(argv[1]);
  int quick = 0;
  int batches[8] = {32, 64, 128};
  int nb = 3;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      quick = 1;
    } else if (strcmp(argv[i], "--batches") == 0 && i + 1 < argc) {
      nb = 0;
      for (char *tok = strtok(argv[++i], ","); tok && nb < 8; tok = strtok(NULL, ","))
        batches[nb++] = atoi(tok);
    } else {
      fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (threads < 1) {
    fprintf(stderr, "THREADS must be >= 1\n");
    return 2;
  }
  openblas_set_num_threads(threads);

  const char *ct = getenv("OPENBLAS_CORETYPE");
  printf("{\"kind\":\"config\",\"library\":\"openblas\",\"threads\":%d,\"openblas_threads\":%d,"
         "\"corename\":\"%s\",\"OPENBLAS_CORETYPE\":\"%s\",\"openblas_config\":\"%s\"}\n",
         threads, openblas_get_num_threads(), openblas_get_corename(), ct ? ct : "",
         openblas_get_config());
  fflush(stdout);

  const double sample_target_s = 2e-3;
  const int samples = quick ? 15 : 60;
  const double warmup_s = quick ? 0.02 : 0.05;

  for (int bi = 0; bi < nb; bi++) {
    Shape shapes[8];
    const int ns = make_shapes(batches[bi], shapes);
    for (int si = 0; si < ns; si++) {
      const Shape *s = &shapes[si];
      const size_t na = (size_t)s->M * s->K, nbm = (size_t)s->K * s->N, nc = (size_t)s->M * s->N;
      float *A = malloc(na * sizeof(float));
      float *Bm = malloc(nbm * sizeof(float));
      float *C = malloc(nc * sizeof(float));
      if (!A || !Bm || !C) {
        fprintf(stderr, "out of memory\n");
        return 1;
      }
      fill(A, na, 1u + si);
      fill(Bm, nbm, 101u + si);
      memset(C, 0, nc * sizeof(float));

      /* Warm-up (thread pool wake-up, caches, page faults), also sizes `inner`. */
      long calls = 0;
      const double t0 = now_s();
      double t = t0;
      do {
        run_gemm(s, A, Bm, C);
        calls++;
        t = now_s();
      } while (t - t0 < warmup_s || calls < 3);
      const double per_call = (t - t0) / (double)calls;
      long inner = (long)(sample_target_s / per_call);
      if (inner < 1) inner = 1;

      double *times = malloc(samples * sizeof(double));
      for (int k = 0; k < samples; k++) {
        const double a = now_s();
        for (long r = 0; r < inner; r++) run_gemm(s, A, Bm, C);
        times[k] = (now_s() - a) / (double)inner;
      }
      qsort(times, samples, sizeof(double), cmp_double);
      const double best = times[0];
      const double median = times[samples / 2];
      const double flop = 2.0 * s->M * s->N * s->K;
      /* checksum keeps the compiler from discarding C and lets a reader spot garbage */
      double sum = 0;
      for (size_t i = 0; i < nc; i++) sum += C[i];
      printf("{\"kind\":\"gemm\",\"library\":\"openblas\",\"threads\":%d,\"B\":%d,\"name\":\"%s\","
             "\"transA\":%d,\"transB\":%d,\"M\":%d,\"N\":%d,\"K\":%d,\"inner\":%ld,\"samples\":%d,"
             "\"best_us\":%.3f,\"median_us\":%.3f,\"gflops_best\":%.2f,\"gflops_median\":%.2f,"
             "\"checksum\":%.6g}\n",
             threads, batches[bi], s->name, s->transA, s->transB, s->M, s->N, s->K, inner,
             samples, best * 1e6, median * 1e6, flop / best * 1e-9, flop / median * 1e-9, sum);
      fflush(stdout);
      free(times);
      free(A);
      free(Bm);
      free(C);
    }
  }
  return 0;
}
