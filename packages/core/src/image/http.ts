/**
 * The one place that loads undici. It is imported on the first request, not when `@magikrun/core`
 * loads: undici takes 100-160 ms to import here, which every command that never reaches a registry
 * (running a pulled image, an OCI layout, `info`) would otherwise pay.
 *
 * @module image/http
 */
import type { Dispatcher } from 'undici';

type RequestFn = typeof import('undici').request;
let loaded: Promise<RequestFn> | undefined;

/** undici's `request`, loaded once on first use. */
export async function httpRequest(...args: Parameters<RequestFn>): Promise<Dispatcher.ResponseData> {
  loaded ??= import('undici').then((m) => m.request);
  return (await loaded)(...args) as Promise<Dispatcher.ResponseData>;
}
