/**
 * The runtime packages the registry knows how to find, in the order it tries them.
 *
 * @module candidates
 */
import type { BundleKind, Capability, OciRuntime, Platform } from '@magikrun/core';

/** One backend the registry can look for. */
export interface RuntimeCandidate {
  /** Name users pass to `get()` and `--runtime`. */
  name: string;
  /** npm package that implements it (an optional peer dependency of @magikrun/registry). */
  packageName: string;
  /** Named export of that package: a class implementing `OciRuntime`. */
  exportName: string;
  /** Bundle kinds it runs. */
  bundleKinds: readonly BundleKind[];
  /** Host capabilities it needs, checked through `Platform.detect()` before the package is loaded. */
  requires: readonly Capability[];
  /** Extra host check (e.g. root), returning why it cannot run, or undefined. */
  check?: (platform: Platform) => string | undefined;
}

/** A loaded runtime class, as the registry sees it. */
export type RuntimeConstructor = new (options?: Record<string, unknown>) => OciRuntime;

/** How a candidate's package is imported; replaceable for tests of the search order. */
export type PackageImporter = (packageName: string) => Promise<Record<string, unknown>>;

/** The backends magikrun ships, most isolated first among those that run the same bundle kind. */
export const BUILTIN_CANDIDATES: readonly RuntimeCandidate[] = [
  {
    name: 'wasmtime',
    packageName: '@magikrun/runtime-wasmtime',
    exportName: 'WasmtimeRuntime',
    bundleKinds: ['wasm'],
    requires: ['webassembly'],
  },
  {
    name: 'youki',
    packageName: '@magikrun/runtime-youki',
    exportName: 'YoukiRuntime',
    bundleKinds: ['oci'],
    requires: ['namespaces', 'cgroups'],
    check: (platform) =>
      platform.os !== 'linux'
        ? `Linux containers need Linux (this host runs ${platform.os})`
        : platform.root
          ? undefined
          : `Linux containers need root (the effective uid is ${platform.uid ?? 'unknown'}; rootless containers are not supported)`,
  },
];
