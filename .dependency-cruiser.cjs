/**
 * Import rules for the packages' sources, checked by `pnpm lint:deps` (part of `pnpm test`, so CI fails
 * on a violation): no import cycle between modules, and each package's folders form layers — a folder
 * imports only folders of lower layers (never upward, never in a circle).
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */

/**
 * `@magikrun/core`, lowest first. `errors.ts` and `constants.ts` at the root are the base every folder
 * may use; `index.ts` (the barrel) is imported by no module of the package.
 */
const CORE_LAYERS = [
  ['runtime', 'platform', 'storage', 'native'], // contracts; host facts; the content store
  ['image'], // distribution client, references, the local image index
  ['rootfs'], // the layer applier: tar, decompression, whiteouts, paths resolved inside the root
  ['snapshots'], // unpacked layer chains and their mounts
  ['bundle-builder', 'gc'], // bundles from images; garbage collection over store, images and snapshots
  ['testing'], // conformance suites
];

/** `@magikrun/cli`, lowest first: the helpers at `src/` root, then the commands, then the entry point. */
const CLI_LAYERS = [['commands'], ['main']];

/** Tests (and the fixtures only they use) may import any module of their package, e.g. the testing helpers. */
const TESTS = '\\.(test|fixture)\\.ts$';

/** Rules that forbid each folder of `layers` (under `packages/<pkg>/src/`) to import a folder of its own or a higher layer. */
function layerRules(pkg, layers) {
  const src = `^packages/${pkg}/src/`;
  const rules = [];
  layers.forEach((layer, i) => {
    const above = layers.slice(i).flat();
    for (const folder of layer) {
      const others = above.filter((f) => f !== folder);
      if (others.length === 0) continue;
      rules.push({
        name: `${pkg}-layers`,
        severity: 'error',
        comment: `${pkg}: ${folder}/ is below ${others.join(', ')} (see the layer list in .dependency-cruiser.cjs); move the shared part down`,
        from: { path: `${src}${folder}/`, pathNot: TESTS },
        to: { path: `${src}(${others.join('|')})/` },
      });
    }
  });
  // The root's modules (core: errors, constants; the CLI's helpers) are below every folder.
  rules.push({
    name: `${pkg}-root-below-folders`,
    severity: 'error',
    comment: `${pkg}: a module at src/ root is the base the folders build on; it imports no folder`,
    from: { path: `${src}[^/]+\\.ts$`, pathNot: [`${src}index\\.ts$`, TESTS] },
    to: { path: `${src}(${layers.flat().join('|')})/` },
  });
  return rules;
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: modules that need each other belong in one module, or the shared part in a third.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-barrel-inside',
      severity: 'error',
      comment: "A module of a package imports what it needs from the module that defines it, never the package's own index.",
      from: { path: '^packages/[^/]+/src/' },
      to: { path: '^packages/[^/]+/src/index\\.ts$' },
    },
    {
      name: 'backends-import-contracts',
      severity: 'error',
      comment:
        "A backend imports core's contracts through its subpaths (@magikrun/core/runtime, /errors, /constants, /platform, /native), never the root entry that also loads the distribution client, the layer applier and the bundle builders.",
      from: { path: '^packages/runtime-[^/]+/src/', pathNot: [TESTS, '/test-support/'] },
      to: { path: '^packages/core/dist/index\\.js$' },
    },
    ...layerRules('core', CORE_LAYERS),
    ...layerRules('cli', CLI_LAYERS),
  ],
  options: {
    // Other packages' built entries are listed (the backends rule checks which one is imported), not followed.
    doNotFollow: { path: ['node_modules', '/dist/'] },
    exclude: { path: ['node_modules'] },
    // Type-only imports count: a cycle of types is still a cycle for a reader.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
  },
};
