package dev.lorakit.models;

/**
 * Keeps DJL on the local machine. DJL downloads a CUDA build of its tokenizers library when it sees
 * a GPU and is not offline, and reports usage to AWS on EC2 unless told not to; lorakit only ever
 * reads local files, so it says so before DJL's first use. Settings the user made (environment or
 * -D) win, because DJL reads the environment first and these are set only where absent.
 */
final class DjlOffline {

  private DjlOffline() {}

  static void ensure() {
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("RUST_FLAVOR", "cpu");
    setIfAbsent("OPT_OUT_TRACKING", "true");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) System.setProperty(key, value);
  }
}
