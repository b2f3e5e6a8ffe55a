/* The peers' one timing of passes: a monotonic clock and the median of the passes' rates (the
 * side-by-side compares medians on both sides, scripts/bench-vs-peers.sh). */
#ifndef PASSES_H
#define PASSES_H
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, n, sizeof v[0], cmp_double);
  return n ? v[n / 2] : 0;
}
#endif
