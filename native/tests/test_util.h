// Minimal check helpers of the standalone native tests: count failures, print
// a summary, exit non-zero when anything failed.
#pragma once
#include <cstdio>
#include <cstdlib>

namespace hs_test {

inline int& failures() {
  static int n = 0;
  return n;
}
inline int& checks() {
  static int n = 0;
  return n;
}

#define HS_CHECK(cond, ...)                                        \
  do {                                                             \
    ++hs_test::checks();                                           \
    if (!(cond)) {                                                 \
      ++hs_test::failures();                                       \
      std::fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                           \
      std::fprintf(stderr, "\n");                                  \
    }                                                              \
  } while (0)

inline int summary(const char* name) {
  std::printf("%s: %d checks, %d failures\n", name, checks(), failures());
  return failures() == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace hs_test
