/**
 * The bundle's `stopSignal` from the image config's `StopSignal`.
 *
 * @module bundle-builder/stop-signal
 */
import type { PulledImage } from '../image/types.js';
import { parseSignal, type Signal } from '../runtime/signal.js';

/**
 * The image's stop signal, or undefined when it has none or names one magikrun cannot send (such as
 * systemd's `SIGRTMIN+3`): then `onWarning` hears about it and `stop` falls back to SIGTERM.
 */
export function imageStopSignal(image: Pick<PulledImage, 'config'>, onWarning?: (message: string) => void): Signal | undefined {
  const s = image.config.config.StopSignal;
  if (!s) return undefined;
  try {
    return parseSignal(s);
  } catch {
    onWarning?.(`the image's stop signal ${s} is not one magikrun can send; stop will use SIGTERM`);
    return undefined;
  }
}
