/**
 * POSIX signals by name, as the OCI runtime spec's `kill` takes them.
 *
 * @module runtime/signal
 */
import { err, ErrorCode } from '../errors.js';

/** Linux signal numbers (x86_64/arm64 numbering, as runc uses). */
const SIGNAL_NUMBERS = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
  SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22,
  SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29,
  SIGPWR: 30, SIGSYS: 31,
} as const;

/** A signal name such as `'SIGTERM'`. */
export type Signal = keyof typeof SIGNAL_NUMBERS;

/** Signal names in the seed's vocabulary: `Signal.Term`, `Signal.Kill`… */
export const Signal = {
  Hup: 'SIGHUP', Int: 'SIGINT', Quit: 'SIGQUIT', Abrt: 'SIGABRT', Kill: 'SIGKILL', Usr1: 'SIGUSR1',
  Usr2: 'SIGUSR2', Pipe: 'SIGPIPE', Alrm: 'SIGALRM', Term: 'SIGTERM', Chld: 'SIGCHLD', Cont: 'SIGCONT',
  Stop: 'SIGSTOP', Tstp: 'SIGTSTP', Winch: 'SIGWINCH',
} as const satisfies Record<string, Signal>;

/** Signals whose default action is to ignore them (they never end a process that has no handler). */
const IGNORED_BY_DEFAULT: ReadonlySet<Signal> = new Set(['SIGCHLD', 'SIGCONT', 'SIGURG', 'SIGWINCH']);
/** Signals that stop rather than end a process. */
const STOPPING: ReadonlySet<Signal> = new Set(['SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU']);

/** The signal's number (`SIGKILL` → 9). */
export function signalNumber(signal: Signal): number {
  return SIGNAL_NUMBERS[signal];
}

/** The name of a signal number, or undefined when it is not a standard signal. */
export function signalName(n: number): Signal | undefined {
  for (const [name, num] of Object.entries(SIGNAL_NUMBERS)) if (num === n) return name as Signal;
  return undefined;
}

/** The default action of a signal on a process without a handler (signal(7)). */
export function defaultAction(signal: Signal): 'terminate' | 'ignore' | 'stop' {
  if (IGNORED_BY_DEFAULT.has(signal)) return 'ignore';
  if (STOPPING.has(signal)) return 'stop';
  return 'terminate';
}

/**
 * Parse a signal as users write it: `'SIGTERM'`, `'TERM'`, `'term'`, `'15'` or `15`.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for anything else.
 */
export function parseSignal(input: string | number): Signal {
  if (typeof input === 'number' || /^\d+$/.test(input)) {
    const name = signalName(Number(input));
    if (name) return name;
  } else {
    const upper = input.trim().toUpperCase();
    const name = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as Signal;
    if (name in SIGNAL_NUMBERS) return name;
  }
  throw err(ErrorCode.InvalidArgument, `unknown signal ${JSON.stringify(input)}; use a name such as SIGTERM or a number 1-31`, { signal: input });
}
