// The interface between the simulated driver (libcuda.so.1) and one simulated module: the shared object that the
// simulated NVRTC builds from a kernel file. The driver loads the module with dlopen, lists its kernels and asks it
// to run one block at a time; everything that happens inside a block (fibers, barriers, warp collectives) is
// compiled into the module itself, so a kernel's hot path never calls back into the driver.
#ifndef LKSIM_ABI_H
#define LKSIM_ABI_H

#include <stddef.h>
#include <stdint.h>

#define LKSIM_ABI_VERSION 1
// Fiber stacks are LKSIM_STACK_SIZE bytes, aligned to their size, with a guard page at the bottom and the running
// fiber's descriptor stored just above it: a fiber finds itself from its stack pointer, without thread-local storage.
#define LKSIM_STACK_SIZE (64 * 1024)
#define LKSIM_GUARD_PAGE 4096

// The first bytes of a simulated "CUBIN": "LKSIM1 <hash> <path of the module>\n".
#define LKSIM_IMAGE_MAGIC "LKSIM1 "

extern "C" {

// One extern "C" __global__ function of a module.
typedef struct {
    const char* name;
    int max_threads;             // __launch_bounds__, or 0 when the kernel has none
    int param_count;
    const unsigned* param_sizes;  // sizeof each parameter, as the kernel's own signature declares it
    const unsigned* param_aligns; // alignof each parameter
    void (*invoke)(void** params); // unpacks kernelParams by the signature's types and calls the kernel
} lksim_kernel_desc;

// One launch, as cuLaunchKernel was given it.
typedef struct {
    unsigned grid[3];
    unsigned block[3];
    void* dynamic_shared;         // this worker's buffer of shared_bytes
    unsigned shared_bytes;
    void** params;
    // Per-worker fiber stacks: stack_count stacks of LKSIM_STACK_SIZE bytes, aligned to their size.
    char* stacks;
    unsigned stack_count;
} lksim_launch;

// Exported by every module.
typedef int (*lksim_abi_version_fn)(void);
typedef const lksim_kernel_desc* (*lksim_kernels_fn)(int* count);
// Runs block (bx, by, bz) of kernel `kernel`; the order of the block's threads between synchronisation points is
// drawn from `seed`. Returns 0, or non-zero with a one-sentence description in err.
typedef int (*lksim_run_block_fn)(const lksim_launch* launch, int kernel, unsigned bx, unsigned by, unsigned bz,
        uint64_t seed, char* err, size_t err_len);
}

#endif
