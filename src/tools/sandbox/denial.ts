/** Messages a command prints when the sandbox (not the command's own logic) stopped it. */
const DENIAL_PATTERNS: RegExp[] = [
  /read-only file system/i,
  /permission denied/i,
  /operation not permitted/i,
  /network is unreachable/i,
  /could not resolve host/i,
  /temporary failure in name resolution/i,
  /name or service not known/i,
  /bwrap:/i,
];

/**
 * A heuristic, as in Codex: a failed command whose output mentions a typical sandbox error was
 * probably stopped by the sandbox, so a retry without it may be offered. Exit code 0 never is.
 */
export function isLikelySandboxDenial(exitCode: number | null, output: string): boolean {
  if (exitCode === 0) return false;
  return DENIAL_PATTERNS.some((re) => re.test(output));
}
