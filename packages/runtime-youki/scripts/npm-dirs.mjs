#!/usr/bin/env node
// The per-platform npm packages (npm/<platform>/), as napi-rs's publish flow makes them, plus the monitor.
//
// `napi create-npm-dirs` writes npm/<platform>/package.json listing only <binaryName>.<platform>.node in
// `files`, and `napi artifacts` copies the .node files there. The addon cannot work without its monitor
// (the loader looks for magikrun-youki-monitor.<platform> beside the .node it loaded), so this script
// then copies each platform's monitor beside its .node (mode 0755) and adds it to `files`:
// `napi pre-publish` validates and publishes the directory with both.
//
// Usage: node scripts/npm-dirs.mjs [--cwd DIR] [--output-dir DIR]
//   --cwd         directory of the package.json holding the `napi` block (default: this package)
//   --output-dir  where the built .node and monitor files are, relative to --cwd (default: ".", where
//                 `pnpm build:native` puts them; CI release jobs pass their downloaded artifacts dir)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const MONITOR = 'magikrun-youki-monitor';
const pkg = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { values } = parseArgs({ options: { cwd: { type: 'string', default: pkg }, 'output-dir': { type: 'string', default: '.' } } });
const cwd = path.resolve(values.cwd);
const outputDir = path.resolve(cwd, values['output-dir']);

const require = createRequire(import.meta.url);
const cliPackage = require.resolve('@napi-rs/cli/package.json');
const napi = path.join(path.dirname(cliPackage), JSON.parse(readFileSync(cliPackage, 'utf8')).bin.napi);
const run = (...args) => execFileSync(process.execPath, [napi, ...args, '--cwd', cwd], { stdio: ['ignore', 'ignore', 'inherit'] });
run('create-npm-dirs');
run('artifacts', '--output-dir', path.relative(cwd, outputDir) || '.');

const npmDir = path.join(cwd, 'npm');
for (const platform of readdirSync(npmDir)) {
  const manifestFile = path.join(npmDir, platform, 'package.json');
  if (!existsSync(manifestFile)) continue;
  const monitor = `${MONITOR}.${platform}`;
  const source = path.join(outputDir, monitor);
  if (!existsSync(source)) {
    console.error(`npm-dirs: ${source} is missing: build it with "pnpm build:native" (or download it with the .node)`);
    process.exit(1);
  }
  const dest = path.join(npmDir, platform, monitor);
  copyFileSync(source, dest);
  chmodSync(dest, 0o755);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  manifest.files = [...new Set([...(manifest.files ?? []), monitor])];
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`npm-dirs: ${path.relative(cwd, path.join(npmDir, platform))}: ${manifest.files.join(', ')}`);
}
