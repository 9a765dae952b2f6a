/**
 * Layer chain ids (image-spec config.md "Layer ChainID"): the identity of a stack of layers, which keys
 * the snapshots as containerd's snapshotters key theirs.
 *
 *     ChainID(L₀) = DiffID(L₀)
 *     ChainID(L₀|…|Lₙ) = Digest(ChainID(L₀|…|Lₙ₋₁) + " " + DiffID(Lₙ))
 *
 * @module snapshots/chain-id
 */
import { err, ErrorCode } from '../errors.js';
import { parseDigest, sha256Digest } from '../storage/digest.js';

/**
 * The chain id of every prefix of `diffIds` (bottom layer first): `result[i]` identifies layers 0..i.
 *
 * @param diffIds the image config's `rootfs.diff_ids`, in order.
 * @returns one `sha256:<hex>` chain id per layer; `[]` for no layers.
 * @throws MagikrunError `INVALID_ARGUMENT` for a diff_id that is not `sha256:` + 64 lowercase hex
 *   (`UNSUPPORTED` for sha512/blake3), naming its index.
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const [i, diffId] of diffIds.entries()) {
    try {
      parseDigest(diffId);
    } catch (e) {
      const code = (e as { code?: ErrorCode }).code === ErrorCode.Unsupported ? ErrorCode.Unsupported : ErrorCode.InvalidArgument;
      throw err(code, `rootfs.diff_ids[${i}] of the image config is not a digest magikrun can use: ${(e as Error).message}`, { index: i, diffId: String(diffId).slice(0, 200) }, e);
    }
    out.push(i === 0 ? diffId : sha256Digest(`${out[i - 1]} ${diffId}`));
  }
  return out;
}
