// Stands in for libnvrtc-builtins.so.<major>.<minor>, which NVRTC loads at its first compilation; lorakit
// preloads it from the folder it found NVRTC in, so the simulator provides one with nothing in it.
extern "C" int lksim_nvrtc_builtins(void) {
    return 0;
}
