/**
 * The {@code lorakit} command (picocli): {@link dev.lorakit.cli.Main} and {@code Cli} are the entry
 * points, one class per command ({@code demo}, {@code train}, {@code eval}, {@code generate},
 * {@code merge}, {@code synth}, {@code score}, {@code stats}, ...). A command parses options, turns
 * them into library calls and prints; the work is in the library modules. A user-caused problem is
 * one sentence on stderr and exit status 2; exit status 1 is a bug, shown with its stack trace.
 */
package dev.lorakit.cli;
