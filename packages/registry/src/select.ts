/**
 * The one selection step: which bundle kind and which runtime run a workload, decided from each
 * runtime's declared capabilities (never its name), with the reason every other candidate was refused.
 * Used by the CLI's `run`, exported for library users and the runc-compatible mode.
 *
 * @module select
 */
import { err, ErrorCode, type BundleKind, type LimitName, type NetworkModeKind, type OciRuntime } from '@magikrun/core';

/** What a workload needs from its runtime, beyond the bundle kind. */
export interface RuntimeNeeds {
  /** Limits that must be enforced. */
  limits?: readonly LimitName[];
  /** Its stdin is connected. */
  stdin?: boolean;
  /** It runs detached (output to logs, outliving the creator). */
  detach?: boolean;
  /** Its container must outlive the creating process (kept after it stops, seen by any process): `scope: 'host'`. */
  outlive?: boolean;
  /** A user chosen for its process. */
  user?: boolean;
  /** A hostname chosen for it. */
  hostname?: boolean;
  /** A network mode chosen for it. */
  network?: NetworkModeKind;
}

/** What to choose among. */
export interface SelectionRequest {
  /**
   * The bundle kinds the workload can run as, preferred first: `['oci', 'wasm']` for a Linux image
   * that may also hold a WebAssembly entrypoint (runwasi's rule), `['wasm']` for a wasm image.
   */
  kinds: readonly BundleKind[];
  /** Consider only the runtime of this name (`--runtime`). */
  runtime?: string;
  needs?: RuntimeNeeds;
}

/** A runtime that was not chosen, and why. */
export interface RefusedRuntime {
  name: string;
  /** The kind it was considered for, when it runs one of the requested kinds. */
  kind?: BundleKind;
  /** `unavailable` (not installed or unusable here), `kind` (runs none of the kinds), `needs` (lacks a capability). */
  why: 'unavailable' | 'kind' | 'needs';
  /** For `needs`: what it lacks. */
  missing?: MissingCapability[];
  reason: string;
}

/** The chosen runtime and kind, and every candidate refused before it. */
export interface Selection {
  runtime: OciRuntime;
  kind: BundleKind;
  refused: RefusedRuntime[];
}

/** A runtime the registry could not load, as the selection sees it. */
export interface UnavailableCandidate {
  name: string;
  bundleKinds: readonly BundleKind[];
  reason: string;
}

/** One need a runtime lacks: which (`limits` with the limit named), and a phrase to show after the runtime's name. */
export interface MissingCapability {
  need: keyof RuntimeNeeds;
  limit?: LimitName;
  phrase: string;
}

/** The needs of `needs` that `runtime` lacks, in the order of {@link RuntimeNeeds}. */
export function missingCapabilities(runtime: OciRuntime, needs: RuntimeNeeds = {}): MissingCapability[] {
  const c = runtime.capabilities;
  const missing: MissingCapability[] = [];
  for (const limit of needs.limits ?? []) if (!c.limits.includes(limit)) missing.push({ need: 'limits', limit, phrase: `cannot enforce ${limit}` });
  if (needs.stdin && !c.stdin) missing.push({ need: 'stdin', phrase: 'cannot connect stdin' });
  if (needs.detach && !c.detach) missing.push({ need: 'detach', phrase: 'cannot detach' });
  if (needs.outlive && c.scope !== 'host') missing.push({ need: 'outlive', phrase: 'keeps its containers inside the creating process' });
  if (needs.user && !c.process.user) missing.push({ need: 'user', phrase: 'cannot choose a user' });
  if (needs.hostname && !c.process.hostname) missing.push({ need: 'hostname', phrase: 'cannot set a hostname' });
  if (needs.network !== undefined && !c.networkModes.includes(needs.network)) missing.push({ need: 'network', phrase: `offers no network mode ${needs.network}` });
  return missing;
}

/**
 * Choose: for each kind in order, the first available runtime (in search order) that runs it and has
 * every need.
 *
 * @throws MagikrunError `UNSUPPORTED` when runtimes for a kind exist but each lacks a need (or `runtime`
 *   runs none of the kinds); `UNAVAILABLE` when none for any kind is installed and usable here; `NOT_FOUND`
 *   for a `runtime` name nobody knows. The message lists every refusal; `details.refused` holds them.
 */
export function selectRuntime(available: readonly OciRuntime[], unavailable: readonly UnavailableCandidate[], request: SelectionRequest): Selection {
  const refused: RefusedRuntime[] = [];
  const named = request.runtime;
  if (named !== undefined && !available.some((r) => r.name === named)) {
    const u = unavailable.find((x) => x.name === named);
    if (u) throw err(ErrorCode.Unavailable, `runtime "${named}" is not available: ${u.reason}`, { runtime: named, reason: u.reason });
    throw err(ErrorCode.NotFound, `no runtime called "${named}"; known: ${[...available.map((r) => r.name), ...unavailable.map((x) => x.name)].join(', ') || 'none'}`, { runtime: named });
  }
  const considered = available.filter((r) => named === undefined || r.name === named);
  for (const kind of request.kinds) {
    for (const runtime of considered) {
      if (!runtime.capabilities.bundleKinds.includes(kind)) continue;
      const missing = missingCapabilities(runtime, request.needs);
      if (missing.length === 0) return { runtime, kind, refused };
      refused.push({ name: runtime.name, kind, why: 'needs', missing, reason: `${runtime.name} ${missing.map((m) => m.phrase).join(', ')}` });
    }
    if (named === undefined) {
      for (const u of unavailable) if (u.bundleKinds.includes(kind)) refused.push({ name: u.name, kind, why: 'unavailable', reason: `${u.name}: ${u.reason}` });
    }
  }
  const what = request.kinds.join(' or ');
  if (named !== undefined && !refused.some((r) => r.name === named)) {
    const rt = considered[0]!;
    refused.push({ name: named, why: 'kind', reason: `${named} runs ${rt.capabilities.bundleKinds.join(', ')} bundles, not ${what}` });
    throw err(ErrorCode.Unsupported, `runtime ${named} runs ${rt.capabilities.bundleKinds.join(', ')} bundles, and this workload needs ${what}; choose another runtime, or none by name`, { runtime: named, kinds: request.kinds, refused });
  }
  const code = refused.some((r) => r.why === 'needs') ? ErrorCode.Unsupported : ErrorCode.Unavailable;
  const lead = code === ErrorCode.Unsupported ? `no runtime for ${what} bundles can run this workload` : `no runtime for ${what} bundles is installed and usable on this host`;
  throw err(code, `${lead}${refused.length > 0 ? `: ${refused.map((r) => r.reason).join('; ')}` : ''}`, { kinds: request.kinds, refused });
}
