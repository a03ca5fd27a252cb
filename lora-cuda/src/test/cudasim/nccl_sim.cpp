// The simulated NCCL (libnccl.so.2): the communicator calls lora-cuda makes, for ranks that are threads of one
// process or processes of one machine alike. The ranks of a communicator meet in a POSIX shared-memory segment named
// after the unique id; each collective goes through it in chunks: every rank copies its chunk in, waits for the
// others, computes the whole result itself and waits again before the next chunk may overwrite the slots.
//
// The sum is taken in rank order, ((x0 + x1) + x2) + ..., rounding to the data type after every addition (as a
// ring's hops do), so every rank gets the same bits and a run is reproducible. The ranks must call the same
// collectives in the same order with the same count, type and operation; a rank that does not gets
// ncclInvalidUsage, and ncclGetLastError says which call differed. Device pointers are host addresses under the
// simulated driver, so buffers are read and written directly; the stream is ignored (simulated streams are
// synchronous). Inside ncclGroupStart/End the collectives are queued and run at the end, in order, which is right for
// lora-cuda's one thread per rank (a single thread driving several ranks would wait forever, so it is refused).
//
// Environment: LORAKIT_CUDASIM_NCCL_TIMEOUT (seconds a rank waits for the others before failing with
// ncclSystemError; default 120), so a test whose ranks go out of step fails instead of hanging.
#include "cudasim_nccl.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr char kMagic[8] = {'l', 'k', 's', 'i', 'm', 'n', 'c', 'l'};
constexpr int kMaxRanks = 64;
constexpr size_t kChunk = 1 << 20;  // bytes per rank and round

struct Op {
    uint64_t count;
    int32_t type;
    int32_t op;  // the reduction, or -1 - root for a broadcast
};

// The segment: this header, then one chunk slot per rank.
struct Shared {
    std::atomic<int> ready;
    int nranks;
    std::atomic<int> joined;
    std::atomic<int> aborted;
    std::atomic<uint32_t> arrived;
    std::atomic<uint32_t> generation;
    Op ops[kMaxRanks];
};

}  // namespace

struct ncclComm {
    Shared* shared;
    size_t bytes;
    int rank;
    int nranks;
    std::string last_error;
};

namespace {

thread_local std::string thread_error;  // for calls that have no communicator yet
thread_local int group_depth = 0;
thread_local std::vector<std::function<ncclResult_t()>> group_queue;
thread_local ncclComm* group_comm = nullptr;

size_t segment_bytes(int nranks) {
    return (sizeof(Shared) + 255) / 256 * 256 + (size_t) nranks * kChunk;
}

char* slot(ncclComm* c, int rank) {
    return (char*) c->shared + (sizeof(Shared) + 255) / 256 * 256 + (size_t) rank * kChunk;
}

double timeout_seconds() {
    const char* s = getenv("LORAKIT_CUDASIM_NCCL_TIMEOUT");
    return s != nullptr && atof(s) > 0 ? atof(s) : 120.0;
}

std::string segment_name(const ncclUniqueId& id) {
    static const char* hex = "0123456789abcdef";
    std::string name = "/lorakit-nccl-";
    for (int i = 8; i < 24; i++) {
        unsigned char b = (unsigned char) id.internal[i];
        name += hex[b >> 4];
        name += hex[b & 15];
    }
    return name;
}

ncclResult_t fail(ncclComm* c, ncclResult_t code, const std::string& what) {
    (c != nullptr ? c->last_error : thread_error) = what;
    return code;
}

// Waits until `done` holds, the communicator is aborted, or the time runs out.
template <typename Done>
ncclResult_t wait_for(ncclComm* c, Shared* s, Done done, const char* what) {
    auto start = std::chrono::steady_clock::now();
    double limit = timeout_seconds();
    for (int spins = 0; !done(); spins++) {
        if (s->aborted.load()) {
            return fail(c, ncclRemoteError, "another rank aborted the communicator");
        }
        if (spins < 64) {
            std::this_thread::yield();
            continue;
        }
        struct timespec pause = {0, 50000};
        nanosleep(&pause, nullptr);
        if ((spins & 1023) == 0
                && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > limit) {
            return fail(c, ncclSystemError, std::string("waited ") + std::to_string((int) limit) + " s for the other "
                    "ranks to " + what + "; a rank is missing or out of step (LORAKIT_CUDASIM_NCCL_TIMEOUT)");
        }
    }
    return ncclSuccess;
}

ncclResult_t barrier(ncclComm* c, const char* what) {
    Shared* s = c->shared;
    uint32_t gen = s->generation.load();
    if (s->arrived.fetch_add(1) + 1 == (uint32_t) c->nranks) {
        s->arrived.store(0);
        s->generation.fetch_add(1);
        return ncclSuccess;
    }
    return wait_for(c, s, [&] { return s->generation.load() != gen; }, what);
}

size_t type_bytes(int type) {
    switch (type) {
        case ncclInt8: case ncclUint8: return 1;
        case ncclFloat16: case ncclBfloat16: return 2;
        case ncclInt32: case ncclUint32: case ncclFloat32: return 4;
        case ncclInt64: case ncclUint64: case ncclFloat64: return 8;
        default: return 0;
    }
}

float bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t) h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t float_to_bf16(float f) {  // round to nearest even, NaN kept a NaN
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if ((bits & 0x7fffffff) > 0x7f800000) {
        return (uint16_t) ((bits >> 16) | 0x40);
    }
    bits += 0x7fff + ((bits >> 16) & 1);
    return (uint16_t) (bits >> 16);
}

// out[i] = ((slot0[i] + slot1[i]) + ...) for n elements of `type`.
void sum_in_rank_order(ncclComm* c, int type, size_t offset, size_t n, char* out) {
    for (size_t i = 0; i < n; i++) {
        size_t at = offset + i * type_bytes(type);
        switch (type) {
            case ncclFloat32: {
                float acc;
                memcpy(&acc, slot(c, 0) + at, 4);
                for (int r = 1; r < c->nranks; r++) {
                    float v;
                    memcpy(&v, slot(c, r) + at, 4);
                    acc = acc + v;
                }
                memcpy(out + i * 4, &acc, 4);
                break;
            }
            case ncclFloat64: {
                double acc;
                memcpy(&acc, slot(c, 0) + at, 8);
                for (int r = 1; r < c->nranks; r++) {
                    double v;
                    memcpy(&v, slot(c, r) + at, 8);
                    acc = acc + v;
                }
                memcpy(out + i * 8, &acc, 8);
                break;
            }
            case ncclBfloat16: {
                uint16_t acc;
                memcpy(&acc, slot(c, 0) + at, 2);
                for (int r = 1; r < c->nranks; r++) {
                    uint16_t v;
                    memcpy(&v, slot(c, r) + at, 2);
                    acc = float_to_bf16(bf16_to_float(acc) + bf16_to_float(v));
                }
                memcpy(out + i * 2, &acc, 2);
                break;
            }
            case ncclInt32: {
                int32_t acc;
                memcpy(&acc, slot(c, 0) + at, 4);
                for (int r = 1; r < c->nranks; r++) {
                    int32_t v;
                    memcpy(&v, slot(c, r) + at, 4);
                    acc = (int32_t) ((uint32_t) acc + (uint32_t) v);
                }
                memcpy(out + i * 4, &acc, 4);
                break;
            }
        }
    }
}

// Checks that every rank called the same collective as rank 0; every rank sees the same answer.
ncclResult_t same_call(ncclComm* c, const char* name) {
    const Op& first = c->shared->ops[0];
    for (int r = 1; r < c->nranks; r++) {
        const Op& other = c->shared->ops[r];
        if (other.count != first.count || other.type != first.type || other.op != first.op) {
            return fail(c, ncclInvalidUsage, std::string(name) + ": rank " + std::to_string(r) + " called it with "
                    + std::to_string(other.count) + " elements of type " + std::to_string(other.type)
                    + " and operation " + std::to_string(other.op) + ", rank 0 with " + std::to_string(first.count)
                    + " of type " + std::to_string(first.type) + " and operation " + std::to_string(first.op));
        }
    }
    return ncclSuccess;
}

// One collective: `root` < 0 is a sum over all ranks, otherwise a broadcast from `root`.
ncclResult_t collective(const char* name, const void* send, void* recv, size_t count, int type, int op, int root,
        ncclComm* c) {
    size_t width = type_bytes(type);
    Op call{count, type, root < 0 ? op : -1 - root};
    c->shared->ops[c->rank] = call;
    ncclResult_t rc = barrier(c, name);
    if (rc == ncclSuccess) {
        rc = same_call(c, name);
    }
    if (rc == ncclSuccess) {
        rc = barrier(c, name);  // every rank has checked before the descriptors may change
    }
    size_t per_round = kChunk / width * width;
    for (size_t done = 0; rc == ncclSuccess && done < count * width; done += per_round) {
        size_t n = std::min(per_round, count * width - done);
        if (root < 0 || root == c->rank) {
            memcpy(slot(c, c->rank), (const char*) send + done, n);
        }
        rc = barrier(c, name);
        if (rc != ncclSuccess) {
            break;
        }
        if (root < 0) {
            sum_in_rank_order(c, type, 0, n / width, (char*) recv + done);
        } else {
            memmove((char*) recv + done, slot(c, root), n);
        }
        rc = barrier(c, name);
    }
    return rc;
}

ncclResult_t check_comm(ncclComm* c) {
    if (c == nullptr) {
        return fail(nullptr, ncclInvalidArgument, "the communicator is NULL");
    }
    if (c->shared->aborted.load()) {
        return fail(c, ncclRemoteError, "the communicator was aborted");
    }
    return ncclSuccess;
}

ncclResult_t enqueue(ncclComm* c, std::function<ncclResult_t()> call) {
    if (group_depth == 0) {
        return call();
    }
    if (group_comm != nullptr && group_comm != c) {
        return fail(c, ncclInvalidUsage, "the simulator runs one rank per thread; this group names two communicators");
    }
    group_comm = c;
    group_queue.push_back(std::move(call));
    return ncclSuccess;
}

}  // namespace

extern "C" {

ncclResult_t ncclGetVersion(int* version) {
    if (version == nullptr) {
        return fail(nullptr, ncclInvalidArgument, "version is NULL");
    }
    *version = 22703;  // 2.27.3, NCCL_VERSION_CODE's spelling
    return ncclSuccess;
}

ncclResult_t ncclGetUniqueId(ncclUniqueId* id) {
    if (id == nullptr) {
        return fail(nullptr, ncclInvalidArgument, "uniqueId is NULL");
    }
    memset(id->internal, 0, NCCL_UNIQUE_ID_BYTES);
    memcpy(id->internal, kMagic, 8);
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, id->internal + 8, 16) != 16) {
        if (fd >= 0) close(fd);
        return fail(nullptr, ncclSystemError, "could not read /dev/urandom for a unique id");
    }
    close(fd);
    return ncclSuccess;
}

ncclResult_t ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId id, int rank) {
    if (comm == nullptr) {
        return fail(nullptr, ncclInvalidArgument, "comm is NULL");
    }
    if (nranks < 1 || nranks > kMaxRanks || rank < 0 || rank >= nranks) {
        return fail(nullptr, ncclInvalidArgument, "rank " + std::to_string(rank) + " of " + std::to_string(nranks)
                + " is out of range (the simulator takes 1 to " + std::to_string(kMaxRanks) + " ranks)");
    }
    if (memcmp(id.internal, kMagic, 8) != 0) {
        return fail(nullptr, ncclInvalidArgument, "the unique id was not made by ncclGetUniqueId");
    }
    std::string name = segment_name(id);
    size_t bytes = segment_bytes(nranks);
    bool creator = false;
    int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd >= 0) {
        creator = true;
        if (ftruncate(fd, (off_t) bytes) != 0) {
            close(fd);
            shm_unlink(name.c_str());
            return fail(nullptr, ncclSystemError, "could not size the shared-memory segment " + name);
        }
    } else {
        auto start = std::chrono::steady_clock::now();
        struct stat st {};
        while ((fd = shm_open(name.c_str(), O_RDWR, 0600)) < 0 || fstat(fd, &st) != 0 || (size_t) st.st_size < bytes) {
            if (fd >= 0) close(fd);
            if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > timeout_seconds()) {
                return fail(nullptr, ncclSystemError, "no rank created the communicator " + name + " in time");
            }
            usleep(200);
        }
    }
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        return fail(nullptr, ncclSystemError, "could not map the shared-memory segment " + name);
    }
    Shared* s = (Shared*) p;
    if (creator) {
        s->nranks = nranks;
        s->joined.store(0);
        s->aborted.store(0);
        s->arrived.store(0);
        s->generation.store(0);
        s->ready.store(1);
    }
    ncclComm* c = new ncclComm{s, bytes, rank, nranks, {}};
    ncclResult_t rc = wait_for(c, s, [&] { return s->ready.load() == 1; }, "create the communicator");
    if (rc == ncclSuccess && s->nranks != nranks) {
        rc = fail(c, ncclInvalidUsage, "rank " + std::to_string(rank) + " says " + std::to_string(nranks)
                + " ranks, the communicator has " + std::to_string(s->nranks));
    }
    if (rc == ncclSuccess) {
        s->joined.fetch_add(1);
        rc = wait_for(c, s, [&] { return s->joined.load() >= nranks; }, "join the communicator");
    }
    if (rc == ncclSuccess) {
        rc = barrier(c, "join the communicator");
    }
    if (rc != ncclSuccess) {
        thread_error = c->last_error;
        munmap(p, bytes);
        delete c;
        return rc;
    }
    if (rank == 0) {
        shm_unlink(name.c_str());  // everyone has it mapped; nothing is left behind however the ranks end
    }
    *comm = c;
    return ncclSuccess;
}

ncclResult_t ncclCommDestroy(ncclComm_t comm) {
    if (comm == nullptr) {
        return ncclSuccess;
    }
    munmap(comm->shared, comm->bytes);
    delete comm;
    return ncclSuccess;
}

// Marks the communicator aborted, so that every rank waiting in or entering a call on it returns ncclRemoteError.
// The mapping stays until the process ends: another thread may still be inside a call on it.
ncclResult_t ncclCommAbort(ncclComm_t comm) {
    if (comm != nullptr) {
        comm->shared->aborted.store(1);
    }
    return ncclSuccess;
}

ncclResult_t ncclCommCount(const ncclComm_t comm, int* count) {
    if (comm == nullptr || count == nullptr) {
        return fail(comm, ncclInvalidArgument, "comm or count is NULL");
    }
    *count = comm->nranks;
    return ncclSuccess;
}

ncclResult_t ncclCommUserRank(const ncclComm_t comm, int* rank) {
    if (comm == nullptr || rank == nullptr) {
        return fail(comm, ncclInvalidArgument, "comm or rank is NULL");
    }
    *rank = comm->rank;
    return ncclSuccess;
}

ncclResult_t ncclAllReduce(const void* send, void* recv, size_t count, ncclDataType_t type, ncclRedOp_t op,
        ncclComm_t comm, cudaStream_t) {
    ncclResult_t rc = check_comm(comm);
    if (rc != ncclSuccess) {
        return rc;
    }
    if (type != ncclFloat32 && type != ncclFloat64 && type != ncclBfloat16 && type != ncclInt32) {
        return fail(comm, ncclInvalidArgument, "ncclAllReduce: the simulator sums float32, float64, bfloat16 and "
                "int32, not type " + std::to_string(type));
    }
    if (op != ncclSum) {
        return fail(comm, ncclInvalidArgument, "ncclAllReduce: the simulator has only ncclSum, not " + std::to_string(op));
    }
    if (count > 0 && (send == nullptr || recv == nullptr)) {
        return fail(comm, ncclInvalidArgument, "ncclAllReduce: a buffer is NULL");
    }
    return enqueue(comm, [=] { return collective("ncclAllReduce", send, recv, count, type, op, -1, comm); });
}

ncclResult_t ncclBroadcast(const void* send, void* recv, size_t count, ncclDataType_t type, int root,
        ncclComm_t comm, cudaStream_t) {
    ncclResult_t rc = check_comm(comm);
    if (rc != ncclSuccess) {
        return rc;
    }
    if (type_bytes(type) == 0) {
        return fail(comm, ncclInvalidArgument, "ncclBroadcast: unknown type " + std::to_string(type));
    }
    if (root < 0 || root >= comm->nranks) {
        return fail(comm, ncclInvalidArgument, "ncclBroadcast: root " + std::to_string(root) + " is not a rank");
    }
    if (count > 0 && (recv == nullptr || (root == comm->rank && send == nullptr))) {
        return fail(comm, ncclInvalidArgument, "ncclBroadcast: a buffer is NULL");
    }
    return enqueue(comm, [=] { return collective("ncclBroadcast", send, recv, count, type, 0, root, comm); });
}

ncclResult_t ncclGroupStart(void) {
    group_depth++;
    return ncclSuccess;
}

ncclResult_t ncclGroupEnd(void) {
    if (group_depth == 0) {
        return fail(nullptr, ncclInvalidUsage, "ncclGroupEnd without ncclGroupStart");
    }
    if (--group_depth > 0) {
        return ncclSuccess;
    }
    std::vector<std::function<ncclResult_t()>> calls;
    calls.swap(group_queue);
    group_comm = nullptr;
    ncclResult_t first = ncclSuccess;
    for (auto& call : calls) {
        ncclResult_t rc = call();
        if (rc != ncclSuccess && first == ncclSuccess) {
            first = rc;
        }
    }
    return first;
}

const char* ncclGetErrorString(ncclResult_t result) {
    switch (result) {
        case ncclSuccess: return "no error";
        case ncclUnhandledCudaError: return "unhandled cuda error (run with NCCL_DEBUG=INFO for details)";
        case ncclSystemError: return "unhandled system error (run with NCCL_DEBUG=INFO for details)";
        case ncclInternalError: return "internal error - please report this issue to the NCCL developers";
        case ncclInvalidArgument: return "invalid argument (run with NCCL_DEBUG=WARN for details)";
        case ncclInvalidUsage: return "invalid usage (run with NCCL_DEBUG=WARN for details)";
        case ncclRemoteError: return "remote process exited or there was a network error";
        case ncclInProgress: return "NCCL operation in progress";
        default: return "unknown result code";
    }
}

const char* ncclGetLastError(ncclComm_t comm) {
    return comm != nullptr && !comm->last_error.empty() ? comm->last_error.c_str() : thread_error.c_str();
}
}
