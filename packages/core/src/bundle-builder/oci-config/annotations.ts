/**
 * Annotations of a container from its image, per the image-spec's "Conversion to OCI Runtime
 * Configuration" (conversion.md), as `umoci unpack` writes them: each label as it is, then
 * `org.opencontainers.image.{os,architecture,variant,author,created,stopSignal}` (these win over a
 * label of the same name, which the spec says implementations may ignore), then magikrun's own
 * `io.magikrun.image.reference` / `.digest`, then the caller's annotations (which win over all).
 *
 * @module bundle-builder/oci-config/annotations
 */
import { err, ErrorCode } from '../../errors.js';
import type { PulledImage } from '../../image/types.js';

/** image-spec annotation of the image config's `StopSignal` (conversion.md). */
export const STOP_SIGNAL_ANNOTATION = 'org.opencontainers.image.stopSignal';

/**
 * The container's annotations.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a caller annotation with an empty key or a value that
 *   is not a string.
 */
export function annotationsFor(image: Pick<PulledImage, 'reference' | 'digest' | 'platform' | 'config'>, user: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = { ...(image.config.config.Labels ?? {}) };
  const raw = image.config.raw;
  const set = (key: string, value: unknown) => {
    if (typeof value === 'string' && value !== '') out[key] = value;
  };
  set('org.opencontainers.image.os', image.platform.os);
  set('org.opencontainers.image.architecture', image.platform.architecture);
  set('org.opencontainers.image.variant', image.platform.variant);
  set('org.opencontainers.image.author', raw['author']);
  set('org.opencontainers.image.created', raw['created']);
  set(STOP_SIGNAL_ANNOTATION, image.config.config.StopSignal);
  out['io.magikrun.image.reference'] = image.reference;
  out['io.magikrun.image.digest'] = image.digest;
  for (const [k, v] of Object.entries(user ?? {})) {
    if (k === '' || typeof v !== 'string' || k.includes('\0') || v.includes('\0')) {
      throw err(ErrorCode.InvalidArgument, `annotation ${JSON.stringify(k)} is not valid: keys must be non-empty and values strings`, { annotation: k });
    }
    out[k] = v;
  }
  return out;
}
