// NVRTC's C API as far as lorakit uses it, written from NVIDIA's NVRTC documentation (the toolkit on a build
// machine without a GPU need not ship nvrtc.h). Values and signatures are those of CUDA 13.
#ifndef LKSIM_NVRTC_H
#define LKSIM_NVRTC_H

#include <stddef.h>

extern "C" {

// nvrtcResult: the status every call returns.
typedef enum {
    NVRTC_SUCCESS = 0,
    NVRTC_ERROR_OUT_OF_MEMORY = 1,
    NVRTC_ERROR_PROGRAM_CREATION_FAILURE = 2,
    NVRTC_ERROR_INVALID_INPUT = 3,
    NVRTC_ERROR_INVALID_PROGRAM = 4,
    NVRTC_ERROR_INVALID_OPTION = 5,
    NVRTC_ERROR_COMPILATION = 6,
    NVRTC_ERROR_BUILTIN_OPERATION_FAILURE = 7,
    NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION = 8,
    NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION = 9,
    NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID = 10,
    NVRTC_ERROR_INTERNAL_ERROR = 11,
    NVRTC_ERROR_TIME_FILE_WRITE_FAILED = 12
} nvrtcResult;

// An opaque program handle.
typedef struct _nvrtcProgram* nvrtcProgram;

// The text of a status ("NVRTC_ERROR_COMPILATION"); a static string.
const char* nvrtcGetErrorString(nvrtcResult result);
// The NVRTC version, e.g. 13 and 0.
nvrtcResult nvrtcVersion(int* major, int* minor);
// Creates a program from source text; name is used in diagnostics; headers/includeNames may be NULL when
// numHeaders is 0.
nvrtcResult nvrtcCreateProgram(nvrtcProgram* prog, const char* src, const char* name, int numHeaders,
        const char* const* headers, const char* const* includeNames);
// Destroys *prog and sets it to NULL.
nvrtcResult nvrtcDestroyProgram(nvrtcProgram* prog);
// Compiles with numOptions options; NVRTC_ERROR_COMPILATION when the source has errors (see the program log).
nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int numOptions, const char* const* options);
// Size in bytes of the CUBIN of a compiled program, then the CUBIN itself into a caller buffer of that size.
nvrtcResult nvrtcGetCUBINSize(nvrtcProgram prog, size_t* cubinSizeRet);
nvrtcResult nvrtcGetCUBIN(nvrtcProgram prog, char* cubin);
// Size of the PTX (including the terminating NUL), then the PTX.
nvrtcResult nvrtcGetPTXSize(nvrtcProgram prog, size_t* ptxSizeRet);
nvrtcResult nvrtcGetPTX(nvrtcProgram prog, char* ptx);
// Size of the compile log (including the terminating NUL), then the log.
nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, size_t* logSizeRet);
nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, char* log);
}

#endif
