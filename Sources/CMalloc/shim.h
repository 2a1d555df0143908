// glibc's `mallopt` and its parameters, for ProcessTuning: Swift's Glibc module leaves
// <malloc.h> out. Empty where there is no <malloc.h> (macOS).
#if defined(__linux__) && __has_include(<malloc.h>)
#include <malloc.h>
#endif
