package dev.lorakit.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the {@code lorakit-dev} command line in-process and captures what it prints. */
record DevRun(int exitCode, String out, String err) {

  static DevRun of(String... args) {
    CommandLine cl = DevMain.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new DevRun(code, out.toString(), err.toString());
  }
}
