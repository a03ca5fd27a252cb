// The simulated CUDA driver (libcuda.so.1): devices with an H100's limits whose memory is host memory (a
// CUdeviceptr is a plain host address, which kernels and the simulated cuBLAS dereference directly) and whose
// streams run every operation synchronously, in order. Compiled against the toolkit's own cuda.h, so a wrong
// signature or constant does not compile.
//
// Environment: LORAKIT_CUDASIM_SEED (the order of threads between synchronisation points; default 1),
// LORAKIT_CUDASIM_MEMORY (device memory in bytes, or with a K/M/G suffix; default 4G), LORAKIT_CUDASIM_THREADS
// (OS threads that run blocks; default 2), LORAKIT_CUDASIM_LOG (1: every launch on stderr; a path: appended to
// that file, one line per launch, so a test can see which kernels ran), LORAKIT_CUDASIM_DEVICES (how many devices,
// 1 to 16; default 1: each has its own primary context, memory budget and sticky error, all in one address space).
#include <cuda.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cudasim_abi.h"
#include "cudasim_files.h"

struct CUctx_st {
    int refs = 0;
    size_t used = 0;  // bytes allocated in this context
    // A failure inside a kernel is sticky, as on the hardware: every later call in the context fails with it
    // until the context is destroyed. detail says which kernel did what; cuGetErrorString returns it.
    CUresult sticky = CUDA_SUCCESS;
    std::string sticky_detail;
};
struct CUstream_st {
    unsigned flags = 0;
};
struct CUevent_st {
    bool recorded = false;
    double ms = 0;
};
struct CUfunc_st;
struct CUmod_st {
    void* handle = nullptr;
    std::string path;
    std::vector<CUfunc_st*> functions;
    lksim_run_block_fn run_block = nullptr;
};
struct CUfunc_st {
    CUmod_st* module = nullptr;
    int index = 0;
    const lksim_kernel_desc* desc = nullptr;
    std::vector<size_t> offsets;
    int max_dynamic_shared = 48 * 1024;
};

namespace {

constexpr int kSharedOptIn = 232448;    // cudaDevAttrMaxSharedMemoryPerBlockOptin of an H100
constexpr int kParamBytes = 32764;      // kernel parameter space (CUDA 12.1 on, Volta and newer)
constexpr size_t kGuard = 256;          // guard bytes on each side of every allocation
constexpr unsigned char kGuardByte = 0xa5;

std::mutex mu;  // everything below except the launch pool
bool initialised = false;
constexpr int kMaxDevices = 16;
CUctx_st contexts[kMaxDevices];  // the primary context of each device
int device_count = 1;
thread_local CUcontext current = nullptr;
size_t total_memory = 4ull << 30;  // per device
uint64_t seed = 1;
FILE* launch_log = nullptr;
// For tests that ask what ran (see cudasimLaunchCount below): launches per kernel, the largest allocation.
std::map<std::string, uint64_t> launch_counts;
size_t largest_allocation = 0;
unsigned pool_threads = 2;
uint64_t launch_count = 0;

struct Alloc {
    char* base;
    size_t size;
    size_t span;
    CUctx_st* context;
};
std::map<uintptr_t, Alloc> allocations;  // by the pointer handed out

size_t parse_size(const char* s, size_t fallback) {
    if (s == nullptr || *s == 0) {
        return fallback;
    }
    char* end;
    double v = strtod(s, &end);
    switch (*end) {
        case 'k': case 'K': v *= 1024.0; break;
        case 'm': case 'M': v *= 1024.0 * 1024; break;
        case 'g': case 'G': v *= 1024.0 * 1024 * 1024; break;
        default: break;
    }
    return v > 0 ? (size_t) v : fallback;
}

void fail_sticky(CUresult code, const std::string& detail) {
    if (current->sticky == CUDA_SUCCESS) {
        current->sticky = code;
        current->sticky_detail = detail;
        fprintf(stderr, "cudasim: %s\n", detail.c_str());
        fflush(stderr);
    }
}

// A call that works on the current context: the driver must be initialised, a context current and healthy.
CUresult enter(bool needs_context = true) {
    if (!initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (current != nullptr && current->sticky != CUDA_SUCCESS) {
        return current->sticky;
    }
    if (needs_context && (current == nullptr || current->refs == 0)) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    return CUDA_SUCCESS;
}

// The allocation that holds [p, p + n), or null.
Alloc* find(uintptr_t p, size_t n) {
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin()) {
        return nullptr;
    }
    --it;
    Alloc* a = &it->second;
    return p >= it->first && p + n <= it->first + a->size ? a : nullptr;
}

const unsigned char* guard_pattern() {
    static unsigned char* p = [] {
        unsigned char* b = new unsigned char[2 * kGuard];
        memset(b, kGuardByte, 2 * kGuard);
        return b;
    }();
    return p;
}

bool guards_intact(const Alloc& a, uintptr_t user, std::string* what) {
    const unsigned char* front = (const unsigned char*) a.base;
    const unsigned char* tail = (const unsigned char*) user + a.size;
    size_t tail_len = a.span - kGuard - a.size;
    if (memcmp(front, guard_pattern(), kGuard) == 0 && memcmp(tail, guard_pattern(), tail_len) == 0) {
        return true;
    }
    for (size_t i = 0; i < kGuard; i++) {
        if (front[i] != kGuardByte) {
            char at[32];
            snprintf(at, sizeof at, "0x%llx", (unsigned long long) user);
            *what = "wrote " + std::to_string(kGuard - i) + " bytes before the start of a " + std::to_string(a.size)
                    + "-byte allocation at " + at;
            return false;
        }
    }
    for (size_t i = tail_len; i-- > 0;) {
        if (tail[i] != kGuardByte) {
            *what = "wrote past the end of a " + std::to_string(a.size) + "-byte allocation (up to byte "
                    + std::to_string(a.size + i) + ")";
            return false;
        }
    }
    return true;
}

void restore_guards(Alloc& a, uintptr_t user) {
    memset(a.base, kGuardByte, kGuard);
    memset((char*) user + a.size, kGuardByte, a.span - kGuard - a.size);
}

// ---- the pool of OS threads that runs blocks ------------------------------------------------------------------

struct Job {
    CUfunc_st* f;
    lksim_launch launch;
    uint64_t launch_no;
    uint64_t blocks;
    std::atomic<uint64_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex err_mu;
    std::string err;
};

struct Worker {
    char* raw = nullptr;
    char* stacks = nullptr;
    std::vector<char> shared;
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;
    ~Worker() {
        if (raw != nullptr) {
            munmap(raw, (size_t) LKSIM_STACK_SIZE * 1025);
        }
    }
    Worker() {
        size_t bytes = (size_t) LKSIM_STACK_SIZE * 1025;
        raw = (char*) mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                -1, 0);
        if (raw == MAP_FAILED) {
            raw = nullptr;
            return;
        }
        stacks = (char*) (((uintptr_t) raw + LKSIM_STACK_SIZE - 1) & ~(uintptr_t) (LKSIM_STACK_SIZE - 1));
        for (size_t i = 0; i < 1024; i++) {
            // A stack overflow faults instead of corrupting the stack below.
            mprotect(stacks + i * LKSIM_STACK_SIZE, LKSIM_GUARD_PAGE, PROT_NONE);
        }
        shared.resize(kSharedOptIn);
    }
};

uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void work(Job* job, Worker* w) {
    lksim_launch l = job->launch;
    l.stacks = w->stacks;
    l.stack_count = w->stacks == nullptr ? 0 : 1024;
    l.dynamic_shared = w->shared.data();
    unsigned gx = l.grid[0], gy = l.grid[1];
    char err[512];
    for (;;) {
        uint64_t b = job->next.fetch_add(1);
        if (b >= job->blocks || job->failed.load()) {
            return;
        }
        unsigned bx = (unsigned) (b % gx);
        unsigned by = (unsigned) (b / gx % gy);
        unsigned bz = (unsigned) (b / gx / gy);
        // Seed per (launch, block), so the order does not depend on which OS thread runs the block.
        uint64_t s = mix(seed * 0x9e3779b97f4a7c15ull ^ mix(job->launch_no * 0x100000001b3ull + b));
        err[0] = 0;
        if (job->f->module->run_block(&l, job->f->index, bx, by, bz, s, err, sizeof err) != 0) {
            std::lock_guard<std::mutex> g(job->err_mu);
            if (!job->failed.exchange(true)) {
                job->err = "block (" + std::to_string(bx) + "," + std::to_string(by) + "," + std::to_string(bz)
                        + ") of " + err;
            }
            return;
        }
    }
}

// The calling thread runs blocks itself; for grids of a few blocks and more, LORAKIT_CUDASIM_THREADS - 1 helper
// threads join it (waking a thread costs more than a small kernel).
class Pool {
public:
    void run(Job* job) {
        static thread_local Worker own;
        unsigned helpers = job->blocks >= 4 ? pool_threads - 1 : 0;
        std::unique_lock<std::mutex> g(m_);
        while (workers_.size() < helpers) {
            workers_.emplace_back([this] { loop(); });
            workers_.back().detach();
        }
        if (helpers > 0) {
            job_ = job;
            busy_ = helpers;
            wanted_ = helpers;
            generation_++;
            wake_.notify_all();
        }
        g.unlock();
        work(job, &own);
        g.lock();
        done_.wait(g, [this] { return busy_ == 0; });
        job_ = nullptr;
    }

private:
    void loop() {
        Worker w;
        uint64_t seen = 0;
        std::unique_lock<std::mutex> g(m_);
        for (;;) {
            wake_.wait(g, [&] { return generation_ != seen && wanted_ > 0; });
            seen = generation_;
            wanted_--;
            Job* job = job_;
            g.unlock();
            work(job, &w);
            g.lock();
            if (--busy_ == 0) {
                done_.notify_all();
            }
        }
    }

    std::mutex m_;
    std::condition_variable wake_;
    std::condition_variable done_;
    std::vector<std::thread> workers_;
    Job* job_ = nullptr;
    unsigned busy_ = 0;
    unsigned wanted_ = 0;
    uint64_t generation_ = 0;
};

Pool& pool() {
    static Pool* p = new Pool();  // never destroyed: its threads live as long as the process
    return *p;
}

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct ErrorText {
    CUresult code;
    const char* name;
    const char* text;
};
const ErrorText kErrors[] = {
        {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
        {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
        {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
        {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
        {CUDA_ERROR_DEINITIALIZED, "CUDA_ERROR_DEINITIALIZED", "driver shutting down"},
        {CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
        {CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
        {CUDA_ERROR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
        {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
        {CUDA_ERROR_NO_BINARY_FOR_GPU, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"},
        {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
        {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
        {CUDA_ERROR_NOT_READY, "CUDA_ERROR_NOT_READY", "device not ready"},
        {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
        {CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
        {CUDA_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
        {CUDA_ERROR_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
        {CUDA_ERROR_UNKNOWN, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

const ErrorText* error_text(CUresult code) {
    for (const ErrorText& e : kErrors) {
        if (e.code == code) {
            return &e;
        }
    }
    return nullptr;
}

CUresult memset_n(CUdeviceptr dst, const void* value, size_t width, size_t n) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter();
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (n == 0) {
        return CUDA_SUCCESS;
    }
    if (find((uintptr_t) dst, n * width) == nullptr || dst % width != 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    char* p = (char*) (uintptr_t) dst;
    if (width == 1) {
        memset(p, *(const unsigned char*) value, n);
    } else {
        for (size_t i = 0; i < n; i++) {
            memcpy(p + i * width, value, width);
        }
    }
    return CUDA_SUCCESS;
}

CUresult copy(void* dst, const void* src, size_t n, bool dst_device, bool src_device) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter();
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (n == 0) {
        return CUDA_SUCCESS;
    }
    if ((dst_device && find((uintptr_t) dst, n) == nullptr) || (src_device && find((uintptr_t) src, n) == nullptr)
            || dst == nullptr || src == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    memmove(dst, src, n);
    return CUDA_SUCCESS;
}

}  // namespace

extern "C" {

CUresult CUDAAPI cuGetErrorName(CUresult error, const char** p) {
    const ErrorText* e = error_text(error);
    if (p == nullptr || e == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    *p = e->name;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuGetErrorString(CUresult error, const char** p) {
    const ErrorText* e = error_text(error);
    if (p == nullptr || e == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    std::lock_guard<std::mutex> g(mu);
    if (current != nullptr && error == current->sticky && !current->sticky_detail.empty()) {
        // The sticky error's text names the kernel; each distinct text is kept for the life of the process,
        // since callers may hold the pointer.
        static std::map<std::string, std::string>* texts = new std::map<std::string, std::string>();
        std::string t = std::string(e->text) + "; cudasim: " + current->sticky_detail;
        *p = (*texts)[t].empty() ? ((*texts)[t] = t).c_str() : (*texts)[t].c_str();
        return CUDA_SUCCESS;
    }
    *p = e->text;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuInit(unsigned int flags) {
    if (flags != 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    std::lock_guard<std::mutex> g(mu);
    if (!initialised) {
        total_memory = parse_size(getenv("LORAKIT_CUDASIM_MEMORY"), 4ull << 30);
        const char* s = getenv("LORAKIT_CUDASIM_SEED");
        seed = s != nullptr && *s != 0 ? strtoull(s, nullptr, 0) : 1;
        const char* t = getenv("LORAKIT_CUDASIM_THREADS");
        pool_threads = t != nullptr && atoi(t) > 0 ? (unsigned) atoi(t) : 2;
        const char* n = getenv("LORAKIT_CUDASIM_DEVICES");
        device_count = n != nullptr && atoi(n) > 0 ? std::min(atoi(n), kMaxDevices) : 1;
        const char* l = getenv("LORAKIT_CUDASIM_LOG");
        if (l != nullptr && strcmp(l, "1") == 0) {
            launch_log = stderr;
        } else if (l != nullptr && *l != 0 && strcmp(l, "0") != 0) {
            launch_log = fopen(l, "a");
        }
        initialised = true;
    }
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDriverGetVersion(int* version) {
    if (version == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    *version = 13000;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDeviceGetCount(int* count) {
    if (!initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (count == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    *count = device_count;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDeviceGet(CUdevice* device, int ordinal) {
    if (!initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (device == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (ordinal < 0 || ordinal >= device_count) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    *device = ordinal;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDeviceGetName(char* name, int len, CUdevice dev) {
    if (!initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (dev < 0 || dev >= device_count) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    if (name == nullptr || len <= 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    snprintf(name, (size_t) len, "%s", "CUDA simulator (H100 limits)");
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, CUdevice dev) {
    if (!initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (dev < 0 || dev >= device_count) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    if (pi == nullptr || attrib <= 0 || attrib >= CU_DEVICE_ATTRIBUTE_MAX) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    int v = 0;
    switch (attrib) {
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: v = 1024; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: v = 1024; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y: v = 1024; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z: v = 64; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: v = 2147483647; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: v = 65535; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: v = 65535; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: v = 48 * 1024; break;
        case CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY: v = 64 * 1024; break;
        case CU_DEVICE_ATTRIBUTE_WARP_SIZE: v = 32; break;
        case CU_DEVICE_ATTRIBUTE_MAX_PITCH: v = 2147483647; break;
        case CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK: v = 65536; break;
        case CU_DEVICE_ATTRIBUTE_CLOCK_RATE: v = 1980000; break;
        case CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT: v = 512; break;
        case CU_DEVICE_ATTRIBUTE_GPU_OVERLAP: v = 1; break;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: v = 132; break;
        case CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY: v = 1; break;
        case CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS: v = 1; break;
        case CU_DEVICE_ATTRIBUTE_ECC_ENABLED: v = 1; break;
        case CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE: v = 2619000; break;
        case CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH: v = 5120; break;
        case CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE: v = 50 * 1024 * 1024; break;
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR: v = 2048; break;
        case CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT: v = 3; break;
        case CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING: v = 1; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: v = 9; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: v = 0; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR: v = 233472; break;
        case CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR: v = 65536; break;
        case CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY: v = 1; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: v = kSharedOptIn; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR: v = 32; break;
        default: v = 0; break;
    }
    *pi = v;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDeviceTotalMem(size_t* bytes, CUdevice dev) {
    if (!initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (dev < 0 || dev >= device_count) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    if (bytes == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    *bytes = total_memory;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDevicePrimaryCtxRetain(CUcontext* ctx, CUdevice dev) {
    std::lock_guard<std::mutex> g(mu);
    if (!initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (dev < 0 || dev >= device_count) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    if (ctx == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    contexts[dev].refs++;
    *ctx = &contexts[dev];
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDevicePrimaryCtxRelease(CUdevice dev) {
    std::lock_guard<std::mutex> g(mu);
    if (!initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (dev < 0 || dev >= device_count) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    CUctx_st& primary = contexts[dev];
    if (primary.refs == 0) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    if (--primary.refs == 0) {
        // The context is destroyed: its memory goes back and a sticky error is gone with it.
        for (auto it = allocations.begin(); it != allocations.end();) {
            if (it->second.context == &primary) {
                free(it->second.base);
                it = allocations.erase(it);
            } else {
                ++it;
            }
        }
        primary.used = 0;
        primary.sticky = CUDA_SUCCESS;
        primary.sticky_detail.clear();
    }
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuCtxSetCurrent(CUcontext ctx) {
    if (!initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (ctx != nullptr && (ctx < &contexts[0] || ctx >= &contexts[device_count])) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    current = ctx;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuCtxGetCurrent(CUcontext* ctx) {
    if (!initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (ctx == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    *ctx = current;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuCtxSynchronize(void) {
    std::lock_guard<std::mutex> g(mu);
    return enter();
}

// ---- memory -------------------------------------------------------------------------------------------------------

CUresult CUDAAPI cuMemAlloc(CUdeviceptr* dptr, size_t bytes) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter();
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (dptr == nullptr || bytes == 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    size_t charged = (bytes + 511) & ~(size_t) 511;
    if (charged > total_memory - current->used || bytes > total_memory) {
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    size_t span = kGuard + ((bytes + kGuard + 255) & ~(size_t) 255);
    void* base = nullptr;
    if (posix_memalign(&base, 256, span) != 0) {
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    Alloc a{(char*) base, bytes, span, current};
    uintptr_t user = (uintptr_t) base + kGuard;
    restore_guards(a, user);
    // Fresh device memory is not zeroed; NaN bytes make a read of memory nobody wrote show in the results.
    memset((void*) user, 0xff, bytes);
    allocations[user] = a;
    current->used += charged;
    largest_allocation = bytes > largest_allocation ? bytes : largest_allocation;
    *dptr = (CUdeviceptr) user;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemFree(CUdeviceptr dptr) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter();
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (dptr == 0) {
        return CUDA_SUCCESS;
    }
    auto it = allocations.find((uintptr_t) dptr);
    if (it == allocations.end()) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    it->second.context->used -= (it->second.size + 511) & ~(size_t) 511;
    free(it->second.base);
    allocations.erase(it);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter();
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (free_bytes == nullptr || total_bytes == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    *free_bytes = total_memory - current->used;
    *total_bytes = total_memory;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemcpyHtoDAsync(CUdeviceptr dst, const void* src, size_t n, CUstream) {
    return copy((void*) (uintptr_t) dst, src, n, true, false);
}

CUresult CUDAAPI cuMemcpyDtoHAsync(void* dst, CUdeviceptr src, size_t n, CUstream) {
    return copy(dst, (const void*) (uintptr_t) src, n, false, true);
}

CUresult CUDAAPI cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream) {
    return copy((void*) (uintptr_t) dst, (const void*) (uintptr_t) src, n, true, true);
}

CUresult CUDAAPI cuMemcpyHtoD(CUdeviceptr dst, const void* src, size_t n) {
    return copy((void*) (uintptr_t) dst, src, n, true, false);
}

CUresult CUDAAPI cuMemcpyDtoH(void* dst, CUdeviceptr src, size_t n) {
    return copy(dst, (const void*) (uintptr_t) src, n, false, true);
}

CUresult CUDAAPI cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, CUstream) {
    return memset_n(dst, &v, 1, n);
}

CUresult CUDAAPI cuMemsetD16Async(CUdeviceptr dst, unsigned short v, size_t n, CUstream) {
    return memset_n(dst, &v, 2, n);
}

CUresult CUDAAPI cuMemsetD32Async(CUdeviceptr dst, unsigned int v, size_t n, CUstream) {
    return memset_n(dst, &v, 4, n);
}

// ---- streams and events ---------------------------------------------------------------------------------------------

CUresult CUDAAPI cuStreamCreate(CUstream* stream, unsigned int flags) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter();
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (stream == nullptr || (flags & ~(unsigned) CU_STREAM_NON_BLOCKING) != 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    *stream = new CUstream_st{flags};
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuStreamSynchronize(CUstream) {
    // Every operation already ran when it was enqueued; what is left to report is a kernel's failure.
    std::lock_guard<std::mutex> g(mu);
    return enter(false);
}

CUresult CUDAAPI cuStreamDestroy(CUstream stream) {
    std::lock_guard<std::mutex> g(mu);
    if (!initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (stream == nullptr) {
        return CUDA_ERROR_INVALID_HANDLE;
    }
    delete stream;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuEventCreate(CUevent* event, unsigned int flags) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter();
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (event == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    (void) flags;
    *event = new CUevent_st();
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuEventRecord(CUevent event, CUstream) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter(false);
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (event == nullptr) {
        return CUDA_ERROR_INVALID_HANDLE;
    }
    event->recorded = true;
    event->ms = now_ms();
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuEventSynchronize(CUevent event) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter(false);
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    return event == nullptr ? CUDA_ERROR_INVALID_HANDLE : CUDA_SUCCESS;
}

CUresult CUDAAPI cuEventElapsedTime(float* ms, CUevent start, CUevent end) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter(false);
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (ms == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (start == nullptr || end == nullptr) {
        return CUDA_ERROR_INVALID_HANDLE;
    }
    if (!start->recorded || !end->recorded) {
        return CUDA_ERROR_INVALID_HANDLE;
    }
    *ms = (float) (end->ms - start->ms);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuEventDestroy(CUevent event) {
    if (!initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (event == nullptr) {
        return CUDA_ERROR_INVALID_HANDLE;
    }
    delete event;
    return CUDA_SUCCESS;
}

// ---- modules and launches ---------------------------------------------------------------------------------------------

CUresult CUDAAPI cuModuleLoadData(CUmodule* module, const void* image) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter();
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (module == nullptr || image == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    const char* text = (const char*) image;
    size_t magic = strlen(LKSIM_IMAGE_MAGIC);
    if (strncmp(text, LKSIM_IMAGE_MAGIC, magic) != 0) {
        return CUDA_ERROR_INVALID_IMAGE;  // a real CUBIN, or anything else
    }
    // "<module hash> <prelude hash> <path>": an image built with another prelude is stale, and the caller
    // compiles the source again, as it would for a CUBIN of another architecture.
    const char* space = strchr(text + magic, ' ');
    const char* space2 = space == nullptr ? nullptr : strchr(space + 1, ' ');
    const char* nl = space2 == nullptr ? nullptr : strchr(space2, '\n');
    if (nl == nullptr || std::string(space + 1, space2) != lksim_prelude_hash(own_folder_of((void*) &cuInit))) {
        return CUDA_ERROR_INVALID_IMAGE;
    }
    std::string path(space2 + 1, nl);
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
        return CUDA_ERROR_INVALID_IMAGE;  // e.g. a cached image whose module was cleaned away
    }
    auto version = (lksim_abi_version_fn) dlsym(h, "lksim_abi_version");
    auto kernels = (lksim_kernels_fn) dlsym(h, "lksim_kernels");
    auto run_block = (lksim_run_block_fn) dlsym(h, "lksim_run_block");
    if (version == nullptr || kernels == nullptr || run_block == nullptr || version() != LKSIM_ABI_VERSION) {
        dlclose(h);
        return CUDA_ERROR_INVALID_IMAGE;
    }
    CUmod_st* m = new CUmod_st();
    m->handle = h;
    m->path = path;
    m->run_block = run_block;
    int count = 0;
    const lksim_kernel_desc* descs = kernels(&count);
    for (int i = 0; i < count; i++) {
        CUfunc_st* f = new CUfunc_st();
        f->module = m;
        f->index = i;
        f->desc = &descs[i];
        size_t at = 0;
        for (int p = 0; p < descs[i].param_count; p++) {
            size_t align = descs[i].param_aligns[p];
            at = (at + align - 1) / align * align;
            f->offsets.push_back(at);
            at += descs[i].param_sizes[p];
        }
        m->functions.push_back(f);
    }
    *module = m;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuModuleUnload(CUmodule module) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter();
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (module == nullptr) {
        return CUDA_ERROR_INVALID_HANDLE;
    }
    // The shared object stays loaded (another module handle may share it); the handles go.
    for (CUfunc_st* f : module->functions) {
        delete f;
    }
    delete module;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuModuleGetFunction(CUfunction* fn, CUmodule module, const char* name) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter();
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (fn == nullptr || name == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (module == nullptr) {
        return CUDA_ERROR_INVALID_HANDLE;
    }
    for (CUfunc_st* f : module->functions) {
        if (strcmp(f->desc->name, name) == 0) {
            *fn = f;
            return CUDA_SUCCESS;
        }
    }
    return CUDA_ERROR_NOT_FOUND;
}

CUresult CUDAAPI cuFuncGetParamInfo(CUfunction f, size_t index, size_t* offset, size_t* size) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter(false);
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (f == nullptr) {
        return CUDA_ERROR_INVALID_HANDLE;
    }
    if (index >= (size_t) f->desc->param_count) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (offset != nullptr) {
        *offset = f->offsets[index];
    }
    if (size != nullptr) {
        *size = f->desc->param_sizes[index];
    }
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuFuncSetAttribute(CUfunction f, CUfunction_attribute attrib, int value) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter(false);
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (f == nullptr) {
        return CUDA_ERROR_INVALID_HANDLE;
    }
    if (attrib == CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES) {
        if (value < 0 || value > kSharedOptIn) {
            return CUDA_ERROR_INVALID_VALUE;
        }
        f->max_dynamic_shared = value;
        return CUDA_SUCCESS;
    }
    if (attrib == CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT) {
        return value >= -1 && value <= 100 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_ERROR_INVALID_VALUE;
}

CUresult CUDAAPI cuFuncGetAttribute(int* pi, CUfunction_attribute attrib, CUfunction f) {
    std::lock_guard<std::mutex> g(mu);
    CUresult rc = enter(false);
    if (rc != CUDA_SUCCESS) {
        return rc;
    }
    if (pi == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (f == nullptr) {
        return CUDA_ERROR_INVALID_HANDLE;
    }
    switch (attrib) {
        case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *pi = f->desc->max_threads > 0 ? f->desc->max_threads : 1024; break;
        case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: *pi = f->max_dynamic_shared; break;
        case CU_FUNC_ATTRIBUTE_PTX_VERSION: case CU_FUNC_ATTRIBUTE_BINARY_VERSION: *pi = 90; break;
        default: *pi = 0; break;
    }
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
        unsigned int by, unsigned int bz, unsigned int shared_bytes, CUstream stream, void** params, void** extra) {
    Job job;
    std::vector<void*> from_buffer;
    {
        std::lock_guard<std::mutex> g(mu);
        CUresult rc = enter();
        if (rc != CUDA_SUCCESS) {
            return rc;
        }
        if (f == nullptr) {
            return CUDA_ERROR_INVALID_HANDLE;
        }
        const lksim_kernel_desc* d = f->desc;
        uint64_t threads = (uint64_t) bx * by * bz;
        // The device's limits, checked as the driver does, before anything runs.
        if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0 || gx > 2147483647u || gy > 65535
                || gz > 65535 || bx > 1024 || by > 1024 || bz > 64 || threads > 1024
                || (d->max_threads > 0 && threads > (uint64_t) d->max_threads)
                || shared_bytes > (unsigned) f->max_dynamic_shared) {
            return CUDA_ERROR_INVALID_VALUE;
        }
        size_t param_end = d->param_count == 0 ? 0 : f->offsets.back() + d->param_sizes[d->param_count - 1];
        if (param_end > (size_t) kParamBytes) {
            return CUDA_ERROR_INVALID_VALUE;
        }
        if (extra != nullptr) {
            // CU_LAUNCH_PARAM_BUFFER_POINTER / _SIZE: one packed buffer whose size must be the signature's.
            if (params != nullptr) {
                return CUDA_ERROR_INVALID_VALUE;
            }
            char* buffer = nullptr;
            size_t* size = nullptr;
            for (size_t i = 0; extra[i] != CU_LAUNCH_PARAM_END; i += 2) {
                if (extra[i] == CU_LAUNCH_PARAM_BUFFER_POINTER) {
                    buffer = (char*) extra[i + 1];
                } else if (extra[i] == CU_LAUNCH_PARAM_BUFFER_SIZE) {
                    size = (size_t*) extra[i + 1];
                } else {
                    return CUDA_ERROR_INVALID_VALUE;
                }
            }
            if (buffer == nullptr || size == nullptr || *size != param_end) {
                return CUDA_ERROR_INVALID_VALUE;
            }
            for (int p = 0; p < d->param_count; p++) {
                from_buffer.push_back(buffer + f->offsets[p]);
            }
            params = from_buffer.data();
        }
        if (d->param_count > 0 && params == nullptr) {
            return CUDA_ERROR_INVALID_VALUE;
        }
        if (stream == nullptr) {
            // The legacy default stream is fine, too.
        }
        job.launch_no = launch_count++;
        launch_counts[d->name]++;
        if (launch_log != nullptr) {
            fprintf(launch_log, "cudasim: launch %llu %s grid %ux%ux%u block %ux%ux%u shared %u\n",
                    (unsigned long long) job.launch_no, d->name, gx, gy, gz, bx, by, bz, shared_bytes);
            fflush(launch_log);
        }
    }
    job.f = f;
    job.launch = lksim_launch{{gx, gy, gz}, {bx, by, bz}, nullptr, shared_bytes, params, nullptr, 0};
    job.blocks = (uint64_t) gx * gy * gz;
    // Launches run one at a time, so the kernel sees exactly the memory the calls before it left.
    static std::mutex launch_mu;
    std::lock_guard<std::mutex> serial(launch_mu);
    pool().run(&job);
    std::lock_guard<std::mutex> g(mu);
    std::string kernel = f->desc->name;
    std::string where = " (grid " + std::to_string(gx) + "x" + std::to_string(gy) + "x" + std::to_string(gz)
            + ", block " + std::to_string(bx) + "x" + std::to_string(by) + "x" + std::to_string(bz) + ")";
    if (job.failed.load()) {
        fail_sticky(CUDA_ERROR_LAUNCH_FAILED, "kernel " + kernel + where + " failed: " + job.err);
        return CUDA_SUCCESS;  // as on the hardware, the failure shows at the next call
    }
    // The guard zones of every allocation the kernel was given a pointer into (a kernel reaches memory only
    // through its arguments); scanning every allocation after every launch would cost more than most kernels.
    for (int p = 0; p < f->desc->param_count; p++) {
        if (f->desc->param_sizes[p] != 8) {
            continue;
        }
        uint64_t v;
        memcpy(&v, job.launch.params[p], 8);
        auto it = allocations.upper_bound((uintptr_t) v);
        if (it == allocations.begin()) {
            continue;
        }
        --it;
        std::string what;
        if (v <= it->first + it->second.size && !guards_intact(it->second, it->first, &what)) {
            restore_guards(it->second, it->first);
            fail_sticky(CUDA_ERROR_ILLEGAL_ADDRESS, "kernel " + kernel + where + " " + what);
            break;
        }
    }
    return CUDA_SUCCESS;
}

// ---- the simulator's own calls, for tests (not part of the CUDA API) ----------------------------------------------

// Launches of `kernel` (every kernel when null) since the process started or cudasimResetCounts.
unsigned long long cudasimLaunchCount(const char* kernel) {
    std::lock_guard<std::mutex> g(mu);
    if (kernel == nullptr) {
        unsigned long long n = 0;
        for (auto& e : launch_counts) {
            n += e.second;
        }
        return n;
    }
    auto it = launch_counts.find(kernel);
    return it == launch_counts.end() ? 0 : it->second;
}

// The largest cuMemAlloc request, in bytes, since the process started or cudasimResetCounts.
unsigned long long cudasimLargestAllocation(void) {
    std::lock_guard<std::mutex> g(mu);
    return largest_allocation;
}

void cudasimResetCounts(void) {
    std::lock_guard<std::mutex> g(mu);
    launch_counts.clear();
    largest_allocation = 0;
}
}
