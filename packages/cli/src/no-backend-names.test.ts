// The CLI decides from what runtimes declare (capabilities, the registry's selection step), never from
// a runtime's name: its source names no backend outside help text. Backend names come from the
// registry's list of known packages (plus the backends announced next), so a new one is covered too.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CANDIDATES } from '@magikrun/registry';

const srcDir = path.dirname(fileURLToPath(import.meta.url));
/** Calls whose string arguments are help text. */
const HELP_CALLS = new Set(['description', 'summary', 'option', 'requiredOption', 'argument', 'helpOption', 'addHelpText', 'Option', 'Argument']);

function backendPattern(): RegExp {
  const names = new Set<string>(['qemu', 'krun', 'libkrun']);
  for (const c of BUILTIN_CANDIDATES) {
    names.add(c.name);
    names.add(c.exportName);
    names.add(c.packageName.replace(/^@magikrun\//, ''));
  }
  const alternatives = [...names].map((n) => n.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
  return new RegExp(`\\b(${alternatives.join('|')})\\b`, 'i');
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** The text of `file` with the string arguments of help calls blanked out (comments and code stay). */
function withoutHelpText(file: string, text: string): string {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const chars = text.split('');
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
      if (HELP_CALLS.has(name)) {
        for (const arg of node.arguments ?? []) {
          if (ts.isStringLiteralLike(arg) || ts.isTemplateExpression(arg)) for (let i = arg.getStart(sf); i < arg.getEnd(); i++) chars[i] = ' ';
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return chars.join('');
}

describe('the CLI names no backend', () => {
  it('outside help text, in code and comments alike', async () => {
    const pattern = backendPattern();
    const hits: string[] = [];
    const files = await sourceFiles(srcDir);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const lines = withoutHelpText(file, await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        if (pattern.test(line)) hits.push(`${path.relative(srcDir, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('the check sees a name in code and in a comment, and spares help text', () => {
    const pattern = backendPattern();
    const sample = [
      "if (runtime.name === 'youki') {}",
      '// wasmtime keeps modules in this process',
      "program.command('x').description('runs on wasmtime');",
    ].join('\n');
    const left = withoutHelpText('sample.ts', sample).split('\n');
    expect(left.map((l) => pattern.test(l))).toEqual([true, true, false]);
  });
});
