/**
 * Choosing one manifest from an image index for the platform that will run it.
 *
 * The rule (issue "first end-to-end run", item 4): when an index offers both a Linux and a wasm
 * platform, an explicit `platform` decides; without one the caller's `acceptPlatforms` list, most
 * preferred first, decides — by default the host's Linux platform, then `wasip1/wasm`, so a wasm
 * entry is chosen over Linux only when the caller leaves Linux out of the list because no runtime for
 * the host's Linux platform is available (the CLI and RuntimeRegistry build that list).
 *
 * @module image/select-manifest
 */
import { err, ErrorCode } from '../errors.js';
import type { OciPlatform } from '../platform/types.js';
import type { Descriptor, ImageIndex } from './manifest.js';
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES } from './media-types.js';
import {
  defaultAcceptPlatforms,
  formatPlatform,
  parsePlatform,
  platformMatchRank,
  type PlatformSpec,
} from './platform-match.js';

/** How to pick a platform. */
export interface PlatformChoice {
  /**
   * The platform the user asked for (`--platform`). When set it alone decides; an index without it
   * is a `NOT_FOUND` error listing what it offers.
   */
  platform?: PlatformSpec;
  /**
   * The platforms the caller can run, most preferred first.
   * @default [host Linux platform, 'wasip1/wasm'] (see {@link defaultAcceptPlatforms})
   */
  acceptPlatforms?: readonly PlatformSpec[];
}

/** The `os/arch[/variant]` of each entry of an index that describes a runnable image. */
export function offeredPlatforms(index: ImageIndex): string[] {
  return candidates(index).map((d) => (d.platform ? formatPlatform(d.platform) : 'unknown'));
}

/** Entries that are images or nested indexes (not attestations or other artifacts). */
function candidates(index: ImageIndex): Descriptor[] {
  return index.manifests.filter(
    (d) =>
      (MANIFEST_MEDIA_TYPES.has(d.mediaType) || INDEX_MEDIA_TYPES.has(d.mediaType)) &&
      !(d.platform?.os === 'unknown' && d.platform.architecture === 'unknown') &&
      d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
}

/**
 * Pick the manifest to pull from `index`.
 *
 * An entry without a `platform` matches nothing (an index built for one platform should say so).
 *
 * @param context the image reference, for messages.
 * @returns the chosen entry and the platform it matched.
 * @throws MagikrunError `NOT_FOUND` when no entry fits; the message lists the platforms offered and
 *   those wanted. `INVALID_ARGUMENT` for a malformed platform string.
 */
export function selectManifest(index: ImageIndex, choice: PlatformChoice, context: string): { descriptor: Descriptor; platform: OciPlatform } {
  const entries = candidates(index);
  const wanted = choice.platform !== undefined ? [parsePlatform(choice.platform)] : (choice.acceptPlatforms ?? defaultAcceptPlatforms()).map(parsePlatform);
  for (const want of wanted) {
    // The best fit wins (arm/v7 over arm/v6 for linux/arm), the index's order breaks ties.
    let best: { d: Descriptor; rank: number } | undefined;
    for (const d of entries) {
      const rank = d.platform !== undefined ? platformMatchRank(want, d.platform) : undefined;
      if (rank !== undefined && (best === undefined || rank < best.rank)) best = { d, rank };
    }
    if (best) return { descriptor: best.d, platform: best.d.platform! };
  }
  const offered = offeredPlatforms(index);
  const wantedText = wanted.map(formatPlatform).join(', ');
  throw err(
    ErrorCode.NotFound,
    choice.platform !== undefined
      ? `${context} has no image for platform ${wantedText}; it offers ${offered.join(', ') || 'nothing runnable'}. Pick one of those with --platform`
      : `${context} has no image for a platform this host can run (${wantedText}); it offers ${offered.join(', ') || 'nothing runnable'}. Install a runtime for one of those, or pick one with --platform`,
    { reference: context, offered, wanted: wanted.map(formatPlatform) },
  );
}
