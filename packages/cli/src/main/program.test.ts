import { describe, expect, it } from 'vitest';
import { commandsFor } from './program.js';

describe('commandsFor (which command modules a command line loads)', () => {
  const all = commandsFor(['--help']);

  it('loads only the command named, wherever the global options are', () => {
    expect(commandsFor(['run', 'img', 'a'])).toEqual(['run']);
    expect(commandsFor(['--root', '/x', 'ps', '-a'])).toEqual(['ps']);
    expect(commandsFor(['--root', 'run', 'ps'])).toEqual(['ps']); // "run" is --root's value here
    expect(commandsFor(['rm', '--help'])).toEqual(['rm']);
  });

  it('loads none for --version alone, and all for help, no command or an unknown one', () => {
    expect(commandsFor(['--version'])).toEqual([]);
    expect(commandsFor(['-V'])).toEqual([]);
    expect(all).toContain('run');
    expect(all.length).toBe(13);
    expect(commandsFor([])).toEqual(all);
    expect(commandsFor(['rn'])).toEqual(all); // commander then suggests the nearest
    expect(commandsFor(['--version', '--help'])).toEqual(all);
  });
});
