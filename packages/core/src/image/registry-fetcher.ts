/**
 * {@link ImageFetcher} over the distribution API.
 *
 * @module image/registry-fetcher
 */
import type { ImageFetcher, TopDocument } from './fetcher.js';
import type { Descriptor } from './manifest.js';
import type { ImageReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';

/** Reads an image from a registry through `client`. */
export class RegistryFetcher implements ImageFetcher {
  readonly label: string;

  constructor(
    private readonly client: RegistryClient,
    private readonly ref: ImageReference,
    private readonly maxManifestSize: number,
  ) {
    this.label = `image ${ref.canonical}`;
  }

  async top(signal: AbortSignal): Promise<TopDocument> {
    const { ref } = this;
    const m = await this.client.getManifest(ref.repository, ref.digest ?? ref.tag!, this.label, { maxSize: this.maxManifestSize, signal });
    const fromHeader = m.digestHeader?.startsWith('sha256:') ? m.digestHeader : undefined;
    return {
      bytes: m.bytes,
      contentType: m.contentType,
      expectedDigest: ref.digest ?? fromHeader,
      expectedFrom: ref.digest ? 'the reference' : 'the Docker-Content-Digest header',
      expectedSize: undefined,
    };
  }

  async manifest(d: Descriptor, maxSize: number, signal: AbortSignal): Promise<Buffer> {
    const m = await this.client.getManifest(this.ref.repository, d.digest, `manifest ${d.digest} of ${this.label}`, { maxSize, signal });
    return m.bytes;
  }

  async blob(d: Descriptor, signal: AbortSignal) {
    const b = await this.client.getBlob(this.ref.repository, d.digest, `blob ${d.digest} of ${this.label}`, signal, d.urls);
    return b.body;
  }

  async blobAt(d: Descriptor, offset: number, signal: AbortSignal) {
    // A non-distributable layer (foreign urls) is fetched whole, through getBlob.
    if (d.urls && d.urls.length > 0) return { body: await this.blob(d, signal), start: 0 };
    const b = await this.client.getBlobFrom(this.ref.repository, d.digest, `blob ${d.digest} of ${this.label}`, offset, signal);
    return { body: b.body, start: b.start };
  }
}
