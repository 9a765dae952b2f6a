export { Snapshotter, type SnapshotterOptions, type SnapshotMode, type SnapshotImage, type PrepareOptions, type SnapshotList } from './snapshotter.js';
export { chainIds } from './chain-id.js';
export { collectSnapshots, type SnapshotGcOptions, type SnapshotGcReport } from './collect.js';
export { imageChainIds } from './image-chains.js';
export { type CommittedSnapshot, type ActiveSnapshot } from './metadata.js';
export { MAX_MOUNT_OPTIONS_BYTES } from './mount-tool.js';
export { detectOverlay, type OverlaySupport } from './overlay-support.js';
