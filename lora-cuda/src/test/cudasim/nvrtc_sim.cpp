// The simulated NVRTC (libnvrtc.so.13). "Compiling" a CUDA C++ file runs the machine's g++ on it, with
// cudasim_prelude.h in front, into a shared object (a "module"); the CUBIN handed back is a one-line blob naming
// that module, which the simulated driver's cuModuleLoadData opens. Modules are cached by a hash of everything
// that goes into them, so only the first test JVM after a change compiles.
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cudasim_abi.h"
#include "cudasim_files.h"
#include "cudasim_nvrtc.h"

struct _nvrtcProgram {
    std::string source;
    std::string name;
    std::string log;
    std::string image;  // LKSIM_IMAGE_MAGIC line, NUL-terminated
};

namespace {

const char* const kStatusNames[] = {"NVRTC_SUCCESS", "NVRTC_ERROR_OUT_OF_MEMORY",
        "NVRTC_ERROR_PROGRAM_CREATION_FAILURE", "NVRTC_ERROR_INVALID_INPUT", "NVRTC_ERROR_INVALID_PROGRAM",
        "NVRTC_ERROR_INVALID_OPTION", "NVRTC_ERROR_COMPILATION", "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
        "NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION", "NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION",
        "NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID", "NVRTC_ERROR_INTERNAL_ERROR", "NVRTC_ERROR_TIME_FILE_WRITE_FAILED"};

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return q + "'";
}

// Runs a shell command; returns its exit status and appends its output (stdout and stderr) to out.
int run(const std::string& command, std::string* out) {
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    if (p == nullptr) {
        *out += "cudasim: could not run " + command + "\n";
        return -1;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
        out->append(buf, n);
    }
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// `asm[ volatile]("op.a.b %0, %1;" : "=f"(out) : "h"(in), ...)` -> `out = __lksim_asm_op_a_b(in, ...)`: the
// prelude implements the PTX instructions that kernels reach through their helpers.
std::string rewrite_asm(const std::string& src) {
    static const std::regex re(
            R"(\basm\s*(?:volatile\s*)?\(\s*"([a-z0-9_.]+)[^"]*"\s*:\s*"=?\+?[a-z]"\s*\(\s*([A-Za-z_]\w*)\s*\)\s*(?::\s*((?:"[a-z]"\s*\(\s*[^()]*\)\s*,?\s*)*))?\))");
    static const std::regex input(R"("[a-z]"\s*\(\s*([^()]*)\))");
    std::string out;
    auto begin = std::sregex_iterator(src.begin(), src.end(), re);
    size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        const std::smatch& m = *it;
        out += src.substr(last, m.position(0) - last);
        std::string fn = "__lksim_asm_" + m[1].str();
        for (char& c : fn) {
            if (c == '.') {
                c = '_';
            }
        }
        std::string args;
        std::string ins = m[3].str();
        for (auto jt = std::sregex_iterator(ins.begin(), ins.end(), input); jt != std::sregex_iterator(); ++jt) {
            args += (args.empty() ? "" : ", ") + (*jt)[1].str();
        }
        out += m[2].str() + " = " + fn + "(" + args + ")";
        last = m.position(0) + m.length(0);
    }
    out += src.substr(last);
    return out;
}

// `extern __shared__ T name[];` -> `T* const name = (T*) __lksim_dynamic_shared();`
std::string rewrite_dynamic_shared(const std::string& src) {
    static const std::regex re(
            R"(\bextern\s+__shared__\s+(?:__align__\s*\(\s*\d+\s*\)\s*)?([A-Za-z_][\w\s:<>,*]*?)\s+(?:__align__\s*\(\s*\d+\s*\)\s*)?([A-Za-z_]\w*)\s*\[\s*\]\s*;)");
    return std::regex_replace(src, re, "$1* const $2 = ($1*) __lksim_dynamic_shared();");
}

struct Kernel {
    std::string name;
    std::string bounds;
};

size_t skip_space(const std::string& s, size_t i) {
    while (i < s.size() && isspace((unsigned char) s[i])) {
        i++;
    }
    return i;
}

// Balanced (...) starting at s[i] == '('; returns the index past the closing parenthesis.
size_t past_parens(const std::string& s, size_t i) {
    int depth = 0;
    for (; i < s.size(); i++) {
        if (s[i] == '(') {
            depth++;
        } else if (s[i] == ')' && --depth == 0) {
            return i + 1;
        }
    }
    return s.size();
}

// Finds the extern "C" __global__ functions of preprocessed text, blanks out the markers the prelude left in,
// and returns the kernels (each once, declarations and definitions alike).
std::vector<Kernel> take_kernels(std::string* text) {
    static const std::string global = "__lksim_global__";
    static const std::string bounds = "__lksim_launch_bounds__";
    std::vector<Kernel> kernels;
    std::string& s = *text;
    size_t at = 0;
    while ((at = s.find(global, at)) != std::string::npos) {
        s.replace(at, global.size(), std::string(global.size(), ' '));
        size_t before = at;
        while (before > 0 && isspace((unsigned char) s[before - 1])) {
            before--;
        }
        bool extern_c = before >= 10 && s.compare(before - 10, 10, "extern \"C\"") == 0;
        size_t i = at + global.size();
        Kernel k;
        for (;;) {
            i = skip_space(s, i);
            if (s.compare(i, bounds.size(), bounds) == 0) {
                size_t open = skip_space(s, i + bounds.size());
                size_t end = past_parens(s, open);
                std::string args = s.substr(open + 1, end - open - 2);
                size_t comma = args.find(',');  // (max threads[, min blocks])
                k.bounds = comma == std::string::npos ? args : args.substr(0, comma);
                s.replace(i, end - i, std::string(end - i, ' '));
                i = end;
                continue;
            }
            size_t j = i;
            while (j < s.size() && (isalnum((unsigned char) s[j]) || s[j] == '_')) {
                j++;
            }
            std::string word = s.substr(i, j - i);
            i = j;
            if (word == "void" || word == "static" || word == "inline") {
                continue;
            }
            k.name = word;
            break;
        }
        if (extern_c && !k.name.empty()) {
            bool seen = false;
            for (Kernel& e : kernels) {
                if (e.name == k.name) {
                    seen = true;
                    if (e.bounds.empty()) {
                        e.bounds = k.bounds;
                    }
                }
            }
            if (!seen) {
                kernels.push_back(k);
            }
        }
        at = i;
    }
    return kernels;
}

// g++'s "file:line:col: error: text" as NVRTC writes it: "file(line): error: text".
std::string nvrtc_style(const std::string& log) {
    static const std::regex re(R"((^|\n)([^\n:]+):(\d+):\d+: (error|warning|note): )");
    return std::regex_replace(log, re, "$1$2($3): $4: ");
}

std::atomic<unsigned> counter{0};

nvrtcResult compile(nvrtcProgram prog, int num_options, const char* const* options) {
    std::string defines;
    for (int i = 0; i < num_options; i++) {
        std::string o = options[i] == nullptr ? "" : options[i];
        if (o.rfind("-D", 0) == 0 || o.rfind("--define-macro=", 0) == 0) {
            defines += " " + quote("-D" + o.substr(o[1] == 'D' ? 2 : 15));
        } else if (o.rfind("--gpu-architecture=", 0) == 0 || o.rfind("-arch=", 0) == 0 || o.rfind("--std=", 0) == 0
                || o.rfind("-std=", 0) == 0 || o.rfind("-I", 0) == 0 || o.rfind("--include-path=", 0) == 0
                || o == "-default-device" || o == "--device-as-default-execution-space" || o == "-lineinfo"
                || o == "--generate-line-info" || o == "-G" || o == "--device-debug" || o == "--use_fast_math"
                || o == "-use_fast_math" || o.rfind("--fmad=", 0) == 0 || o.rfind("-fmad=", 0) == 0
                || o.rfind("-dopt", 0) == 0 || o.rfind("--dopt", 0) == 0) {
            // Targets and include folders of a real toolkit mean nothing to the simulator.
        } else {
            prog->log = "nvrtc: error: unrecognized option " + o + "\n";
            return NVRTC_ERROR_INVALID_OPTION;
        }
    }
    std::string folder = own_folder_of((void*) &nvrtcVersion);
    std::string include = folder + "/include";
    std::string prelude, abi;
    if (!read_file(include + "/cudasim_prelude.h", &prelude) || !read_file(include + "/cudasim_abi.h", &abi)) {
        prog->log = "cudasim: the prelude is missing from " + include + "\n";
        return NVRTC_ERROR_BUILTIN_OPERATION_FAILURE;
    }
    const char* env_cache = getenv("LORAKIT_CUDASIM_CACHE");
    std::string cache = env_cache != nullptr && *env_cache != 0 ? env_cache : folder + "/cache";
    std::string ignored;
    run("mkdir -p " + quote(cache), &ignored);

    std::string source = rewrite_dynamic_shared(rewrite_asm(prog->source));
    // -march=native: modules are built and run on the same machine, and fmaf becomes one instruction (without
    // contraction elsewhere, the results are those of any x86-64).
    std::string cxx = "g++ -std=c++17 -O2 -march=native -fPIC -ffp-contract=off -fno-strict-aliasing -fvisibility=hidden"
                      " -Wno-unknown-pragmas -Wno-attributes";
    uint64_t h = fnv1a(cxx + defines, 0xcbf29ce484222325ull);
    h = fnv1a(prelude, h);
    h = fnv1a(abi, h);
    h = fnv1a(prog->name, h);
    h = fnv1a(source, h);
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long) h);
    std::string module = cache + "/" + hash + ".so";
    if (access(module.c_str(), R_OK) != 0) {
        std::string tmp = cache + "/" + hash + "." + std::to_string(getpid()) + "." + std::to_string(counter++);
        std::string cu = tmp + ".cu";
        if (!write_file(cu, "#include \"cudasim_prelude.h\"\n#line 1 \"" + prog->name + "\"\n" + source)) {
            prog->log = "cudasim: could not write " + cu + "\n";
            return NVRTC_ERROR_BUILTIN_OPERATION_FAILURE;
        }
        std::string log;
        int rc = run(cxx + defines + " -I" + quote(include) + " -E -x c++ " + quote(cu) + " -o " + quote(tmp + ".ii"),
                &log);
        std::string text;
        if (rc != 0 || !read_file(tmp + ".ii", &text)) {
            unlink(cu.c_str());
            unlink((tmp + ".ii").c_str());
            prog->log = nvrtc_style(log);
            return NVRTC_ERROR_COMPILATION;
        }
        std::vector<Kernel> kernels = take_kernels(&text);
        std::string table = "\n\nextern const lksim_kernel_desc lksim_table[] = {\n";
        for (const Kernel& k : kernels) {
            table += "    lksim::describe<&" + k.name + ">(\"" + k.name + "\", (int) (" + (k.bounds.empty() ? "0" : k.bounds)
                    + ")),\n";
        }
        if (kernels.empty()) {
            table += "    {0, 0, 0, 0, 0, 0},\n";
        }
        table += "};\nextern const int lksim_table_count = " + std::to_string(kernels.size()) + ";\n";
        write_file(tmp + ".ii", text + table);
        rc = run(cxx + " -shared -x c++ " + quote(tmp + ".ii") + " -o " + quote(tmp + ".so"), &log);
        unlink(cu.c_str());
        unlink((tmp + ".ii").c_str());
        if (rc != 0) {
            unlink((tmp + ".so").c_str());
            prog->log = nvrtc_style(log);
            return NVRTC_ERROR_COMPILATION;
        }
        if (rename((tmp + ".so").c_str(), module.c_str()) != 0) {
            prog->log = "cudasim: could not move the module into " + module + "\n";
            return NVRTC_ERROR_BUILTIN_OPERATION_FAILURE;
        }
        prog->log = nvrtc_style(log);
    }
    prog->image = std::string(LKSIM_IMAGE_MAGIC) + hash + " " + lksim_prelude_hash(folder) + " " + module + "\n";
    return NVRTC_SUCCESS;
}

}  // namespace

extern "C" {

const char* nvrtcGetErrorString(nvrtcResult result) {
    int r = (int) result;
    return r >= 0 && r < (int) (sizeof kStatusNames / sizeof kStatusNames[0]) ? kStatusNames[r]
                                                                              : "NVRTC_ERROR unknown";
}

nvrtcResult nvrtcVersion(int* major, int* minor) {
    if (major == nullptr || minor == nullptr) {
        return NVRTC_ERROR_INVALID_INPUT;
    }
    *major = 13;
    *minor = 0;
    return NVRTC_SUCCESS;
}

nvrtcResult nvrtcCreateProgram(nvrtcProgram* prog, const char* src, const char* name, int num_headers,
        const char* const* headers, const char* const* include_names) {
    if (prog == nullptr || src == nullptr || num_headers < 0 || (num_headers > 0 && (headers == nullptr
            || include_names == nullptr))) {
        return NVRTC_ERROR_INVALID_INPUT;
    }
    if (num_headers > 0) {
        return NVRTC_ERROR_INVALID_INPUT;  // lorakit passes none; the simulator does not map in-memory headers
    }
    _nvrtcProgram* p = new _nvrtcProgram();
    p->source = src;
    p->name = name == nullptr ? "default_program" : name;
    *prog = p;
    return NVRTC_SUCCESS;
}

nvrtcResult nvrtcDestroyProgram(nvrtcProgram* prog) {
    if (prog == nullptr || *prog == nullptr) {
        return NVRTC_ERROR_INVALID_PROGRAM;
    }
    delete *prog;
    *prog = nullptr;
    return NVRTC_SUCCESS;
}

nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int num_options, const char* const* options) {
    if (prog == nullptr) {
        return NVRTC_ERROR_INVALID_PROGRAM;
    }
    if (num_options < 0 || (num_options > 0 && options == nullptr)) {
        return NVRTC_ERROR_INVALID_INPUT;
    }
    prog->image.clear();
    return compile(prog, num_options, options);
}

nvrtcResult nvrtcGetCUBINSize(nvrtcProgram prog, size_t* size) {
    if (prog == nullptr) {
        return NVRTC_ERROR_INVALID_PROGRAM;
    }
    if (size == nullptr || prog->image.empty()) {
        return NVRTC_ERROR_INVALID_INPUT;
    }
    *size = prog->image.size() + 1;
    return NVRTC_SUCCESS;
}

nvrtcResult nvrtcGetCUBIN(nvrtcProgram prog, char* cubin) {
    if (prog == nullptr) {
        return NVRTC_ERROR_INVALID_PROGRAM;
    }
    if (cubin == nullptr || prog->image.empty()) {
        return NVRTC_ERROR_INVALID_INPUT;
    }
    memcpy(cubin, prog->image.c_str(), prog->image.size() + 1);
    return NVRTC_SUCCESS;
}

nvrtcResult nvrtcGetPTXSize(nvrtcProgram prog, size_t* size) {
    return nvrtcGetCUBINSize(prog, size);
}

nvrtcResult nvrtcGetPTX(nvrtcProgram prog, char* ptx) {
    return nvrtcGetCUBIN(prog, ptx);
}

nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, size_t* size) {
    if (prog == nullptr) {
        return NVRTC_ERROR_INVALID_PROGRAM;
    }
    if (size == nullptr) {
        return NVRTC_ERROR_INVALID_INPUT;
    }
    *size = prog->log.size() + 1;
    return NVRTC_SUCCESS;
}

nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, char* log) {
    if (prog == nullptr) {
        return NVRTC_ERROR_INVALID_PROGRAM;
    }
    if (log == nullptr) {
        return NVRTC_ERROR_INVALID_INPUT;
    }
    memcpy(log, prog->log.c_str(), prog->log.size() + 1);
    return NVRTC_SUCCESS;
}
}
