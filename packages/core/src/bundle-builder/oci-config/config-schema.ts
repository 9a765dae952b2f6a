/**
 * JSON Schema (draft-07) of the config.json documents magikrun writes.
 *
 * Hand-ported from opencontainers/runtime-spec v1.0.2 `schema/config-schema.json`, `defs.json`,
 * `config-linux.json` and `defs-linux.json` (Apache-2.0): the fields magikrun generates, with the
 * same types, enums and integer ranges. Stricter than the upstream schema on purpose, because the
 * generator is the only writer and a mistake must not reach a runtime:
 * - `ociVersion`, `root`, `process` and `linux` are required, and `ociVersion` must be 1.x.y (libcontainer's rule);
 * - `process.args` has at least one element, `process.cwd` and mount destinations are absolute;
 * - `process.env` entries are `KEY=VALUE`;
 * - unknown properties are refused (`additionalProperties: false`), so a misspelt field fails here
 *   instead of being silently ignored by the runtime;
 * - `linux.seccomp` may carry `defaultErrnoRet` and `errnoRet` (runtime-spec 1.0.2 has `errnoRet`;
 *   `defaultErrnoRet` is 1.1, read by runc ≥ 1.0 and libcontainer).
 *
 * @module bundle-builder/oci-config/config-schema
 */

const uint32 = { type: 'integer', minimum: 0, maximum: 4294967295 } as const;
const int64 = { type: 'integer', minimum: -(2 ** 63), maximum: 2 ** 63 - 1 } as const;
const uint64 = { type: 'integer', minimum: 0, maximum: 2 ** 64 - 1 } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;
const absolutePath = { type: 'string', pattern: '^/' } as const;
const capabilityList = { type: 'array', items: { type: 'string', pattern: '^CAP_[A-Z_]+$' } } as const;

const seccompArches = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64',
];
const seccompActions = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'];
const seccompOperators = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];

/** The schema object (draft-07). */
export const OCI_CONFIG_SCHEMA = {
  $id: 'https://magikrun.dev/schema/oci-config.json',
  type: 'object',
  required: ['ociVersion', 'root', 'process', 'linux'],
  additionalProperties: false,
  properties: {
    ociVersion: { type: 'string', pattern: '^1\\.[0-9]+\\.[0-9]+' },
    hostname: { type: 'string' },
    annotations: { type: 'object', additionalProperties: { type: 'string' }, propertyNames: { minLength: 1 } },
    root: {
      type: 'object',
      required: ['path'],
      additionalProperties: false,
      properties: { path: { type: 'string', minLength: 1 }, readonly: { type: 'boolean' } },
    },
    process: {
      type: 'object',
      required: ['cwd', 'args', 'user'],
      additionalProperties: false,
      properties: {
        terminal: { type: 'boolean' },
        args: { ...strings, minItems: 1 },
        env: { type: 'array', items: { type: 'string', pattern: '^[^=]+=' } },
        cwd: absolutePath,
        user: {
          type: 'object',
          required: ['uid', 'gid'],
          additionalProperties: false,
          properties: { uid: uint32, gid: uint32, additionalGids: { type: 'array', items: uint32 }, umask: uint32 },
        },
        capabilities: {
          type: 'object',
          additionalProperties: false,
          properties: { bounding: capabilityList, effective: capabilityList, permitted: capabilityList, inheritable: capabilityList, ambient: capabilityList },
        },
        rlimits: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type', 'soft', 'hard'],
            additionalProperties: false,
            properties: { type: { type: 'string', pattern: '^RLIMIT_[A-Z]+$' }, soft: uint64, hard: uint64 },
          },
        },
        noNewPrivileges: { type: 'boolean' },
      },
    },
    mounts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['destination', 'type', 'source'],
        additionalProperties: false,
        properties: { destination: absolutePath, type: { type: 'string', minLength: 1 }, source: { type: 'string', minLength: 1 }, options: strings },
      },
    },
    linux: {
      type: 'object',
      additionalProperties: false,
      properties: {
        namespaces: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type'],
            additionalProperties: false,
            properties: { type: { enum: ['mount', 'pid', 'network', 'uts', 'ipc', 'user', 'cgroup'] }, path: absolutePath },
          },
        },
        resources: {
          type: 'object',
          additionalProperties: false,
          properties: {
            devices: {
              type: 'array',
              items: {
                type: 'object',
                required: ['allow'],
                additionalProperties: false,
                properties: { allow: { type: 'boolean' }, type: { enum: ['a', 'b', 'c'] }, major: int64, minor: int64, access: { type: 'string', pattern: '^[rwm]{1,3}$' } },
              },
            },
            memory: { type: 'object', additionalProperties: false, properties: { limit: int64 } },
            cpu: { type: 'object', additionalProperties: false, properties: { quota: int64, period: uint64 } },
            pids: { type: 'object', required: ['limit'], additionalProperties: false, properties: { limit: int64 } },
          },
        },
        seccomp: {
          type: 'object',
          required: ['defaultAction'],
          additionalProperties: false,
          properties: {
            defaultAction: { enum: seccompActions },
            defaultErrnoRet: uint32,
            architectures: { type: 'array', items: { enum: seccompArches } },
            syscalls: {
              type: 'array',
              items: {
                type: 'object',
                required: ['names', 'action'],
                additionalProperties: false,
                properties: {
                  names: { ...strings, minItems: 1 },
                  action: { enum: seccompActions },
                  errnoRet: uint32,
                  args: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['index', 'value', 'op'],
                      additionalProperties: false,
                      properties: { index: uint32, value: uint64, valueTwo: uint64, op: { enum: seccompOperators } },
                    },
                  },
                },
              },
            },
          },
        },
        maskedPaths: strings,
        readonlyPaths: strings,
        cgroupsPath: { type: 'string' },
      },
    },
  },
} as const;
