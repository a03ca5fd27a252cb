// The CUDA simulator's prelude: what makes a CUDA C++ kernel file compile as C++17 with g++ and run on the CPU.
// The simulated NVRTC puts `#include "cudasim_prelude.h"` in front of each kernel file, preprocesses it, appends a
// table of the file's extern "C" __global__ functions (LKSIM_KERNEL lines) and compiles the lot into a module.
//
// A block runs on one OS thread; each of its threads is a fiber with its own small stack. A fiber runs until it
// reaches a synchronisation point (__syncthreads, a warp collective) or returns; the order in which runnable
// fibers run is drawn from the launch's seed, so code that relies on an order the hardware does not promise (a
// missing __syncthreads, lanes of a warp reading each other's shared memory without __syncwarp) reads stale data.
// `__shared__` variables are static thread_local: one block's fibers share them, blocks on other threads do not.
#ifndef LKSIM_PRELUDE_H
#define LKSIM_PRELUDE_H

// common.cuh's tensor-core helpers take the simulator's warp-collective implementations below instead of inline PTX.
#define LK_CUDASIM 1

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmath>
#include <type_traits>
#include <utility>

#include "cudasim_abi.h"

// ---- qualifiers -----------------------------------------------------------------------------------------------
// __global__ and __launch_bounds__ survive preprocessing as markers that the simulated NVRTC reads and removes.
#define __global__ __lksim_global__
#define __launch_bounds__(...) __lksim_launch_bounds__(__VA_ARGS__)
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __shared__ static thread_local
#define __constant__ static
#define __align__(n) __attribute__((aligned(n)))
#define __restrict__ __restrict

// ---- built-in variables ---------------------------------------------------------------------------------------
struct uint3 {
    unsigned int x, y, z;
};
struct dim3 {
    unsigned int x, y, z;
};

namespace lksim {

enum FiberState { RUNNABLE, AT_BARRIER, AT_WARP, DONE };
enum WarpOp { OP_SHFL, OP_SHFL_UP, OP_SHFL_DOWN, OP_SHFL_XOR, OP_BALLOT, OP_SYNCWARP, OP_CALL };

// A warp-wide instruction (mma, ldmatrix): every lane of the warp passes a pointer to its own WarpCall (operands and
// result slots on its stack); when all 32 have arrived, the scheduler calls `fn` once with all 32, while every lane
// is parked, so the function reads and writes each lane's registers as the hardware's collective does.
struct WarpCall {
    void (*fn)(WarpCall* const* lanes);
};

struct Block;
struct Fiber {
    void* sp;
    Block* block;
    uint3 tid;
    unsigned linear;
    FiberState state;
    int op;
    unsigned mask;
    uint64_t value;
    int arg;
    int width;
    uint64_t result;
    int predicate;
};

struct Block {
    const lksim_launch* launch;
    const lksim_kernel_desc* kernel;
    uint3 bid;
    dim3 bdim;
    dim3 gdim;
    Fiber* fibers;
    unsigned n;
    void* scheduler_sp;
    uint64_t rng;
    unsigned waiting[32];  // lanes of each warp that wait at a warp collective
    unsigned arrived;      // threads that met at the last __syncthreads (those that returned are not counted)
    unsigned* queue;       // runnable fibers, in the order they will run (each at most once)
    unsigned head;
    unsigned queued;
    bool failed;
    char* err;
    size_t err_len;
};

}  // namespace lksim

namespace lksim {
// The running fiber, found from the stack pointer (see LKSIM_STACK_SIZE).
inline Fiber* self() {
    uintptr_t sp = (uintptr_t) __builtin_frame_address(0);
    return *(Fiber**) ((sp & ~(uintptr_t) (LKSIM_STACK_SIZE - 1)) + LKSIM_GUARD_PAGE);
}
}  // namespace lksim

#define threadIdx (lksim::self()->tid)
#define blockIdx (lksim::self()->block->bid)
#define blockDim (lksim::self()->block->bdim)
#define gridDim (lksim::self()->block->gdim)
#define warpSize 32

// ---- vector types and cache-hinted loads ----------------------------------------------------------------------
struct __align__(8) float2 { float x, y; };
struct __align__(16) float4 { float x, y, z, w; };
struct __align__(8) int2 { int x, y; };
struct __align__(16) int4 { int x, y, z, w; };
struct __align__(8) uint2 { unsigned int x, y; };
struct __align__(16) uint4 { unsigned int x, y, z, w; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int2 make_int2(int x, int y) { return {x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
inline uint2 make_uint2(unsigned int x, unsigned int y) { return {x, y}; }
inline uint4 make_uint4(unsigned int x, unsigned int y, unsigned int z, unsigned int w) { return {x, y, z, w}; }
inline dim3 make_dim3(unsigned int x, unsigned int y, unsigned int z) { return {x, y, z}; }
template <typename T>
inline T __ldg(const T* p) { return *p; }
template <typename T>
inline T __ldcg(const T* p) { return *p; }
template <typename T>
inline T __ldcs(const T* p) { return *p; }
template <typename T>
inline void __stcg(T* p, T v) { *p = v; }
template <typename T>
inline void __stcs(T* p, T v) { *p = v; }

// ---- 16-bit floats ----------------------------------------------------------------------------------------------
namespace lksim {
inline float f16_bits_to_float(unsigned short h) {
    _Float16 f;
    memcpy(&f, &h, 2);
    return (float) f;
}
inline unsigned short float_to_f16_bits(float f) {
    _Float16 h = (_Float16) f;  // round to nearest, ties to even
    unsigned short b;
    memcpy(&b, &h, 2);
    return b;
}
inline float bf16_bits_to_float(unsigned short b) {
    uint32_t u = (uint32_t) b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
inline unsigned short float_to_bf16_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        return (unsigned short) ((u >> 16) | 0x0040u);
    }
    return (unsigned short) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
}  // namespace lksim

struct __half {
    unsigned short __x;
    __half() = default;
    __half(float f) : __x(lksim::float_to_f16_bits(f)) {}
    operator float() const { return lksim::f16_bits_to_float(__x); }
};
struct __nv_bfloat16 {
    unsigned short __x;
    __nv_bfloat16() = default;
    __nv_bfloat16(float f) : __x(lksim::float_to_bf16_bits(f)) {}
    operator float() const { return lksim::bf16_bits_to_float(__x); }
};
inline float __half2float(__half h) { return (float) h; }
inline __half __float2half(float f) { return __half(f); }
inline __half __float2half_rn(float f) { return __half(f); }
inline float __bfloat162float(__nv_bfloat16 b) { return (float) b; }
inline __nv_bfloat16 __float2bfloat16(float f) { return __nv_bfloat16(f); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __nv_bfloat16(f); }

// Inline PTX: the simulated NVRTC rewrites `asm("op.a.b %0, %1;" : "=c"(out) : "c"(in))` into
// `out = __lksim_asm_op_a_b(in)`; these are the instructions the kernels' helpers use.
inline float __lksim_asm_cvt_f32_f16(unsigned short h) { return lksim::f16_bits_to_float(h); }
inline unsigned short __lksim_asm_cvt_rn_f16_f32(float f) { return lksim::float_to_f16_bits(f); }

// ---- reinterpretations and math intrinsics -------------------------------------------------------------------
inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
inline float __uint_as_float(unsigned int i) { float f; memcpy(&f, &i, 4); return f; }
inline unsigned int __float_as_uint(float f) { unsigned int i; memcpy(&i, &f, 4); return i; }
inline double __longlong_as_double(long long i) { double d; memcpy(&d, &i, 8); return d; }
inline long long __double_as_longlong(double d) { long long i; memcpy(&i, &d, 8); return i; }

inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned int min(unsigned int a, unsigned int b) { return a < b ? a : b; }
inline unsigned int max(unsigned int a, unsigned int b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }

inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __fdividef(float x, float y) { return x / y; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __frsqrt_rn(float x) { return 1.0f / sqrtf(x); }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double x) { return sqrt(x); }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
inline float __double2float_rn(double d) { return (float) d; }
inline float __int2float_rn(int i) { return (float) i; }
inline int __float2int_rn(float f) { return (int) nearbyintf(f); }
inline int __float2int_rz(float f) { return (int) f; }

// ---- atomics (blocks of one launch run on several OS threads) ------------------------------------------------
template <typename T>
inline T atomicAdd(T* p, T v) {
    if constexpr (std::is_floating_point<T>::value) {
        T old = __atomic_load_n(p, __ATOMIC_RELAXED);
        T sum = old + v;
        while (!__atomic_compare_exchange(p, &old, &sum, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
            sum = old + v;
        }
        return old;
    } else {
        return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
    }
}
template <typename T>
inline T atomicSub(T* p, T v) { return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST); }
template <typename T>
inline T atomicExch(T* p, T v) { T old; __atomic_exchange(p, &v, &old, __ATOMIC_SEQ_CST); return old; }
template <typename T>
inline T atomicCAS(T* p, T expected, T desired) {
    __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return expected;
}
template <typename T>
inline T atomicMax(T* p, T v) {
    T old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (old < v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
    }
    return old;
}
template <typename T>
inline T atomicMin(T* p, T v) {
    T old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (old > v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
    }
    return old;
}
template <typename T>
inline T atomicOr(T* p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }
template <typename T>
inline T atomicAnd(T* p, T v) { return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ---- fibers ----------------------------------------------------------------------------------------------------
namespace lksim {

// Saves the callee-saved registers on the current stack, stores the stack pointer in *save and continues on the
// stack `load` (x86-64 System V). Far cheaper than swapcontext, which makes a system call per switch. The FP
// control words are left alone: all fibers of a block share the thread's rounding mode, which no kernel changes.
extern "C" void lksim_switch(void** save, void* load);
extern "C" void lksim_fiber_trampoline();
asm(R"(
    .text
    .p2align 4
    .hidden lksim_switch
    .type lksim_switch,@function
lksim_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size lksim_switch,.-lksim_switch
    .p2align 4
    .hidden lksim_fiber_trampoline
    .type lksim_fiber_trampoline,@function
lksim_fiber_trampoline:
    movq %r12, %rdi
    callq *%r13
    ud2
    .size lksim_fiber_trampoline,.-lksim_fiber_trampoline
)");

inline uint64_t next_random(uint64_t* s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

inline void fail(Block* b, const char* fmt, const char* a, unsigned x, unsigned y) {
    if (!b->failed) {
        b->failed = true;
        snprintf(b->err, b->err_len, fmt, a, x, y);
    }
}

// Back to the scheduler; returns when the scheduler resumes this fiber.
inline void yield(Fiber* f) {
    lksim_switch(&f->sp, f->block->scheduler_sp);
}

inline void fiber_main(Fiber* f) {
    f->block->kernel->invoke(f->block->launch->params);
    f->state = DONE;
    lksim_switch(&f->sp, f->block->scheduler_sp);
    __builtin_trap();  // a finished fiber is never resumed
}

inline int barrier(int predicate) {
    Fiber* f = self();
    f->state = AT_BARRIER;
    f->predicate = predicate;
    yield(f);
    return (int) f->result;
}

inline uint64_t warp_op(int op, unsigned mask, uint64_t value, int arg, int width) {
    Fiber* f = self();
    f->state = AT_WARP;
    f->op = op;
    f->mask = mask;
    f->value = value;
    f->arg = arg;
    f->width = width;
    yield(f);
    return f->result;
}

// Completes the warp collective that `f` waits at when every lane named in its mask has arrived at the same one.
inline bool try_complete_warp(Block* b, Fiber* f) {
    unsigned base = f->linear & ~31u;
    unsigned mask = f->mask;
    for (unsigned l = 0; l < 32; l++) {
        if (!(mask >> l & 1u)) {
            continue;
        }
        if (base + l >= b->n) {
            fail(b, "%s: a warp collective's mask names lane %u of warp %u, which this block does not have", b->kernel->name,
                    l, base / 32);
            return false;
        }
        Fiber* g = &b->fibers[base + l];
        if (g->state == DONE) {
            fail(b, "%s: a warp collective waits for lane %u of warp %u, which has already returned", b->kernel->name, l,
                    base / 32);
            return false;
        }
        if (g->state != AT_WARP) {
            return false;  // not there yet
        }
        if (g->mask != mask || g->op != f->op
                || (g->op == OP_CALL && ((WarpCall*) (uintptr_t) g->value)->fn != ((WarpCall*) (uintptr_t) f->value)->fn)) {
            fail(b, "%s: lanes of warp %u (lane %u among them) meet at different warp collectives", b->kernel->name,
                    base / 32, l);
            return false;
        }
    }
    if (!(mask >> (f->linear & 31u) & 1u)) {
        fail(b, "%s: lane %u of warp %u runs a warp collective whose mask leaves it out", b->kernel->name,
                f->linear & 31u, base / 32);
        return false;
    }
    if (f->op == OP_CALL) {
        if (mask != 0xffffffffu) {
            fail(b, "%s: warp %u runs a .aligned warp-wide instruction without all 32 lanes (lane %u)", b->kernel->name,
                    base / 32, f->linear & 31u);
            return false;
        }
        WarpCall* lanes[32];
        for (unsigned l = 0; l < 32; l++) {
            lanes[l] = (WarpCall*) (uintptr_t) b->fibers[base + l].value;
        }
        lanes[0]->fn(lanes);
    }
    uint64_t ballot = 0;
    for (unsigned l = 0; l < 32; l++) {
        if (mask >> l & 1u && b->fibers[base + l].value != 0) {
            ballot |= 1ull << l;
        }
    }
    for (unsigned l = 0; l < 32; l++) {
        if (!(mask >> l & 1u)) {
            continue;
        }
        Fiber* g = &b->fibers[base + l];
        int w = g->width;
        unsigned src = l;
        unsigned lo = l & ~(unsigned) (w - 1);
        switch (g->op) {
            case OP_SHFL: src = lo + ((unsigned) g->arg & (unsigned) (w - 1)); break;
            case OP_SHFL_UP: src = (int) l - g->arg >= (int) lo ? l - g->arg : l; break;
            case OP_SHFL_DOWN: src = l + g->arg < lo + w ? l + g->arg : l; break;
            case OP_SHFL_XOR: src = (l ^ (unsigned) g->arg) < lo + w ? l ^ (unsigned) g->arg : l; break;
            default: break;
        }
        if (g->op == OP_BALLOT) {
            g->result = ballot;
        } else if (g->op == OP_SYNCWARP || g->op == OP_CALL) {
            g->result = 0;
        } else {
            if (src > 31 || !(mask >> src & 1u)) {
                fail(b, "%s: lane %u of warp %u reads, with a shuffle, a lane outside the mask", b->kernel->name, l, base / 32);
                return false;
            }
            g->result = b->fibers[base + src].value;
        }
    }
    for (unsigned l = 0; l < 32; l++) {
        if (mask >> l & 1u) {
            b->fibers[base + l].state = RUNNABLE;
        }
    }
    b->waiting[base / 32] -= (unsigned) __builtin_popcount(mask);
    return true;
}

// Appends fibers that became runnable to the run queue, in an order drawn from the block's seed.
inline void enqueue_shuffled(Block* b, unsigned* ids, unsigned m) {
    for (unsigned i = m; i > 1; i--) {
        unsigned j = (unsigned) (((next_random(&b->rng) >> 32) * i) >> 32);
        unsigned t = ids[i - 1];
        ids[i - 1] = ids[j];
        ids[j] = t;
    }
    for (unsigned i = 0; i < m; i++) {
        b->queue[(b->head + b->queued++) & 1023u] = ids[i];
    }
}

inline int run_block(const lksim_launch* launch, const lksim_kernel_desc* kernel, unsigned bx, unsigned by,
        unsigned bz, uint64_t seed, char* err, size_t err_len) {
    Block b;
    b.launch = launch;
    b.kernel = kernel;
    b.bid = {bx, by, bz};
    b.bdim = {launch->block[0], launch->block[1], launch->block[2]};
    b.gdim = {launch->grid[0], launch->grid[1], launch->grid[2]};
    b.n = launch->block[0] * launch->block[1] * launch->block[2];
    b.rng = seed;
    b.failed = false;
    memset(b.waiting, 0, sizeof b.waiting);
    b.err = err;
    b.err_len = err_len;
    if (b.n > launch->stack_count) {
        snprintf(err, err_len, "%s: %u threads per block but only %u fiber stacks", kernel->name, b.n,
                launch->stack_count);
        return 1;
    }
    Fiber fibers[1024];
    unsigned order[1024];
    b.fibers = fibers;
    for (unsigned i = 0; i < b.n; i++) {
        Fiber* f = &fibers[i];
        f->linear = i;
        f->block = &b;
        char* stack = launch->stacks + (size_t) i * LKSIM_STACK_SIZE;
        *(Fiber**) (stack + LKSIM_GUARD_PAGE) = f;
        f->tid = {i % b.bdim.x, (i / b.bdim.x) % b.bdim.y, i / (b.bdim.x * b.bdim.y)};
        f->state = RUNNABLE;
        // Initial frame for lksim_switch: r15..rbp, then the trampoline as return address; the trampoline calls
        // fiber_main(f) (r12 = argument, r13 = function) on a 16-byte aligned stack.
        uintptr_t top = (uintptr_t) (stack + LKSIM_STACK_SIZE);
        uint64_t* s = (uint64_t*) (top - 16 - 56);
        s[0] = 0;            // r15
        s[1] = 0;            // r14
        s[2] = (uint64_t) (uintptr_t) &fiber_main;  // r13
        s[3] = (uint64_t) (uintptr_t) f;            // r12
        s[4] = 0;            // rbx
        s[5] = 0;            // rbp
        s[6] = (uint64_t) (uintptr_t) &lksim_fiber_trampoline;
        f->sp = s;
    }
    unsigned ids[1024];
    for (unsigned i = 0; i < b.n; i++) {
        ids[i] = i;
    }
    b.queue = order;
    b.head = 0;
    b.queued = 0;
    enqueue_shuffled(&b, ids, b.n);
    unsigned done = 0;
    while (done < b.n && !b.failed) {
        if (b.queued == 0) {
            // Everyone waits. A block barrier completes when every thread that has not returned is at it (returned
            // threads count as arrived, as on the hardware); anything else is a deadlock.
            unsigned at_barrier = 0, at_warp = 0, count = 0;
            for (unsigned i = 0; i < b.n; i++) {
                at_barrier += fibers[i].state == AT_BARRIER;
                at_warp += fibers[i].state == AT_WARP;
                count += fibers[i].state == AT_BARRIER && fibers[i].predicate != 0;
            }
            if (at_warp == 0 && at_barrier > 0) {
                b.arrived = at_barrier;
                unsigned m = 0;
                for (unsigned i = 0; i < b.n; i++) {
                    if (fibers[i].state == AT_BARRIER) {
                        fibers[i].state = RUNNABLE;
                        fibers[i].result = count;
                        ids[m++] = i;
                    }
                }
                enqueue_shuffled(&b, ids, m);
                continue;
            }
            for (unsigned i = 0; i < b.n; i++) {
                if (fibers[i].state == AT_WARP) {
                    try_complete_warp(&b, &fibers[i]);  // names a lane that returned, if that is the cause
                    fail(&b, "%s: deadlock: thread %u waits at a warp collective that lanes of its warp never reach (%u "
                         "threads wait at __syncthreads)", kernel->name, i, at_barrier);
                    break;
                }
            }
            break;
        }
        Fiber* f = &fibers[order[b.head]];
        b.head = (b.head + 1) & 1023u;
        b.queued--;
        lksim_switch(&b.scheduler_sp, f->sp);
        if (f->state == DONE) {
            done++;
        } else if (f->state == AT_WARP && ++b.waiting[f->linear / 32] >= (unsigned) __builtin_popcount(f->mask)
                && try_complete_warp(&b, f)) {
            unsigned m = 0;
            unsigned base = f->linear & ~31u;
            for (unsigned l = 0; l < 32; l++) {
                if (f->mask >> l & 1u) {
                    ids[m++] = base + l;
                }
            }
            enqueue_shuffled(&b, ids, m);
        }
    }
    return b.failed ? 1 : 0;
}

template <typename T>
inline T read_param(void* p) {
    T v;
    memcpy(&v, p, sizeof(T));
    return v;
}

template <typename F>
struct Signature;
template <typename... A>
struct Signature<void (*)(A...)> {
    static constexpr int count = (int) sizeof...(A);
    static constexpr unsigned sizes[sizeof...(A) + 1] = {(unsigned) sizeof(A)..., 0};
    static constexpr unsigned aligns[sizeof...(A) + 1] = {(unsigned) alignof(A)..., 0};
    template <void (*K)(A...), size_t... I>
    static void call(void** p, std::index_sequence<I...>) {
        K(read_param<A>(p[I])...);
    }
    template <void (*K)(A...)>
    static void invoke(void** p) {
        call<K>(p, std::index_sequence_for<A...>{});
    }
};

template <typename T>
inline uint64_t to_bits(T v) {
    static_assert(sizeof(T) <= 8, "warp collectives move at most 8 bytes");
    uint64_t u = 0;
    memcpy(&u, &v, sizeof(T));
    return u;
}
template <typename T>
inline T from_bits(uint64_t u) {
    T v;
    memcpy(&v, &u, sizeof(T));
    return v;
}

}  // namespace lksim

namespace lksim {
template <auto K>
constexpr lksim_kernel_desc describe(const char* name, int bounds) {
    using S = Signature<decltype(K)>;
    return {name, bounds, S::count, S::sizes, S::aligns, &S::template invoke<K>};
}
}  // namespace lksim

// The module's kernels: the simulated NVRTC appends their definition to the preprocessed file.
extern const lksim_kernel_desc lksim_table[];
extern const int lksim_table_count;

extern "C" __attribute__((visibility("default"))) int lksim_abi_version(void) {
    return LKSIM_ABI_VERSION;
}

extern "C" __attribute__((visibility("default"))) const lksim_kernel_desc* lksim_kernels(int* count) {
    *count = lksim_table_count;
    return lksim_table;
}

extern "C" __attribute__((visibility("default"))) int lksim_run_block(const lksim_launch* launch, int kernel,
        unsigned bx, unsigned by, unsigned bz, uint64_t seed, char* err, size_t err_len) {
    return lksim::run_block(launch, &lksim_table[kernel], bx, by, bz, seed, err, err_len);
}

// ---- synchronisation and warp collectives ---------------------------------------------------------------------
inline void __syncthreads() { lksim::barrier(1); }
inline int __syncthreads_count(int p) { return lksim::barrier(p); }
inline int __syncthreads_and(int p) { return lksim::barrier(p) == (int) lksim::self()->block->arrived; }
inline int __syncthreads_or(int p) { return lksim::barrier(p) != 0; }
inline void __syncwarp(unsigned mask = 0xffffffffu) { lksim::warp_op(lksim::OP_SYNCWARP, mask, 0, 0, 32); }

template <typename T>
inline T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
    return lksim::from_bits<T>(lksim::warp_op(lksim::OP_SHFL, mask, lksim::to_bits(v), src, width));
}
template <typename T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    return lksim::from_bits<T>(lksim::warp_op(lksim::OP_SHFL_UP, mask, lksim::to_bits(v), (int) delta, width));
}
template <typename T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    return lksim::from_bits<T>(lksim::warp_op(lksim::OP_SHFL_DOWN, mask, lksim::to_bits(v), (int) delta, width));
}
template <typename T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
    return lksim::from_bits<T>(lksim::warp_op(lksim::OP_SHFL_XOR, mask, lksim::to_bits(v), lane_mask, width));
}
inline unsigned __ballot_sync(unsigned mask, int p) {
    return (unsigned) lksim::warp_op(lksim::OP_BALLOT, mask, p != 0, 0, 32);
}
inline int __any_sync(unsigned mask, int p) { return __ballot_sync(mask, p) != 0; }
inline int __all_sync(unsigned mask, int p) { return __ballot_sync(mask, p) == mask; }
inline unsigned __activemask() { return 0xffffffffu; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned) x); }
inline int __ffs(int x) { return __builtin_ffs(x); }

// Dynamic shared memory (`extern __shared__ T name[];` is rewritten to a pointer to this).
inline void* __lksim_dynamic_shared() { return lksim::self()->block->launch->dynamic_shared; }

// ---- tensor-core instructions ----------------------------------------------------------------------------------
// Warp-collective twins of mma.sync.aligned.m16n8k16.row.col.f32.{bf16,f16}.{bf16,f16}.f32 and
// ldmatrix.sync.aligned.m8n8.{x2,x4}[.trans].shared.b16, with the PTX ISA's fragment layouts. groupID = lane >> 2,
// threadID_in_group = lane % 4. A (16x16, row): a_i (i = 0..7, two per 32-bit register, low half first) holds
// row groupID + 8 * ((i >> 1) & 1), column threadID_in_group * 2 + (i & 1) + 8 * (i >= 4). B (16x8, col): b_i
// (i = 0..3) holds row threadID_in_group * 2 + (i & 1) + 8 * (i >= 2), column groupID. C and D (16x8, fp32): c_i
// holds row groupID + 8 * (i >= 2), column threadID_in_group * 2 + (i & 1). The products of 16-bit inputs are exact
// in fp32; the sum runs in fp32 in k order (the hardware's order and intermediate width are its own).
namespace lksim {

struct MmaCall {
    WarpCall call;
    const unsigned* a;
    const unsigned* b;
    const float* c;
    float* d;
};

inline float half_of(unsigned reg, int i, bool bf16) {
    unsigned short h = (unsigned short) (i ? reg >> 16 : reg & 0xffffu);
    return bf16 ? bf16_bits_to_float(h) : f16_bits_to_float(h);
}

template <bool BF16>
inline void mma_m16n8k16(WarpCall* const* lanes) {
    float A[16][16], B[16][8], C[16][8];
    for (int lane = 0; lane < 32; lane++) {
        const MmaCall* m = (const MmaCall*) lanes[lane];
        int g = lane >> 2, t = lane & 3;
        for (int i = 0; i < 8; i++) {
            A[g + 8 * ((i >> 1) & 1)][t * 2 + (i & 1) + 8 * (i >= 4)] = half_of(m->a[i >> 1], i & 1, BF16);
        }
        for (int i = 0; i < 4; i++) {
            B[t * 2 + (i & 1) + 8 * (i >= 2)][g] = half_of(m->b[i >> 1], i & 1, BF16);
            C[g + 8 * (i >= 2)][t * 2 + (i & 1)] = m->c[i];
        }
    }
    for (int lane = 0; lane < 32; lane++) {
        const MmaCall* m = (const MmaCall*) lanes[lane];
        int g = lane >> 2, t = lane & 3;
        for (int i = 0; i < 4; i++) {
            int row = g + 8 * (i >= 2), col = t * 2 + (i & 1);
            float s = C[row][col];
            for (int k = 0; k < 16; k++) {
                s += A[row][k] * B[k][col];
            }
            m->d[i] = s;
        }
    }
}

// ldmatrix: lane 8 * j + r gives the address of row r of matrix j (16 bytes, 8 b16 elements). Without .trans,
// register j of lane l holds row l / 4, elements 2 * (l % 4) and 2 * (l % 4) + 1 of matrix j (low half first);
// with .trans, elements (row 2 * (l % 4), column l / 4) and (row 2 * (l % 4) + 1, column l / 4).
struct LdmatrixCall {
    WarpCall call;
    const unsigned short* row;
    unsigned* r;
};

template <int N, bool TRANS>
inline void ldmatrix_m8n8(WarpCall* const* lanes) {
    for (int lane = 0; lane < 32; lane++) {
        LdmatrixCall* m = (LdmatrixCall*) lanes[lane];
        for (int j = 0; j < N; j++) {
            unsigned short h[2];
            for (int e = 0; e < 2; e++) {
                int row = TRANS ? 2 * (lane & 3) + e : lane >> 2;
                int col = TRANS ? lane >> 2 : 2 * (lane & 3) + e;
                h[e] = ((const LdmatrixCall*) lanes[8 * j + row])->row[col];
            }
            m->r[j] = (unsigned) h[0] | (unsigned) h[1] << 16;
        }
    }
}

}  // namespace lksim

inline void __lksim_mma_m16n8k16(float* d, const unsigned* a, const unsigned* b, const float* c, bool bf16) {
    lksim::MmaCall m = {{bf16 ? &lksim::mma_m16n8k16<true> : &lksim::mma_m16n8k16<false>}, a, b, c, d};
    float in[4] = {c[0], c[1], c[2], c[3]};  // d may alias c
    m.c = in;
    lksim::warp_op(lksim::OP_CALL, 0xffffffffu, (uint64_t) (uintptr_t) &m, 0, 32);
}

template <int N, bool TRANS>
inline void __lksim_ldmatrix(unsigned* r, const void* row) {
    lksim::LdmatrixCall m = {{&lksim::ldmatrix_m8n8<N, TRANS>}, (const unsigned short*) row, r};
    lksim::warp_op(lksim::OP_CALL, 0xffffffffu, (uint64_t) (uintptr_t) &m, 0, 32);
}

#endif
