// Small file helpers shared by the simulated driver and NVRTC.
#ifndef LKSIM_FILES_H
#define LKSIM_FILES_H

#include <dlfcn.h>
#include <stdio.h>

#include <fstream>
#include <sstream>
#include <string>

// The folder of the shared object that holds `symbol`; the prelude is in its include/ subfolder.
inline std::string own_folder_of(void* symbol) {
    Dl_info info;
    if (dladdr(symbol, &info) == 0 || info.dli_fname == nullptr) {
        return ".";
    }
    std::string p = info.dli_fname;
    size_t slash = p.rfind('/');
    return slash == std::string::npos ? "." : p.substr(0, slash);
}

inline bool read_file(const std::string& path, std::string* out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
    return true;
}

inline bool write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    return (bool) out;
}

inline uint64_t fnv1a(const std::string& s, uint64_t h) {
    for (unsigned char c : s) {
        h = (h ^ c) * 0x100000001b3ull;
    }
    return h;
}

// Hash of the prelude and ABI headers installed beside the libraries: part of every module's identity.
inline std::string lksim_prelude_hash(const std::string& folder) {
    std::string prelude, abi;
    read_file(folder + "/include/cudasim_prelude.h", &prelude);
    read_file(folder + "/include/cudasim_abi.h", &abi);
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long) fnv1a(abi, fnv1a(prelude, 0xcbf29ce484222325ull)));
    return hash;
}

#endif
