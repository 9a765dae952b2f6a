import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BindingEngine } from '../binding/types.js';
import { pumpFromReadable } from './streams.js';

/**
 * The pump's ordering logic against a stand-in for the binding's stdin pipe whose writes take a while
 * (as a napi call on the thread pool does): the real pipe is exercised in runtime.test.ts.
 */
function slowPipe(writeMs: number): { engine: BindingEngine; received: Buffer[]; events: string[] } {
  const received: Buffer[] = [];
  const events: string[] = [];
  let closed = false;
  const engine = {
    writeStdin: async (_h: number, chunk: Buffer) => {
      await new Promise((r) => setTimeout(r, writeMs));
      if (closed) {
        events.push('write after close');
        return false;
      }
      received.push(chunk);
      return true;
    },
    closeStdin: async () => {
      closed = true;
      events.push('close');
    },
  } as unknown as BindingEngine;
  return { engine, received, events };
}

describe('pumpFromReadable', () => {
  it('a source that ends while its last chunk is still being written: the chunk arrives, then stdin closes', async () => {
    const { engine, received, events } = slowPipe(20);
    const chunks = [Buffer.from('one'), Buffer.from('two'), Buffer.from('three')];
    await pumpFromReadable(engine, 1, Readable.from(chunks), new Promise(() => {}));
    expect(Buffer.concat(received).toString()).toBe('onetwothree');
    expect(events).toEqual(['close']);
  });

  it('the module ends first: the pump stops at once and leaves the source paused, unread', async () => {
    const { engine, events } = slowPipe(1);
    const source = new Readable({ read() {} });
    source.push('early');
    let ended!: () => void;
    const moduleEnded = new Promise<void>((r) => (ended = r));
    const pump = pumpFromReadable(engine, 1, source, moduleEnded);
    await new Promise((r) => setTimeout(r, 20));
    ended();
    await pump;
    expect(events).toEqual(['close']);
    expect(source.isPaused()).toBe(true);
    expect(source.destroyed).toBe(false);
  });
});
