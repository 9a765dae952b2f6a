/**
 * napi-rs's platform suffix, the part of a native binding's file and package name that says which
 * platform it was built for.
 *
 * @module native/platform-suffix
 */

/**
 * The platform suffix napi-rs gives binaries and platform packages: `linux-x64-gnu`,
 * `linux-x64-musl`, `linux-arm64-gnu`, `darwin-arm64`, `win32-x64-msvc`…
 *
 * Follows the loader napi-rs generates (`@napi-rs/cli`, `index.js` of a napi project): on Linux the C
 * library is glibc (`gnu`) when `process.report` has a `glibcVersionRuntime` header, musl otherwise;
 * Windows binaries are `msvc`; other platforms carry no ABI part.
 *
 * @param platform Node's platform name. @default process.platform
 * @param arch Node's CPU architecture name. @default process.arch
 * @returns `<platform>-<arch>[-<abi>]`. Throws nothing.
 */
export function platformSuffix(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  if (platform === 'linux') {
    const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
    return `linux-${arch}-${report?.header?.glibcVersionRuntime !== undefined ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}
