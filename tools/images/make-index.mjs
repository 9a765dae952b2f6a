#!/usr/bin/env node
/**
 * Assemble a multi-platform OCI image index in a layout from images already tagged there.
 *
 *   node tools/images/make-index.mjs LAYOUT INDEX_TAG SRC_TAG [SRC_TAG…]
 *
 * Each entry's platform is read from its image config (os, architecture, variant). Written by hand
 * because no tool installed here assembles an index: umoci builds single-platform images, skopeo 1.9
 * copies indexes (`copy --all`) but cannot create one, and Debian has neither oras nor buildx.
 */
import { pathToFileURL } from 'node:url';
import { findTag, readBlob, writeIndex } from './layout.mjs';

/** Build the index; returns its descriptor. */
export function makeIndex(layout, indexTag, srcTags) {
  const entries = srcTags.map((tag) => {
    const descriptor = findTag(layout, tag);
    const manifest = JSON.parse(readBlob(layout, descriptor.digest).toString('utf8'));
    const config = JSON.parse(readBlob(layout, manifest.config.digest).toString('utf8'));
    const platform = { architecture: config.architecture, os: config.os };
    if (config.variant) platform.variant = config.variant;
    return { descriptor, platform };
  });
  return writeIndex(layout, entries, indexTag);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [layout, indexTag, ...srcTags] = process.argv.slice(2);
  if (!layout || !indexTag || srcTags.length === 0) {
    process.stderr.write('usage: make-index.mjs LAYOUT INDEX_TAG SRC_TAG [SRC_TAG…]\n');
    process.exit(2);
  }
  const d = makeIndex(layout, indexTag, srcTags);
  process.stdout.write(`oci:${layout}:${indexTag} ${d.digest}\n`);
}
