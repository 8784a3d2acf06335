/**
 * CommandError is a failure of a command that the user can act on (no API key, a missing file,
 * an unknown id, flags that go together): it is reported as one line, without a stack.
 */
export class CommandError extends Error {
  override name = "CommandError";

  /** exitCode: 1 for a failed run, 2 for a command line that cannot work, as parse errors. */
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}
